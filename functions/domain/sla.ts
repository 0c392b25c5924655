// Domain: deadlines and the timer's decisions — what is due at `now`, and when the case next needs waking.
// Budgets, the warning share and the follow-up are working time on the case's calendar (round the clock without
// one); every deadline is still an absolute instant, so the workflow's Wait does not change.
import type { WorkingClock } from './calendar.ts';
import { calendarNameFor, clockOf, closeByMs, departmentCalendarName, followUpMs, levelBudgetMs, pinTerms, type Policy, type SlaTerms } from './policy.ts';
import { levelIndex, nextLevel, TOP_LEVEL, type CaseRecord, type Level, type Priority, type Sla } from './model.ts';
import { appendEvents, type ChangeContext, systemActor } from './change.ts';

const iso = (ms: number) => new Date(ms).toISOString();

// ---- which terms and which clock time a case (one place for the rule) ----

/** The terms that time a case: those it pinned at creation, else (cases from before pinning) the current policy. */
export function termsOf(c: Pick<CaseRecord, 'slaTerms'>, policy: Policy): SlaTerms {
  return c.slaTerms ?? policy;
}

/** The clock a case's budgets run on: its priority and department decide the calendar. */
export function caseClock(c: Pick<CaseRecord, 'priority' | 'department' | 'slaTerms'>, policy: Policy): WorkingClock {
  const terms = termsOf(c, policy);
  return clockOf(terms, calendarNameFor(terms, c.priority, c.department));
}

/** The working hours of the people a case's warnings go to: its department's calendar, even for a round-the-clock priority. */
export function recipientsClock(c: Pick<CaseRecord, 'department' | 'slaTerms'>, policy: Policy): WorkingClock {
  const terms = termsOf(c, policy);
  return clockOf(terms, departmentCalendarName(terms, c.department));
}

/** The end of the current level's budget if it starts at `start`: the budget in working time on the case's clock. */
export function levelDueFrom(c: CaseRecord, start: string, policy: Policy): string {
  const terms = termsOf(c, policy);
  return iso(caseClock(c, policy).add(Date.parse(start), levelBudgetMs(terms, c.priority, c.level, c.department)));
}

/** The close-by deadline of a case created at `createdAt`: calendar time unless the terms say working time. */
export function closeByFrom(c: CaseRecord, createdAt: string, policy: Policy): string {
  const terms = termsOf(c, policy);
  const start = Date.parse(createdAt);
  return iso(terms.closeByCounts === 'working-time' ? caseClock(c, policy).add(start, closeByMs(terms)) : start + closeByMs(terms));
}

/** When the follow-up survey of a resolved case is due: the follow-up delay in working time after resolution. */
export function followUpAt(c: CaseRecord, policy: Policy): string | undefined {
  if (!c.resolvedAt) return undefined;
  return iso(caseClock(c, policy).add(Date.parse(c.resolvedAt), followUpMs(termsOf(c, policy))));
}

/**
 * The level's deadlines after a pause from `pausedAt` to `now`: both move by the working time the pause covered, so
 * the budget left when the pause began is the budget left when it ends — never less (a pause outside working
 * hours moves nothing; round the clock this is the pause's wall-clock length).
 */
export function unpausedSla(c: CaseRecord, now: Date, policy: Policy): Sla {
  const { pausedAt, ...rest } = c.sla;
  if (!pausedAt) return rest;
  const clock = caseClock(c, policy);
  const paused = clock.between(Date.parse(pausedAt), now.getTime());
  return {
    ...rest,
    levelStartedAt: iso(clock.add(Date.parse(rest.levelStartedAt), paused)),
    levelDueAt: iso(clock.add(Date.parse(rest.levelDueAt), paused)),
  };
}

/** The SLA of a new case: the starting level's budget from now, and the close-by deadline, under the pinned terms. */
export function initialSla(createdAt: string, priority: Priority, level: Level, department: string, policy: Policy): Sla {
  const c = { priority, level, department, slaTerms: pinTerms(policy) } as CaseRecord;
  return {
    levelStartedAt: createdAt,
    levelDueAt: levelDueFrom(c, createdAt, policy),
    closeBy: closeByFrom(c, createdAt, policy),
    warned: false,
    breached: false,
    overdue: false,
    policyVersion: pinTerms(policy).version,
  };
}

/** Start a fresh budget for the case's (new) level or department at `startAt`, keeping a pause in force. */
export function restartLevelBudget(c: CaseRecord, startAt: string, policy: Policy): Sla {
  const start = c.sla.pausedAt ?? startAt;
  return {
    ...c.sla,
    levelStartedAt: start,
    levelDueAt: levelDueFrom(c, start, policy),
    warned: false,
  };
}

