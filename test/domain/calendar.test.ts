// Business-time arithmetic: working windows in IANA zones across DST, holidays next to weekends, lunch breaks,
// zones east and west of UTC; calendar validation naming the bad entry; holidays from iCalendar; properties.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { calendarClock, CalendarSchema, describeWeek, type Calendar } from '../../functions/domain/calendar.ts';
import { holidaysFromICalendar, ICalendarError } from '../../functions/domain/icalendar.ts';
import { parsePolicy, PolicyError } from '../../functions/domain/policy.ts';
import { HOUR, MINUTE, testPolicy } from '../support/domain-fixtures.ts';

const t = (s: string) => Date.parse(s);
const out = (ms: number) => new Date(ms).toISOString();

function cal(timeZone: string, week: Partial<Record<string, string[]>>, holidays: string[] = []): Calendar {
  return CalendarSchema.parse({ timeZone, week: { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [], ...week }, holidays });
}
const weekdays = (windows: string[]) => ({ mon: windows, tue: windows, wed: windows, thu: windows, fri: windows });

const berlin = calendarClock(
  'berlin-office',
  cal('Europe/Berlin', { ...weekdays(['09:00-17:00']), wed: ['09:00-12:00', '13:00-17:00'] }, ['2026-12-24', '2026-12-25', '2026-12-26', '2026-04-03', '2026-04-06']),
);

describe('business time in Europe/Berlin', () => {
  it('carries what is left on Friday evening to Monday morning, across the spring DST change', () => {
    // Prepare: Fri 27 Mar 2026 16:00 CET (UTC+1); the clocks go forward on Sunday 29 Mar
    const friday = t('2026-03-27T15:00:00Z');
    // Act
    const due = berlin.add(friday, 2 * HOUR);
    // Assess: 1 h on Friday, 1 h from Monday 09:00 CEST (UTC+2) = 07:00Z
    expect(out(due)).toBe('2026-03-30T08:00:00.000Z');
    expect(berlin.between(friday, due)).toBe(2 * HOUR);
  });

  it('carries over the autumn DST change: the Monday window starts at 08:00Z again', () => {
    // Fri 23 Oct 16:00 CEST = 14:00Z; clocks go back on Sunday 25 Oct
    expect(out(berlin.add(t('2026-10-23T14:00:00Z'), 2 * HOUR))).toBe('2026-10-26T09:00:00.000Z');
  });

  it('counts the real length of a window that a DST change shortens or lengthens', () => {
    // Prepare: a Sunday night shift 01:00-04:00 local
    const night = calendarClock('night', cal('Europe/Berlin', { sun: ['01:00-04:00'] }));
    // Act + Assess: 02:00-03:00 does not exist on 29 Mar (2 h worked); 02:00-03:00 happens twice on 25 Oct (4 h)
    expect(night.between(t('2026-03-28T12:00:00Z'), t('2026-03-29T12:00:00Z'))).toBe(2 * HOUR);
    expect(night.between(t('2026-10-24T12:00:00Z'), t('2026-10-25T12:00:00Z'))).toBe(4 * HOUR);
  });

  it('skips holidays that run into the weekend (Christmas Thursday to Saturday)', () => {
    // Wed 23 Dec 16:00 CET = 15:00Z; 24–26 Dec are holidays, 27 is Sunday
    const due = berlin.add(t('2026-12-23T15:00:00Z'), 2 * HOUR);
    expect(out(due)).toBe('2026-12-28T09:00:00.000Z');
  });

  it('skips Good Friday and Easter Monday around the Easter weekend', () => {
    // Thu 2 Apr 16:30 CEST = 14:30Z; 3 Apr and 6 Apr are holidays → Tue 7 Apr 09:30 CEST
    expect(out(berlin.add(t('2026-04-02T14:30:00Z'), 1 * HOUR))).toBe('2026-04-07T07:30:00.000Z');
  });

  it('leaves the lunch break out of a split day and may end exactly at a window end', () => {
    // Wed 4 Mar 2026 11:30 CET = 10:30Z
    expect(out(berlin.add(t('2026-03-04T10:30:00Z'), 1 * HOUR))).toBe('2026-03-04T12:30:00.000Z'); // 13:30 local
    expect(out(berlin.add(t('2026-03-04T10:00:00Z'), 1 * HOUR))).toBe('2026-03-04T11:00:00.000Z'); // 12:00 local, the window's end
    expect(berlin.between(t('2026-03-04T10:00:00Z'), t('2026-03-04T13:00:00Z'))).toBe(2 * HOUR); // 11:00–14:00 local
    expect(berlin.spans(t('2026-03-04T10:00:00Z'), t('2026-03-04T13:00:00Z')).map((s) => [out(s.start), out(s.end)])).toEqual([
      ['2026-03-04T10:00:00.000Z', '2026-03-04T11:00:00.000Z'],
      ['2026-03-04T12:00:00.000Z', '2026-03-04T13:00:00.000Z'],
    ]);
  });

  it('starts a budget opened out of hours at the next window, and knows the next working instant', () => {
    expect(out(berlin.add(t('2026-03-02T05:00:00Z'), 30 * MINUTE))).toBe('2026-03-02T08:30:00.000Z');
    expect(out(berlin.nextWorking(t('2026-03-06T18:00:00Z')))).toBe('2026-03-09T08:00:00.000Z');
    expect(out(berlin.nextWorking(t('2026-03-06T10:00:00Z')))).toBe('2026-03-06T10:00:00.000Z');
  });
});

