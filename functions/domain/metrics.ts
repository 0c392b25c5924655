// Domain: the figures ops steer by, computed from cases alone (pure). Definitions are part of the API contract
// and documented in README.md ("Metrics"); the comments below are the reference.
//
// Conventions for every figure:
// - The window is a set of cases: those created at or after `from` and before `to` (createdAt, i.e. the `at` of
//   the case's `created` event). Everything else is a property of those cases *as they stand now* (`asOf`, the
//   instant the figures were computed): a case created in the window and resolved after `to` counts as resolved.
// - Ratios are null, never NaN, when their denominator is 0; averages of nothing are null.
// - Durations are wall-clock: time spent paused counts.
// - "Resolved" means the case's current resolution: a reopened case loses it until it is resolved again, and a
//   case resolved several times is judged on its latest resolution.
import type { CaseRecord, Level } from './model.ts';
import { LEVELS } from './model.ts';

export interface Metrics {
  window: { from: string; to: string };
  /** Cases created in the window. */
  cases: number;
  /**
   * Of the window's cases, the share that breached: the top level's time budget ran out (`sla.breached`, the flag
   * `GET /cases?breached=true` filters on). Earlier levels running out move the case up and count as
   * `escalations.automatic`, not here. The flag is sticky: a breached case that is later resolved still counts.
   */
  breachRate: number | null;
  /**
   * Created → latest resolution, in seconds, over the window's cases that are currently RESOLVED or CLOSED.
   * Median and p90 by nearest rank (no interpolation): the value at rank ceil(p/100 × count) of the sorted times.
   */
  resolutionTimeSeconds: { median: number | null; p90: number | null; count: number };
  /**
   * Of the window's cases whose outcome is known — currently resolved (or closed), or past their close-by deadline
   * at `asOf` — the share whose latest resolution is at or before the close-by deadline (the 30-day rule judges
   * resolution: closing follows on its own after the follow-up).
   */
  closedWithinDeadlineRate: number | null;
  /**
   * Escalation events on the window's cases (at any time): `automatic` = level moves by the timer (a level's
   * budget ran out, or the close-by rule moved the case to the top); `manual` = hierarchical escalations by hand;
   * `transfers` = functional escalations (department changes).
   */
  escalations: { automatic: number; manual: number; transfers: number };
  repeat: {
    /** Customers (by customer id) with more than one case in the window, and distinct customers of the window. */
    customersWithMultipleCases: number;
    customers: number;
    /** Cases of the window reopened at least once, and the reopenings in all. */
    reopenedCases: number;
    reopenings: number;
  };
  /**
   * Satisfaction from the survey: `surveyed` = the window's cases that were sent the survey at least once (a
   * `followed-up` event); `responses` = those rated (one rating per case); `average` = mean rating (1–5) of the
   * responses; `responseRate` = responses / surveyed.
   */
  csat: { average: number | null; responses: number; surveyed: number; responseRate: number | null };
  /**
   * Cases OPEN or PAUSED at `asOf`, whatever their creation date (not limited to the window), by level (every level
   * listed, zeros included) and by department (departments with at least one such case).
   */
  open: { total: number; byLevel: Record<Level, number>; byDepartment: Record<string, number> };
}

const ratio = (n: number, d: number): number | null => (d === 0 ? null : n / d);

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/**
 * The figures for `window`. `windowCases`: the cases created in the window (createdAt in [from, to)), read with
 * their stats; `openCases`: every case OPEN or PAUSED now; `now`: the instant the figures are as of.
 */
export function computeMetrics(windowCases: CaseRecord[], openCases: CaseRecord[], window: { from: string; to: string }, now: Date): Metrics {
  const resolved = windowCases.filter((c) => c.resolvedAt);
  const durations = resolved.map((c) => (Date.parse(c.resolvedAt!) - Date.parse(c.createdAt)) / 1000).sort((a, b) => a - b);
  const known = windowCases.filter((c) => c.resolvedAt || Date.parse(c.sla.closeBy) <= now.getTime());
  const inTime = known.filter((c) => c.resolvedAt && Date.parse(c.resolvedAt) <= Date.parse(c.sla.closeBy));

  // Counted from each case's stats, which its events keep up to date as they are appended (functions/domain/change.ts).
  const escalations = { automatic: 0, manual: 0, transfers: 0 };
  for (const c of windowCases) {
    escalations.automatic += c.stats.escalations.automatic;
    escalations.manual += c.stats.escalations.manual;
    escalations.transfers += c.stats.escalations.transfers;
  }
  // Per case, not per email: a case reopened and followed up again is still one survey that can be answered once.
  const surveyed = windowCases.filter((c) => c.stats.surveyed).length;
  const perCustomer = new Map<string, number>();
  for (const c of windowCases) perCustomer.set(c.customer.id, (perCustomer.get(c.customer.id) ?? 0) + 1);
  const rated = windowCases.filter((c) => c.feedback);

  const byLevel = Object.fromEntries(LEVELS.map((l) => [l, 0])) as Record<Level, number>;
  const byDepartment: Record<string, number> = {};
  for (const c of openCases) {
    byLevel[c.level]++;
    byDepartment[c.department] = (byDepartment[c.department] ?? 0) + 1;
  }

  return {
    window,
    cases: windowCases.length,
    breachRate: ratio(windowCases.filter((c) => c.sla.breached).length, windowCases.length),
    resolutionTimeSeconds: { median: percentile(durations, 50), p90: percentile(durations, 90), count: durations.length },
    closedWithinDeadlineRate: ratio(inTime.length, known.length),
    escalations,
    repeat: {
      customersWithMultipleCases: [...perCustomer.values()].filter((n) => n > 1).length,
      customers: perCustomer.size,
      reopenedCases: windowCases.filter((c) => c.reopenCount > 0).length,
      reopenings: windowCases.reduce((n, c) => n + c.reopenCount, 0),
    },
    csat: {
      average: rated.length ? rated.reduce((s, c) => s + c.feedback!.rating, 0) / rated.length : null,
      responses: rated.length,
      surveyed,
      responseRate: ratio(rated.length, surveyed),
    },
    open: { total: openCases.length, byLevel, byDepartment },
  };
}