/**
 * When the pre-breach warning of the current level is due, or undefined when warnings are off or sent: the share of
 * the level's working time, moved into the recipients' working hours (a warning at 3 a.m. helps nobody). One that
 * would only reach them at or after the deadline is not sent: the breach alert says it then.
 */
export function warningAt(c: CaseRecord, policy: Policy): string | undefined {
  const { sla } = c;
  const { warnAt } = termsOf(c, policy);
  if (warnAt === null || sla.warned || sla.breached) return undefined;
  const clock = caseClock(c, policy);
  const start = Date.parse(sla.levelStartedAt);
  const due = Date.parse(sla.levelDueAt);
  const share = clock.add(start, Math.floor(clock.between(start, due) * warnAt));
  const at = recipientsClock(c, policy).nextWorking(share);
  return at < due ? iso(at) : undefined;
}

/** What a wake-up is for: the ops console and the workflow route say it in these words. */
export type WakeUpPurpose = 'warning' | 'escalation' | 'breach' | 'close-by' | 'follow-up';
export interface WakeUp {
  at: string;
  purpose: WakeUpPurpose;
}

/** Every instant the timer still has to wake for, with what it will do then (unordered). */
function wakeUps(c: CaseRecord, policy: Policy): WakeUp[] {
  const candidates: WakeUp[] = [];
  const followUp = c.status === 'RESOLVED' ? followUpAt(c, policy) : undefined;
  if (followUp) candidates.push({ at: followUp, purpose: 'follow-up' });
  if (c.status === 'OPEN' || c.status === 'PAUSED') {
    if (!c.sla.overdue) candidates.push({ at: c.sla.closeBy, purpose: 'close-by' });
    if (c.status === 'OPEN' && !c.sla.breached) {
      const warn = warningAt(c, policy);
      candidates.push(warn ? { at: warn, purpose: 'warning' } : { at: c.sla.levelDueAt, purpose: nextLevel(c.level) ? 'escalation' : 'breach' });
    }
  }
  return candidates;
}

/** The next wake-up and its purpose, or null when nothing is left to wait for. Ties go to the close-by rule. */
export function nextWakeUpWithPurpose(c: CaseRecord, policy: Policy): WakeUp | null {
  const all = wakeUps(c, policy);
  if (all.length === 0) return null;
  return all.reduce((a, b) => (Date.parse(a.at) <= Date.parse(b.at) ? a : b));
}

/**
 * The next instant at which the timer has something to do, or null when nothing is left to wait for.
 * Pure: the workflow waits until this instant (Wait TimestampPath), then calls `applyDueTimers`.
 */
export function nextWakeUp(c: CaseRecord, policy: Policy): string | null {
  return nextWakeUpWithPurpose(c, policy)?.at ?? null;
}

/**
 * Everything that is due at `now`, applied in the order it fell due: level budgets that ran out move the case
 * up one level each (the next budget starts when the previous one ended, so a timer that wakes late after a
 * downtime reproduces exactly what would have happened on time), the top level's budget running out flags a
 * breach, the close-by deadline moves the case to the top level and flags it overdue, a pre-breach warning,
 * and the follow-up after resolution (which closes the case). Returns the case unchanged when nothing is due.
 */
export function applyDueTimers(c: CaseRecord, ctx: ChangeContext): CaseRecord {
  const { policy } = ctx;
  const now = ctx.now.getTime();
  const system = { ...ctx, actor: systemActor };
  let cur = c;
  for (let guard = 0; guard < 16; guard++) {
    const step = nextDue(cur, policy, now);
    if (!step || Date.parse(step.at) > now) break;
    const before = cur.newEvents.length;
    cur = step.apply(cur, { ...system, now: new Date(step.at) });
    if (now - Date.parse(step.at) > LATE_AFTER_MS) cur = markLate(cur, before, step.at, ctx.now.toISOString());
  }
  return cur;
}

/** A timer wake-up this much after the deadline (a downtime, a stopped laptop) is a late one, and says so. */
export const LATE_AFTER_MS = 60_000;

/**
 * Events applied on catch-up keep the instant they were due as their time (so the timeline reads as it would have
 * happened) and say when they were applied: `data.dueAt`, `data.appliedAt`, and the summary.
 */
function markLate(c: CaseRecord, from: number, dueAt: string, appliedAt: string): CaseRecord {
  const newEvents = c.newEvents.map((e, i) =>
    i < from ? e : { ...e, summary: `${e.summary ?? e.type} (due at ${dueAt}, applied late at ${appliedAt})`, data: { ...e.data, late: true, dueAt, appliedAt } },
  );
  return { ...c, newEvents };
}