describe('business time in America/Santiago (west of UTC, DST at midnight)', () => {
  const santiago = calendarClock('santiago', cal('America/Santiago', { ...weekdays(['09:00-18:00']), sat: ['22:00-24:00'], sun: ['00:00-02:00'] }));

  it('carries Friday into Monday across the September change (UTC−4 → UTC−3)', () => {
    // Fri 4 Sep 17:00 −04 = 21:00Z; 1 h Friday, weekend windows of 2 h + 1 h (00:00 → 01:00 is skipped), then Monday
    const due = santiago.add(t('2026-09-04T21:00:00Z'), 5 * HOUR);
    // Sat 22:00–24:00 (2 h), Sun 01:00–02:00 (1 h), Mon 7 Sep 09:00 −03 = 12:00Z + 1 h
    expect(out(due)).toBe('2026-09-07T13:00:00.000Z');
  });

  it('counts the hour repeated when the clocks go back at midnight in April', () => {
    // Sat 4 Apr 22:00–24:00 lasts 3 real hours: 23:00–24:00 happens at −03 and again at −04
    // 22:00 −03 = 01:00Z; 24:00 is the start of Sunday at −04 = 04:00Z
    expect(santiago.between(t('2026-04-04T12:00:00Z'), t('2026-04-05T04:00:00Z'))).toBe(3 * HOUR);
    expect(santiago.between(t('2026-04-04T12:00:00Z'), t('2026-04-05T12:00:00Z'))).toBe(5 * HOUR);
  });
});

describe('business time in Asia/Kolkata (UTC+05:30, east of UTC)', () => {
  const kolkata = calendarClock('kolkata', cal('Asia/Kolkata', weekdays(['09:30-18:30'])));

  it('puts the half-hour offset into the deadline', () => {
    // Mon 2 Mar 12:00Z = 17:30 IST: 1 h on Monday, 1 h from Tue 09:30 IST = 04:00Z
    expect(out(kolkata.add(t('2026-03-02T12:00:00Z'), 2 * HOUR))).toBe('2026-03-03T05:00:00.000Z');
    // Mon 00:00Z = 05:30 IST, before the day's window
    expect(out(kolkata.add(t('2026-03-02T00:00:00Z'), 1 * HOUR))).toBe('2026-03-02T05:00:00.000Z');
  });

  it('counts a full working week as 45 hours', () => {
    expect(kolkata.between(t('2026-03-01T00:00:00Z'), t('2026-03-08T00:00:00Z'))).toBe(45 * HOUR);
  });
});

