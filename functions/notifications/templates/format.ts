// Notifications: plain-words formatting shared by the email templates (dates, spans, money, names). Pure.
import type { Level } from '../../domain/model.ts';

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const pad = (n: number) => String(n).padStart(2, '0');

/** "Sunday 22 November 2026, 09:00 UTC"; an unparseable instant is returned as given. */
export function dateTimeWords(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${dateWords(iso)}, ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

/** "Sunday 22 November 2026" (UTC); an unparseable instant is returned as given. */
export function dateWords(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${WEEKDAYS[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

/** A span in the two largest units: "2 days 3 hours", "45 minutes", "less than a minute". */
export function spanWords(ms: number): string {
  if (!Number.isFinite(ms) || ms < 60_000) return 'less than a minute';
  const units: [string, number][] = [['day', 86_400_000], ['hour', 3_600_000], ['minute', 60_000]];
  const parts: string[] = [];
  let rest = ms;
  for (const [name, size] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 && parts.length < 2) parts.push(`${n} ${name}${n === 1 ? '' : 's'}`);
    else if (parts.length > 0) break;
  }
  return parts.join(' ');
}

/** "1,250.5 USD" — grouped, at most two decimals. */
export function money(amount: number, currency: string): string {
  const n = amount.toLocaleString('en-US', { minimumFractionDigits: Number.isInteger(amount) ? 0 : 2, maximumFractionDigits: 2 });
  return `${n} ${currency}`.trim();
}

/** "billing-ops" → "Billing Ops". */
export function titleCase(name: string): string {
  return name
    .split(/[-_\s]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join(' ');
}

/** Who is looking at the case, in words a customer understands (no internal level names). */
export const CUSTOMER_OWNER: Record<Level, string> = {
  L0: 'a member of our support team',
  L1: 'a senior support specialist',
  L2: 'a specialist team lead',
  L3: 'our leadership team',
};

/** The level as managers know it. */
export const INTERNAL_LEVEL: Record<Level, string> = {
  L0: 'L0 (frontline)',
  L1: 'L1 (senior agent)',
  L2: 'L2 (specialist/manager)',
  L3: 'L3 (executive)',
};

/** A value from an event's free-form data, as a string when it is one. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
