// Domain: working calendars — when an SLA clock runs. A calendar is a time zone, working windows per weekday and
// holidays; the arithmetic here turns "4 hours of working time from this instant" into an absolute instant, so the
// workflow still waits for a timestamp. Pure: functions of (calendar, instants); the IANA rules come from the
// runtime's Intl data (functions/domain/zoned.ts).
import * as z from './zod.ts';
import { deferred } from './zod.ts';
import { atTimeOfDay, isoDateOf, isRealIsoDate, isValidZone, plusDays, readableLocal, startOfDay, weekdayOf, zonedAt, type Zoned } from './zoned.ts';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** `HH:MM-HH:MM` (seconds optional, `24:00` only as an end): one working window in local time. */
const WINDOW = /^(\d{2}):(\d{2})(?::(\d{2}))?-(\d{2}):(\d{2})(?::(\d{2}))?$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_S = 86_400;

// The schemas are built when first used (only where a policy is validated: functions/domain/policy.ts).
export const CalendarName = /* @__PURE__ */ deferred(() => z.string().check(z.regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'lower-case letters, digits and dashes')));

/** Seconds of the local day a window starts and ends at, or a reason it is not a window. */
export function parseWindow(text: string): { start: number; end: number } | string {
  const m = WINDOW.exec(text);
  if (!m) return `"${text}" is not a window like "09:00-17:00"`;
  const [h1, m1, s1, h2, m2, s2] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x))) as number[] as [number, number, number, number, number, number];
  const bad = (h: number, mi: number, s: number) => h > 24 || mi > 59 || s > 59 || (h === 24 && (mi > 0 || s > 0));
  if (bad(h1, m1, s1) || bad(h2, m2, s2)) return `"${text}" has a time that does not exist (hours 00–24, minutes and seconds 00–59)`;
  const start = h1 * 3600 + m1 * 60 + s1;
  const end = h2 * 3600 + m2 * 60 + s2;
  if (start >= DAY_S) return `"${text}" starts at 24:00; a window starts before midnight`;
  if (end === start) return `window "${text}" is empty: it ends when it starts`;
  if (end < start) {
    return `window "${text}" ends before it starts: a window cannot cross midnight — split it, e.g. "22:00-24:00" and "00:00-06:00" on the next day`;
  }
  return { start, end };
}

function isRealDate(d: string): boolean {
  return ISO_DATE.test(d) && isRealIsoDate(d);
}

export const CalendarSchema = /* @__PURE__ */ deferred(() => {
  const Windows = z._default(z.array(z.string()), []);
  return z
    .strictObject({
      timeZone: z.string().check(z.describe('IANA time zone, e.g. Europe/Berlin; the windows are local times there, DST included')),
      week: z
        .strictObject({ mon: Windows, tue: Windows, wed: Windows, thu: Windows, fri: Windows, sat: Windows, sun: Windows })
        .check(z.describe('working windows per weekday, e.g. ["09:00-12:00", "13:00-17:00"]; an empty list is a day off')),
      holidays: z
        ._default(z.array(z.string()), [])
        .check(z.describe('local dates (YYYY-MM-DD) without working time; a policy file may add more from an iCalendar file (holidaysFile)')),
    })
    .check(z.superRefine((cal, ctx) => {
      if (!isValidZone(cal.timeZone)) {
        ctx.addIssue({ code: 'custom', path: ['timeZone'], message: `unknown time zone "${cal.timeZone}" (use an IANA name such as Europe/Berlin)` });
      }
      let any = false;
      for (const day of WEEKDAYS) {
        const parsed: { start: number; end: number; text: string; i: number }[] = [];
        cal.week[day].forEach((text, i) => {
          const w = parseWindow(text);
          if (typeof w === 'string') ctx.addIssue({ code: 'custom', path: ['week', day, i], message: w });
          else parsed.push({ ...w, text, i });
        });
        parsed.sort((a, b) => a.start - b.start);
        for (let k = 1; k < parsed.length; k++) {
          const [prev, cur] = [parsed[k - 1]!, parsed[k]!];
          if (cur.start < prev.end) {
            ctx.addIssue({ code: 'custom', path: ['week', day, cur.i], message: `window "${cur.text}" overlaps "${prev.text}" on ${day}` });
          }
        }
        any ||= parsed.length > 0;
      }
      if (!any) ctx.addIssue({ code: 'custom', path: ['week'], message: 'a calendar needs at least one working window (leave the calendar out for round the clock)' });
      cal.holidays.forEach((d, i) => {
        if (!isRealDate(d)) ctx.addIssue({ code: 'custom', path: ['holidays', i], message: `"${d}" is not a date like 2026-12-24` });
      });
    }));
});
export type Calendar = z.output<typeof CalendarSchema>;