describe('holidays are local dates, never a day early or late', () => {
  it('east of UTC: a Kolkata holiday starts at local midnight, while it is still the day before in UTC', () => {
    const kolkata = calendarClock('kolkata', cal('Asia/Kolkata', weekdays(['09:30-18:30']), ['2026-03-03']));
    // Mon 2 Mar 20:00Z is already Tuesday 01:30 IST, the holiday: the budget runs from Wednesday 09:30 IST (04:00Z)
    expect(out(kolkata.add(t('2026-03-02T20:00:00Z'), HOUR))).toBe('2026-03-04T05:00:00.000Z');
    // and Monday's window (UTC date of the holiday's eve) is untouched
    expect(kolkata.between(t('2026-03-02T00:00:00Z'), t('2026-03-02T20:00:00Z'))).toBe(9 * HOUR);
  });

  it('west of UTC: a Santiago holiday on Friday leaves Thursday evening alone, though UTC is already Friday', () => {
    const santiago = calendarClock('santiago', cal('America/Santiago', weekdays(['09:00-18:00']), ['2026-09-18']));
    // Thu 17 Sep 17:30 −03 = 20:30Z: 30 min on Thursday, Friday off, weekend, Monday 21 Sep 09:00 −03 = 12:00Z + 30 min
    expect(out(santiago.add(t('2026-09-17T20:30:00Z'), HOUR))).toBe('2026-09-21T12:30:00.000Z');
  });
});

describe('calendar validation names the bad entry', () => {
  const withCalendar = (calendar: Record<string, unknown>, extra: Record<string, unknown> = {}) => () =>
    testPolicy({ calendars: { 'berlin-office': calendar }, calendar: 'berlin-office', ...extra });
  const office = { timeZone: 'Europe/Berlin', week: { mon: ['09:00-17:00'] } };

  it('an unknown time zone', () => {
    expect(withCalendar({ ...office, timeZone: 'Europe/Berln' })).toThrow(/calendars\.berlin-office\.timeZone: unknown time zone "Europe\/Berln"/);
  });
  it('overlapping windows', () => {
    expect(withCalendar({ ...office, week: { wed: ['09:00-13:00', '12:30-17:00'] } })).toThrow(
      /calendars\.berlin-office\.week\.wed\.1: window "12:30-17:00" overlaps "09:00-13:00" on wed/,
    );
  });
  it('an inverted window', () => {
    expect(withCalendar({ ...office, week: { fri: ['17:00-09:00'] } })).toThrow(/calendars\.berlin-office\.week\.fri\.0: window "17:00-09:00" ends before it starts/);
  });
  it('a time that does not exist, a date that does not exist, a week without work', () => {
    expect(withCalendar({ ...office, week: { mon: ['09:00-25:00'] } })).toThrow(/week\.mon\.0: "09:00-25:00" has a time that does not exist/);
    expect(withCalendar({ ...office, holidays: ['2026-02-30'] })).toThrow(/calendars\.berlin-office\.holidays\.0: "2026-02-30" is not a date/);
    expect(withCalendar({ timeZone: 'UTC', week: {} })).toThrow(/calendars\.berlin-office\.week: a calendar needs at least one working window/);
  });
  it('an unknown calendar named by the policy or a department', () => {
    expect(withCalendar(office, { calendar: 'paris' })).toThrow(/calendar: unknown calendar "paris"; known: berlin-office/);
    expect(withCalendar(office, { departments: { support: { calendar: 'nyc' } } })).toThrow(/departments\.support\.calendar: unknown calendar "nyc"/);
  });
  it('accepts the issue\'s example shape as written', () => {
    const p = parsePolicy({
      ...testPolicy(),
      calendars: {
        'berlin-office': {
          timeZone: 'Europe/Berlin',
          week: { mon: ['09:00-17:00'], tue: ['09:00-17:00'], wed: ['09:00-12:00', '13:00-17:00'], thu: ['09:00-17:00'], fri: ['09:00-17:00'], sat: [], sun: [] },
          holidays: ['2026-12-24', '2026-12-25', '2026-12-26'],
        },
      },
      calendar: 'berlin-office',
    });
    expect(p.calendar).toBe('berlin-office');
    expect(describeWeek(p.calendars['berlin-office']!)).toBe('Mon–Tue 09:00–17:00, Wed 09:00–12:00 and 13:00–17:00, Thu–Fri 09:00–17:00');
    expect(() => parsePolicy({ ...testPolicy(), calendar: 'x' })).toThrow(PolicyError);
  });
});