interface DueStep {
  at: string;
  apply: (c: CaseRecord, ctx: ChangeContext) => CaseRecord;
}

/**
 * The earliest due step of the case at `now`, or undefined. Ties go to the close-by rule (it moves straight to the
 * top). A pre-breach warning is left out when it is already out of date at `now` — the level's budget ran out too,
 * or the close-by deadline passed — so a late wake-up never warns about a level the case has left.
 */
function nextDue(c: CaseRecord, policy: Policy, now: number): DueStep | undefined {
  const steps: DueStep[] = [];
  const followUpDue = c.status === 'RESOLVED' ? followUpAt(c, policy) : undefined;
  if (followUpDue) steps.push({ at: followUpDue, apply: followUp });
  if (c.status === 'OPEN' || c.status === 'PAUSED') {
    if (!c.sla.overdue) steps.push({ at: c.sla.closeBy, apply: overdue });
    if (c.status === 'OPEN' && !c.sla.breached) {
      const warn = warningAt(c, policy);
      const outOfDate = Date.parse(c.sla.levelDueAt) <= now || (!c.sla.overdue && Date.parse(c.sla.closeBy) <= now);
      if (warn && !outOfDate) steps.push({ at: warn, apply: warning });
      steps.push({ at: c.sla.levelDueAt, apply: budgetRanOut });
    }
  }
  return steps.sort((a, b) => Date.parse(a.at) - Date.parse(b.at))[0];
}

function budgetRanOut(c: CaseRecord, ctx: ChangeContext): CaseRecord {
  const to = nextLevel(c.level);
  if (!to) {
    const next = { ...c, sla: { ...c.sla, breached: true } };
    return appendEvents(c, next, ctx, [
      {
        type: 'sla.breached',
        summary: `The ${TOP_LEVEL} time budget ran out at ${c.sla.levelDueAt}; the case breached its SLA.`,
        changes: { 'sla.breached': { before: false, after: true } },
      },
    ]);
  }
  const moved = { ...c, level: to };
  const next = { ...moved, sla: restartLevelBudget(moved, c.sla.levelDueAt, ctx.policy) };
  return appendEvents(c, next, ctx, [
    {
      type: 'escalated',
      summary: `The ${c.level} time budget ran out at ${c.sla.levelDueAt}; escalated automatically from ${c.level} to ${to}.`,
      changes: { level: { before: c.level, after: to }, 'sla.levelDueAt': { before: c.sla.levelDueAt, after: next.sla.levelDueAt } },
      data: { kind: 'hierarchical', automatic: true, reason: 'sla' },
    },
  ]);
}

function overdue(c: CaseRecord, ctx: ChangeContext): CaseRecord {
  const toTop = levelIndex(c.level) < levelIndex(TOP_LEVEL);
  const moved: CaseRecord = { ...c, level: TOP_LEVEL };
  const sla = toTop ? restartLevelBudget(moved, c.sla.closeBy, ctx.policy) : c.sla;
  const next = { ...moved, sla: { ...sla, overdue: true } };
  return appendEvents(c, next, ctx, [
    {
      type: 'sla.overdue',
      summary: toTop
        ? `Not resolved by the close-by deadline ${c.sla.closeBy}; flagged overdue and escalated from ${c.level} to ${TOP_LEVEL}.`
        : `Not resolved by the close-by deadline ${c.sla.closeBy}; flagged overdue.`,
      changes: {
        'sla.overdue': { before: false, after: true },
        ...(toTop ? { level: { before: c.level, after: TOP_LEVEL } } : {}),
      },
      data: { automatic: true },
    },
  ]);
}

function warning(c: CaseRecord, ctx: ChangeContext): CaseRecord {
  const next = { ...c, sla: { ...c.sla, warned: true } };
  return appendEvents(c, next, ctx, [
    {
      type: 'sla.warning',
      summary: `${Math.round((termsOf(c, ctx.policy).warnAt ?? 0) * 100)}% of the ${c.level} time budget is used; it runs out at ${c.sla.levelDueAt}.`,
      data: { level: c.level, startedAt: c.sla.levelStartedAt, dueAt: c.sla.levelDueAt },
    },
  ]);
}

function followUp(c: CaseRecord, ctx: ChangeContext): CaseRecord {
  const at = ctx.now.toISOString();
  const next: CaseRecord = { ...c, status: 'CLOSED', closedAt: at };
  return appendEvents(c, next, ctx, [
    { type: 'followed-up', summary: 'Sent the customer the satisfaction survey.' },
    { type: 'closed', summary: 'Closed automatically after the follow-up.', changes: { status: { before: c.status, after: 'CLOSED' } } },
  ]);
}