/** One stretch of working time as absolute instants (ms since the epoch), start inclusive, end exclusive. */
export interface Span {
  start: number;
  end: number;
}

/**
 * How an SLA clock advances. Round the clock it is plain wall time; on a calendar only working windows count.
 * Every budget, warning share and follow-up is measured with one of these, so the rule lives in one place.
 */
export interface WorkingClock {
  /** The calendar's name, or null for round the clock. */
  readonly calendar: string | null;
  /** The instant at which `ms` of working time starting at `from` are used up (`from` itself when ms ≤ 0). */
  add(from: number, ms: number): number;
  /** Working time between two instants (0 when `to` ≤ `from`). */
  between(from: number, to: number): number;
  /** `at` when it is working time, else the start of the next working window. */
  nextWorking(at: number): number;
  /** The working windows overlapping [from, to), clipped to it. */
  spans(from: number, to: number): Span[];
}

export const roundTheClock: WorkingClock = {
  calendar: null,
  add: (from, ms) => from + Math.max(0, ms),
  between: (from, to) => Math.max(0, to - from),
  nextWorking: (at) => at,
  spans: (from, to) => (to > from ? [{ start: from, end: to }] : []),
};

export class CalendarError extends Error {
  override name = 'CalendarError';
}

/** Ten years: a calendar with no working time in that span is a policy mistake, not a deadline. */
const MAX_DAYS = 3_660;

interface Compiled {
  zone: string;
  /** Windows in seconds of the local day, by luxon weekday (1 = Monday … 7 = Sunday), sorted. */
  week: { start: number; end: number }[][];
  holidays: Set<string>;
  /**
   * The calendar's windows as instants, in order, for the contiguous local days [first, last]; extended on demand
   * in both directions. Time-zone work (Intl) happens once per local day here, so a lookup is a binary search —
   * a month-long what-if asks for the same days hundreds of thousands of times.
   */
  spans: Span[];
  first: Zoned | undefined;
  last: Zoned | undefined;
  /** Start of the first covered local day and of the day after the last one. */
  coverStart: number;
  coverEnd: number;
}

const compiledCache = new WeakMap<Calendar, Compiled>();
/** Days added per extension. */
const CHUNK_DAYS = 31;

function compile(cal: Calendar): Compiled {
  let c = compiledCache.get(cal);
  if (!c) {
    const week = [[] as { start: number; end: number }[]];
    for (const day of WEEKDAYS) {
      week.push(
        cal.week[day]
          .map(parseWindow)
          .filter((w): w is { start: number; end: number } => typeof w !== 'string')
          .sort((a, b) => a.start - b.start),
      );
    }
    c = { zone: cal.timeZone, week, holidays: new Set(cal.holidays), spans: [], first: undefined, last: undefined, coverStart: 0, coverEnd: 0 };
    compiledCache.set(cal, c);
  }
  return c;
}

/** The local instant `seconds` into local date `date`; a time skipped by a DST change moves forward (luxon's rule). */
function localInstant(date: Zoned, seconds: number): number {
  if (seconds >= DAY_S) return startOfDay(plusDays(date, 1)).ts;
  return atTimeOfDay(date, seconds).ts;
}

function windowsOn(c: Compiled, date: Zoned): Span[] {
  if (c.holidays.has(isoDateOf(date))) return [];
  return c.week[weekdayOf(date)]!.map((w) => ({ start: localInstant(date, w.start), end: localInstant(date, w.end) })).filter((s) => s.end > s.start);
}