describe('holidays from an iCalendar file', () => {
  it('reads all-day events, multi-day events and yearly recurrences, unfolding long lines', () => {
    const ics = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'BEGIN:VEVENT',
      'DTSTART;VALUE=DATE:20261224',
      'DTEND;VALUE=DATE:20261227',
      'SUMMARY:Christmas (three',
      '  days)',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'DTSTART;VALUE=DATE:20260501',
      'RRULE:FREQ=YEARLY;COUNT=2',
      'SUMMARY:Labour Day',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'DTSTART:20261003T000000',
      'SUMMARY:German Unity Day',
      'END:VEVENT',
      'END:VCALENDAR',
    ].join('\r\n');
    expect(holidaysFromICalendar(ics)).toEqual(['2026-05-01', '2026-10-03', '2026-12-24', '2026-12-25', '2026-12-26', '2027-05-01']);
  });
  it('refuses what it does not understand, saying where', () => {
    expect(() => holidaysFromICalendar('hello')).toThrow(ICalendarError);
    expect(() => holidaysFromICalendar('BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:2026\nEND:VEVENT\nEND:VCALENDAR', 'de.ics')).toThrow(/de\.ics line 4/);
    expect(() => holidaysFromICalendar('BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20260101\nRRULE:FREQ=WEEKLY\nEND:VEVENT\nEND:VCALENDAR')).toThrow(/only RRULE:FREQ=YEARLY/);
  });
});

// ---- properties ----
const ZONES = ['Europe/Berlin', 'America/Santiago', 'Asia/Kolkata', 'America/New_York', 'Australia/Lord_Howe', 'UTC'];
const arbWindows = fc
  .uniqueArray(fc.integer({ min: 0, max: 95 }), { maxLength: 6 })
  .map((cuts) => {
    // Sorted quarter-hour cut points paired into non-overlapping windows.
    const sorted = [...cuts].sort((a, b) => a - b);
    const out: string[] = [];
    const hhmm = (q: number) => `${String(Math.floor(q / 4)).padStart(2, '0')}:${String((q % 4) * 15).padStart(2, '0')}`;
    for (let i = 0; i + 1 < sorted.length; i += 2) out.push(`${hhmm(sorted[i]!)}-${hhmm(sorted[i + 1]! + 1)}`);
    return out;
  });
const arbCalendar = fc
  .record({
    zone: fc.constantFrom(...ZONES),
    days: fc.array(arbWindows, { minLength: 7, maxLength: 7 }),
    holidays: fc.uniqueArray(fc.integer({ min: 0, max: 400 }), { maxLength: 20 }),
  })
  .filter((r) => r.days.some((d) => d.length > 0))
  .map(({ zone, days, holidays }) =>
    cal(
      zone,
      Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d, i) => [d, days[i]!])),
      holidays.map((n) => new Date(Date.UTC(2026, 0, 1) + n * 86_400_000).toISOString().slice(0, 10)),
    ),
  );
const arbInstant = fc.integer({ min: t('2026-01-01T00:00:00Z'), max: t('2027-01-01T00:00:00Z') });

describe('properties of business time', () => {
  it('a deadline never falls outside working time, and exactly the budget is counted up to it', () => {
    fc.assert(
      fc.property(arbCalendar, arbInstant, fc.integer({ min: 1, max: 40 * HOUR }), (c, from, budget) => {
        const clock = calendarClock('c', c);
        const due = clock.add(from, budget);
        // the millisecond before the deadline is working time: it lies inside a window (or at its end)
        expect(clock.between(due - 1, due)).toBe(1);
        expect(clock.between(from, due)).toBe(budget);
      }),
      { numRuns: 300 },
    );
  });

  it('working time is additive and the clock never runs faster than the wall clock', () => {
    fc.assert(
      fc.property(arbCalendar, arbInstant, fc.integer({ min: 0, max: 10 * 86_400_000 }), fc.integer({ min: 0, max: 10 * 86_400_000 }), (c, a, d1, d2) => {
        const clock = calendarClock('c', c);
        const [b, e] = [a + d1, a + d1 + d2];
        expect(clock.between(a, e)).toBe(clock.between(a, b) + clock.between(b, e));
        expect(clock.between(a, b)).toBeLessThanOrEqual(d1);
        const n = clock.nextWorking(a);
        expect(n).toBeGreaterThanOrEqual(a);
        expect(clock.between(a, n)).toBe(0);
      }),
      { numRuns: 200 },
    );
  });
});
