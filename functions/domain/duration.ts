// Domain: ISO-8601 durations for policies (exact units only, so every deadline is an exact instant).
import { parse } from 'tinyduration';

const MS = { weeks: 604_800_000, days: 86_400_000, hours: 3_600_000, minutes: 60_000, seconds: 1_000 } as const;

/**
 * Milliseconds in an ISO-8601 duration such as `PT4H` or `P30D`.
 * Years and months are refused: their length depends on the calendar, and an SLA must be an exact span.
 */
export function durationMs(iso: string): number {
  const d = parse(iso);
  if (d.negative) throw new RangeError(`negative duration ${iso}`);
  if (d.years || d.months) throw new RangeError(`${iso}: years and months are not exact; use days or weeks`);
  const ms =
    (d.weeks ?? 0) * MS.weeks +
    (d.days ?? 0) * MS.days +
    (d.hours ?? 0) * MS.hours +
    (d.minutes ?? 0) * MS.minutes +
    (d.seconds ?? 0) * MS.seconds;
  return Math.round(ms);
}

/**
 * Why a policy duration is refused, naming the value, or undefined when it is an exact, positive duration:
 * one sentence a person can act on (`"P1M": months and years …; use days or weeks, e.g. P30D`).
 */
export function durationProblem(iso: string): string | undefined {
  const shown = JSON.stringify(iso);
  let d: ReturnType<typeof parse>;
  try {
    d = parse(iso);
  } catch {
    return `${shown} is not an ISO-8601 duration; use weeks, days, hours, minutes or seconds, e.g. PT4H or P30D`;
  }
  if (d.years || d.months) return `${shown} uses months or years, whose length depends on the calendar; use days or weeks, e.g. P30D`;
  if (d.negative) return `${shown} is negative; a duration must be longer than zero`;
  if (durationMs(iso) <= 0) return `${shown} is zero; a duration must be longer than zero`;
  return undefined;
}

export function isExactDuration(iso: string): boolean {
  try {
    return durationMs(iso) > 0;
  } catch {
    return false;
  }
}

export function addMs(isoInstant: string, ms: number): string {
  return new Date(Date.parse(isoInstant) + ms).toISOString();
}
