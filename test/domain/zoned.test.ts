// Domain: zoned local times from Intl (functions/domain/zoned.ts) agree with luxon, which the working calendars were
// first written on and which still parses iCalendar files at synth: the same day, the same instants for local times
// (DST gaps and folds included), the same weekday, ISO date and readable time — over random instants and zones.
import fc from 'fast-check';
import { DateTime, IANAZone } from 'luxon';
import { describe, expect, it } from 'vitest';
import { atTimeOfDay, isoDateOf, isRealIsoDate, isValidZone, plusDays, readableLocal, startOfDay, weekdayOf, zonedAt } from '../../functions/domain/zoned.ts';

// Zones with DST both ways, half-hour and 45-minute offsets, no DST, and a date-line jump.
const ZONES = ['Europe/Berlin', 'America/New_York', 'Australia/Sydney', 'Asia/Kolkata', 'Asia/Kathmandu', 'America/St_Johns', 'Pacific/Apia', 'UTC', 'Europe/London', 'America/Sao_Paulo'];
const instant = fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2045, 0, 1) });
const zone = fc.constantFrom(...ZONES);

describe('zoned local times', () => {
  it('the local day, the days around it and times of day match luxon', () => {
    fc.assert(
      fc.property(instant, zone, fc.integer({ min: -40, max: 40 }), fc.integer({ min: 0, max: 86_399 }), (at, z, days, seconds) => {
        const ours = startOfDay(zonedAt(at, z));
        const theirs = DateTime.fromMillis(at, { zone: z }).startOf('day');
        expect(ours.ts).toBe(theirs.toMillis());
        expect(weekdayOf(ours)).toBe(theirs.weekday);
        expect(isoDateOf(ours)).toBe(theirs.toISODate());
        const later = startOfDay(plusDays(ours, days));
        const theirsLater = theirs.plus({ days }).startOf('day');
        expect(later.ts).toBe(theirsLater.toMillis());
        const at2 = atTimeOfDay(later, seconds).ts;
        expect(at2).toBe(theirsLater.set({ hour: Math.floor(seconds / 3600), minute: Math.floor((seconds % 3600) / 60), second: seconds % 60, millisecond: 0 }).toMillis());
      }),
      { numRuns: 3_000 },
    );
  });

  it('times of day on the days DST starts and ends (gaps move forward, folds keep the day\'s offset) match luxon', () => {
    const days = [
      ['Europe/Berlin', '2026-03-29'],
      ['Europe/Berlin', '2026-10-25'],
      ['America/New_York', '2026-03-08'],
      ['America/New_York', '2026-11-01'],
      ['Australia/Sydney', '2026-04-05'],
      ['Australia/Sydney', '2026-10-04'],
    ] as const;
    for (const [z, date] of days) {
      const theirs = DateTime.fromISO(date, { zone: z }).startOf('day');
      const ours = startOfDay(zonedAt(theirs.toMillis(), z));
      for (let s = 0; s < 86_400; s += 900) {
        expect(atTimeOfDay(ours, s).ts, `${z} ${date} +${s}s`).toBe(theirs.set({ hour: Math.floor(s / 3600), minute: Math.floor((s % 3600) / 60), second: 0, millisecond: 0 }).toMillis());
      }
    }
  });

  it('reads an instant as luxon\'s "ccc d LLL yyyy HH:mm[:ss]" in en-GB does', () => {
    fc.assert(
      fc.property(instant, zone, (at, z) => {
        const t = DateTime.fromMillis(at, { zone: z, locale: 'en-GB' });
        expect(readableLocal(at, z)).toBe(t.toFormat(t.second ? 'ccc d LLL yyyy HH:mm:ss' : 'ccc d LLL yyyy HH:mm'));
      }),
      { numRuns: 500 },
    );
  });

  it('knows the zones and the real dates luxon knows', () => {
    for (const z of [...ZONES, 'Mars/Olympus', '', 'Europe/Berln', 'EST5EDT']) expect(isValidZone(z), z).toBe(IANAZone.isValidZone(z));
    for (const d of ['2026-02-28', '2026-02-29', '2028-02-29', '2026-04-31', '2026-13-01', '0000-01-01']) expect(isRealIsoDate(d), d).toBe(DateTime.fromISO(d, { zone: 'UTC' }).isValid);
  });
});
