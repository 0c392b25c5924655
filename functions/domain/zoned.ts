// Domain: local dates and times in an IANA time zone, from the runtime's own Intl data (no library in the bundle).
// Only what working calendars need (functions/domain/calendar.ts): the local day of an instant, the day before and
// after, an instant at a local time of day, the weekday, the ISO date and a readable local time.
//
// It follows luxon's rules exactly (the calendars were written and tested against luxon): a zoned time is an instant
// plus the offset it was read with, and turning local fields into an instant starts from that offset and corrects
// once (luxon's fixOffset) — so a local time skipped by a DST change moves forward, and one that occurs twice takes
// the offset the day started with. luxon cost every function about 70 KB of bundle (bench/deployed.ts).

/** An instant as read in a zone: `o` is the zone's UTC offset (minutes) at it. */
export interface Zoned {
  readonly ts: number;
  readonly o: number;
  readonly zone: string;
}

interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();
function formatOf(zone: string): Intl.DateTimeFormat {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      hourCycle: 'h23',
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      era: 'short',
    });
    formats.set(zone, f);
  }
  return f;
}

/** Whether the runtime knows the IANA zone. */
export function isValidZone(zone: string): boolean {
  if (!zone) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone }).format();
    return true;
  } catch {
    return false;
  }
}

/** Local fields as if they were UTC, in milliseconds (Date.UTC, also for years below 100). */
function localTs(f: Fields): number {
  let d = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second, f.millisecond);
  if (f.year < 100 && f.year >= 0) {
    const date = new Date(d);
    date.setUTCFullYear(f.year, f.month - 1, f.day);
    d = +date;
  }
  return d;
}

/** The zone's UTC offset in minutes at an instant. */
export function offsetAt(zone: string, ts: number): number {
  const parts = formatOf(zone).formatToParts(new Date(ts));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  let year = Number(get('year'));
  if (get('era') === 'BC') year = -Math.abs(year) + 1;
  const hour = Number(get('hour'));
  const asUtc = localTs({ year, month: Number(get('month')), day: Number(get('day')), hour: hour === 24 ? 0 : hour, minute: Number(get('minute')), second: Number(get('second')), millisecond: 0 });
  const over = ts % 1000;
  const asTs = ts - (over >= 0 ? over : 1000 + over);
  return (asUtc - asTs) / 60_000;
}

/** luxon's fixOffset: local fields (as UTC ms) to an instant, starting from the guess `o`. */
function fix(local: number, o: number, zone: string): Zoned {
  let guess = local - o * 60_000;
  const o2 = offsetAt(zone, guess);
  if (o === o2) return { ts: guess, o, zone };
  guess -= (o2 - o) * 60_000;
  const o3 = offsetAt(zone, guess);
  if (o2 === o3) return { ts: guess, o: o2, zone };
  return { ts: local - Math.min(o2, o3) * 60_000, o: Math.max(o2, o3), zone };
}

export function fieldsOf(z: Zoned): Fields {
  const d = new Date(z.ts + z.o * 60_000);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    millisecond: d.getUTCMilliseconds(),
  };
}

export function zonedAt(ts: number, zone: string): Zoned {
  return { ts, o: offsetAt(zone, ts), zone };
}

/** The same day at a local time of day (seconds, below 24 h). */
export function atTimeOfDay(z: Zoned, seconds: number): Zoned {
  const f = fieldsOf(z);
  return fix(localTs({ ...f, hour: Math.floor(seconds / 3600), minute: Math.floor((seconds % 3600) / 60), second: seconds % 60, millisecond: 0 }), z.o, z.zone);
}

export const startOfDay = (z: Zoned): Zoned => atTimeOfDay(z, 0);

/** `days` calendar days later (earlier when negative), at the same local time. */
export function plusDays(z: Zoned, days: number): Zoned {
  const f = fieldsOf(z);
  return fix(localTs({ ...f, day: f.day + days }), z.o, z.zone);
}

/** ISO weekday: 1 = Monday … 7 = Sunday. */
export function weekdayOf(z: Zoned): number {
  const f = fieldsOf(z);
  const d = new Date(Date.UTC(f.year, f.month - 1, f.day)).getUTCDay();
  return d === 0 ? 7 : d;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** YYYY-MM-DD of the local day. */
export function isoDateOf(z: Zoned): string {
  const f = fieldsOf(z);
  return `${f.year < 0 ? '-' : ''}${pad(Math.abs(f.year), 4)}-${pad(f.month)}-${pad(f.day)}`;
}

/** A real calendar date written YYYY-MM-DD (no 30 February). */
export function isRealIsoDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d); // not Date.UTC: it reads years 0–99 as 1900–1999
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

const readable = new Map<string, Intl.DateTimeFormat>();
/** e.g. "Mon 7 Dec 2026 12:30" (seconds when there are some), as en-GB readers write it in that zone. */
export function readableLocal(ts: number, zone: string): string {
  let f = readable.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone: zone, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' });
    readable.set(zone, f);
  }
  const parts = f.formatToParts(new Date(ts));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const t = fieldsOf(zonedAt(ts, zone));
  return `${get('weekday')} ${get('day')} ${get('month')} ${get('year')} ${pad(t.hour)}:${pad(t.minute)}${t.second ? `:${pad(t.second)}` : ''}`;
}
