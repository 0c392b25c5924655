// Domain: the figures ops steer by, computed from cases alone (pure). Definitions are part of the API contract
// and documented in README.md ("Metrics").
import type { CaseRecord, Level } from './model.ts';
import { LEVELS } from './model.ts';

export interface Metrics {
  window: { from: string; to: string };
  /** Cases created in the window. */
  cases: number;
  /** Of those, the share whose top-level budget ran out (sla.breached). */
  breachRate: number | null;
  /** Created → resolved, in seconds, over cases of the window that are resolved or closed. */
  resolutionTimeSeconds: { median: number | null; p90: number | null; count: number };
  /** Of the window's cases whose outcome is known (resolved, or past their close-by deadline), the share resolved by closeBy. */
  closedWithinDeadlineRate: number | null;
  escalations: { automatic: number; manual: number; transfers: number };
  repeat: {
    /** Customers with more than one case in the window. */
    customersWithMultipleCases: number;
    customers: number;
    /** Cases of the window reopened at least once, and the reopenings in all. */
    reopenedCases: number;
    reopenings: number;
  };
  csat: { average: number | null; responses: number; surveyed: number; responseRate: number | null };
  /** Open and paused cases right now (any creation date), by level and by department. */
  open: { total: number; byLevel: Record<Level, number>; byDepartment: Record<string, number> };
}

const ratio = (n: number, d: number): number | null => (d === 0 ? null : n / d);

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export function computeMetrics(windowCases: CaseRecord[], openCases: CaseRecord[], window: { from: string; to: string }, now: Date): Metrics {
  const resolved = windowCases.filter((c) => c.resolvedAt);
  const durations = resolved.map((c) => (Date.parse(c.resolvedAt!) - Date.parse(c.createdAt)) / 1000).sort((a, b) => a - b);
  const known = windowCases.filter((c) => c.resolvedAt || Date.parse(c.sla.closeBy) <= now.getTime());
  const inTime = known.filter((c) => c.resolvedAt && Date.parse(c.resolvedAt) <= Date.parse(c.sla.closeBy));

  const escalations = { automatic: 0, manual: 0, transfers: 0 };
  let surveyed = 0;
  for (const c of windowCases) {
    for (const e of c.timeline) {
      if (e.type === 'escalated') e.data?.['automatic'] ? escalations.automatic++ : escalations.manual++;
      if (e.type === 'sla.overdue' && e.changes?.['level']) escalations.automatic++;
      if (e.type === 'transferred') escalations.transfers++;
      if (e.type === 'followed-up') surveyed++;
    }
  }
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
