// Domain: holidays from an iCalendar (RFC 5545) file — the format public-holiday feeds and groupware export. Only
// what holiday calendars use is read: VEVENTs with DTSTART (a date, or a date-time whose date is taken), an optional
// exclusive DTEND for multi-day holidays, and yearly recurrence (RRULE:FREQ=YEARLY with COUNT or UNTIL).
import { DateTime } from 'luxon';

export class ICalendarError extends Error {
  override name = 'ICalendarError';
}

/** Yearly holidays without an end are expanded this many years, so the list stays finite and reviewable. */
const OPEN_YEARLY_YEARS = 10;

/** The local dates (YYYY-MM-DD, sorted, unique) the file marks as holidays. */
export function holidaysFromICalendar(text: string, source = 'iCalendar file'): string[] {
  // RFC 5545 folds long lines: a line starting with a space or tab continues the previous one.
  const lines = text.replace(/\r\n/g, '\n').replace(/\n[ \t]/g, '').split('\n');
  if (!lines.some((l) => l.trim() === 'BEGIN:VCALENDAR')) throw new ICalendarError(`${source} is not an iCalendar file (no BEGIN:VCALENDAR)`);
  const dates = new Set<string>();
  let event: Record<string, string> | undefined;
  lines.forEach((raw, n) => {
    const line = raw.trim();
    if (line === 'BEGIN:VEVENT') event = {};
    else if (line === 'END:VEVENT' && event) {
      for (const d of expand(event, `${source} line ${n + 1}`)) dates.add(d);
      event = undefined;
    } else if (event) {
      const colon = line.indexOf(':');
      if (colon > 0) event[line.slice(0, colon).split(';')[0]!.toUpperCase()] = line.slice(colon + 1);
    }
  });
  return [...dates].sort();
}

function parseDate(value: string | undefined, where: string): DateTime {
  const m = /^(\d{4})(\d{2})(\d{2})/.exec(value ?? '');
  const d = m ? DateTime.fromObject({ year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) }, { zone: 'UTC' }) : undefined;
  if (!d?.isValid) throw new ICalendarError(`${where}: DTSTART/DTEND/UNTIL "${value ?? ''}" is not a date like 20261224`);
  return d;
}

function expand(e: Record<string, string>, where: string): string[] {
  const start = parseDate(e['DTSTART'], where);
  // DTEND of an all-day event is exclusive; without it the event is one day.
  const days = e['DTEND'] ? Math.max(1, Math.round(parseDate(e['DTEND'], where).diff(start, 'days').days)) : 1;
  const rule = Object.fromEntries((e['RRULE'] ?? '').split(';').filter(Boolean).map((p) => p.split('=') as [string, string]));
  let years = 1;
  if (rule['FREQ']) {
    if (rule['FREQ'] !== 'YEARLY' || rule['BYDAY'] || rule['BYMONTH'] || rule['INTERVAL']) {
      throw new ICalendarError(`${where}: only RRULE:FREQ=YEARLY (with COUNT or UNTIL) is understood; list the dates instead`);
    }
    if (rule['COUNT']) years = Number(rule['COUNT']);
    else if (rule['UNTIL']) years = parseDate(rule['UNTIL'], where).year - start.year + 1;
    else years = OPEN_YEARLY_YEARS;
  }
  const out: string[] = [];
  for (let y = 0; y < years; y++) for (let d = 0; d < days; d++) out.push(start.plus({ years: y, days: d }).toISODate()!);
  return out;
}