function appendDays(c: Compiled, days: number): void {
  for (let i = 0; i < days; i++) {
    const day = startOfDay(plusDays(c.last!, 1));
    c.spans.push(...windowsOn(c, day));
    c.last = day;
  }
  c.coverEnd = startOfDay(plusDays(c.last!, 1)).ts;
}

function prependDays(c: Compiled, days: number): void {
  const added: Span[] = [];
  let first = c.first!;
  for (let i = 0; i < days; i++) {
    first = startOfDay(plusDays(first, -1));
    added.unshift(...windowsOn(c, first));
  }
  c.spans = [...added, ...c.spans];
  c.first = first;
  c.coverStart = first.ts;
}

/** The index of the first window ending after `at` (the covered days reach `at`; the index may equal spans.length). */
function indexAfter(c: Compiled, at: number): number {
  if (!c.first) {
    const day = startOfDay(zonedAt(at, c.zone));
    c.first = day;
    c.last = day;
    c.spans = windowsOn(c, day);
    c.coverStart = day.ts;
    appendDays(c, CHUNK_DAYS);
  }
  while (at < c.coverStart) prependDays(c, CHUNK_DAYS);
  while (at >= c.coverEnd) appendDays(c, CHUNK_DAYS);
  let [lo, hi] = [0, c.spans.length];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (c.spans[mid]!.end > at) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Window `i`, covering more days as needed; a calendar with no working time for MAX_DAYS days is a policy mistake. */
function spanAt(c: Compiled, i: number, from: number): Span {
  while (i >= c.spans.length) {
    if (c.coverEnd - from > MAX_DAYS * DAY_S * 1000) {
      throw new CalendarError(`no working time within ${MAX_DAYS} days of ${new Date(from).toISOString()} on the ${c.zone} calendar`);
    }
    appendDays(c, CHUNK_DAYS);
  }
  return c.spans[i]!;
}

/** The clock of a named calendar. */
export function calendarClock(name: string, cal: Calendar): WorkingClock {
  const c = compile(cal);
  const spans = (from: number, to: number): Span[] => {
    const out: Span[] = [];
    if (to <= from) return out;
    for (let i = indexAfter(c, from); ; i++) {
      const w = spanAt(c, i, from);
      if (w.start >= to) break;
      out.push({ start: Math.max(w.start, from), end: Math.min(w.end, to) });
    }
    return out;
  };
  return {
    calendar: name,
    add(from, ms) {
      if (ms <= 0) return from;
      let left = ms;
      for (let i = indexAfter(c, from); ; i++) {
        const w = spanAt(c, i, from);
        const start = Math.max(w.start, from);
        if (left <= w.end - start) return start + left;
        left -= w.end - start;
      }
    },
    between(from, to) {
      if (to <= from) return 0;
      let sum = 0;
      for (let i = indexAfter(c, from); ; i++) {
        const w = spanAt(c, i, from);
        if (w.start >= to) break;
        sum += Math.min(w.end, to) - Math.max(w.start, from);
      }
      return sum;
    },
    nextWorking(at) {
      return Math.max(spanAt(c, indexAfter(c, at), at).start, at);
    },
    spans,
  };
}

/** Human words for a calendar's week, e.g. "Mon–Tue 09:00–17:00, Wed 09:00–12:00 and 13:00–17:00". */
export function describeWeek(cal: Calendar): string {
  const label = (d: Weekday) => d[0]!.toUpperCase() + d.slice(1);
  const groups: { from: Weekday; to: Weekday; text: string }[] = [];
  for (const d of WEEKDAYS) {
    const text = cal.week[d].map((w) => w.replace('-', '–')).join(' and ');
    if (!text) continue;
    const last = groups.at(-1);
    if (last && last.text === text && WEEKDAYS.indexOf(d) === WEEKDAYS.indexOf(last.to) + 1) last.to = d;
    else groups.push({ from: d, to: d, text });
  }
  return groups.map((g) => `${label(g.from)}${g.from === g.to ? '' : `–${label(g.to)}`} ${g.text}`).join(', ');
}

/** An instant as the calendar's people read it, e.g. "Mon 7 Dec 2026 12:30 Europe/Berlin". */
export function localTime(at: number, timeZone: string | null): string {
  return `${readableLocal(at, timeZone ?? 'UTC')} ${timeZone ?? 'UTC'}`;
}
