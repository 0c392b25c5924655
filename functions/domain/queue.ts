// Domain: where a case stands in the ops queue — its next deadline, and when it becomes "at risk". Pure; the
// repository stores these as the keys of the queue index so the queue is read in deadline order, never scanned.
import type { Policy } from './policy.ts';
import type { CaseRecord } from './model.ts';

/** When the policy sends no pre-breach warnings, a case is at risk once this share of its level's budget is used. */
export const DEFAULT_AT_RISK_SHARE = 0.75;

export type DeadlineKind = 'level' | 'close-by';
export interface NextDeadline {
  at: string;
  /** `level`: the current level's budget runs out (escalation, or a breach at the top); `close-by`: the 30-day rule. */
  kind: DeadlineKind;
}

/**
 * The deadline that falls first for an open case; null once resolved or closed. A paused case's level clock is
 * stopped, so only its close-by deadline runs. A breached case keeps its (past) level deadline: it sorts first.
 */
export function nextDeadline(c: Pick<CaseRecord, 'status' | 'sla'>): NextDeadline | null {
  if (c.status !== 'OPEN' && c.status !== 'PAUSED') return null;
  if (c.status === 'PAUSED' || Date.parse(c.sla.closeBy) <= Date.parse(c.sla.levelDueAt)) return { at: c.sla.closeBy, kind: 'close-by' };
  return { at: c.sla.levelDueAt, kind: 'level' };
}

/** From when an open case counts as at risk: the policy's warning share of its level's budget (never while paused). */
export function atRiskFrom(c: Pick<CaseRecord, 'status' | 'sla'>, policy: Pick<Policy, 'warnAt'>): string | null {
  if (c.status !== 'OPEN') return null;
  const start = Date.parse(c.sla.levelStartedAt);
  const span = Date.parse(c.sla.levelDueAt) - start;
  return new Date(start + Math.floor(span * (policy.warnAt ?? DEFAULT_AT_RISK_SHARE))).toISOString();
}

/** At risk: warned, breached, overdue, or past the at-risk share of its level's budget at `now`. */
export function isAtRisk(c: Pick<CaseRecord, 'status' | 'sla'>, policy: Pick<Policy, 'warnAt'>, now: Date): boolean {
  if (c.status !== 'OPEN' && c.status !== 'PAUSED') return false;
  if (c.sla.warned || c.sla.breached || c.sla.overdue) return true;
  const from = atRiskFrom(c, policy);
  return from !== null && Date.parse(from) <= now.getTime();
}

/** The queue index's attributes (sparse: only open and paused cases carry them). */
export function queueAttributes(c: Pick<CaseRecord, 'status' | 'sla'>, policy: Pick<Policy, 'warnAt'>): { queue: 'OPEN'; dueAt: string; riskAt?: string } | Record<string, never> {
  const due = nextDeadline(c);
  if (!due) return {};
  const risk = atRiskFrom(c, policy);
  return { queue: 'OPEN', dueAt: due.at, ...(risk ? { riskAt: risk } : {}) };
}
