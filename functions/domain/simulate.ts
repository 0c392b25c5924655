// Domain: what-if — replay real cases against a draft policy. Each case is re-created from its own creation input
// and then receives, at the same instants, the same human actions its timeline records (escalations and transfers
// by hand, pauses, resumes, priority changes, resolutions, reopenings, closes); the timer's own work (escalations
// when budgets run out, warnings, breaches, close-by) is left to the draft. The figures of what really happened and
// of the replay come from one function over timelines, so they are measured the same way.
// Pure and deterministic: a function of (cases, draft, asOf), with counter ids and no clock.
import type { ChangeContext } from './change.ts';
import { ConflictError, NotFoundError, ValidationError } from './errors.ts';
import { LEVELS, type CaseRecord, type Level, type TimelineEvent } from './model.ts';
import { changePriority, close, CreateCaseInput, escalate, newCase, pause, reopen, resolve, resume } from './operations.ts';
import { pinTerms, type Policy } from './policy.ts';
import { applyDueTimers } from './sla.ts';

/** A case and its recorded events, oldest first. */
export interface History {
  case: CaseRecord;
  events: readonly TimelineEvent[];
}

/**
 * The events a case built in memory carries: the one place that knows where the domain keeps a change's events.
 * A case read from the store carries none; a case built by replay carries every event since its creation.
 */
const recorded = (c: CaseRecord): readonly TimelineEvent[] => c.newEvents;

export interface Figures {
  cases: number;
  breached: number;
  /** Share of the cases whose top-level budget ran out (null without cases). */
  breachRate: number | null;
  overdue: number;
  /** Pre-breach warnings (each is an email to every manager of the level). */
  warnings: number;
  escalations: {
    /** The timer moved the case up: a level's budget ran out. By the level reached. */
    automatic: Record<Level, number>;
    /** By hand, by the level reached. */
    manual: Record<Level, number>;
    /** The close-by rule moved the case to the top level. */
    overdue: number;
    /** Functional escalations, by the department reached. */
    transfers: Record<string, number>;
  };
  /** How often cases arrived at each level and department (at creation, by escalation or transfer). */
  load: { byLevel: Record<Level, number>; byDepartment: Record<string, number> };
  /** Cases still OPEN or PAUSED at the end, by level and department. */
  open: { byLevel: Record<Level, number>; byDepartment: Record<string, number> };
}

export interface MovedDeadline {
  caseId: string;
  deadline: 'levelDueAt' | 'closeBy';
  actual: string;
  simulated: string;
  /** Positive: the draft gives more time. */
  movedByMs: number;
}

export interface SimulationReport {
  asOf: string;
  draft: { name: string; version: string };
  actual: Figures;
  simulated: Figures;
  /** Deadlines of cases open in both worlds that the draft would move (at most 100 listed, counts over all). */
  deadlines: { compared: number; moved: number; earlier: number; later: number; changes: MovedDeadline[] };
  /** Recorded actions the draft world could not take (e.g. a manual escalation to a level the case already passed). */
  skipped: { caseId: string; at: string; action: string; reason: string }[];
}

const MAX_LISTED = 100;
const perLevel = (): Record<Level, number> => ({ L0: 0, L1: 0, L2: 0, L3: 0 });
const bump = (r: Record<string, number>, k: string) => (r[k] = (r[k] ?? 0) + 1);

/** The figures over cases, from their recorded events (and, for what is open, their current state). */
export function figures(histories: readonly History[]): Figures {
  const cases = histories.map((h) => h.case);
  const f: Figures = {
    cases: cases.length,
    breached: 0,
    breachRate: null,
    overdue: 0,
    warnings: 0,
    escalations: { automatic: perLevel(), manual: perLevel(), overdue: 0, transfers: {} },
    load: { byLevel: perLevel(), byDepartment: {} },
    open: { byLevel: perLevel(), byDepartment: {} },
  };
  for (const { case: c, events } of histories) {
    let breached = false;
    let overdue = false;
    for (const e of events) {
      const level = e.changes?.['level']?.after as Level | undefined;
      const dept = e.changes?.['department']?.after as string | undefined;
      switch (e.type) {
        case 'created':
          bump(f.load.byLevel, String(e.data?.['level'] ?? c.level));
          bump(f.load.byDepartment, String(e.data?.['department'] ?? c.department));
          break;
        case 'escalated':
          if (level) {
            bump(e.data?.['automatic'] === true ? f.escalations.automatic : f.escalations.manual, level);
            bump(f.load.byLevel, level);
          }
          break;
        case 'transferred':
          if (dept) {
            bump(f.escalations.transfers, dept);
            bump(f.load.byDepartment, dept);
          }
          break;
        case 'sla.overdue':
          overdue = true;
          if (level) {
            f.escalations.overdue++;
            bump(f.load.byLevel, level);
          }
          break;
        case 'sla.breached':
          breached = true;
          break;
        case 'sla.warning':
          f.warnings++;
          break;
      }
    }
    if (breached) f.breached++;
    if (overdue) f.overdue++;
    if (c.status === 'OPEN' || c.status === 'PAUSED') {
      bump(f.open.byLevel, c.level);
      bump(f.open.byDepartment, c.department);
    }
  }
  f.breachRate = cases.length ? f.breached / cases.length : null;
  return f;
}

type Action = (c: CaseRecord, ctx: ChangeContext) => CaseRecord;

/** The human action a recorded event stands for, or undefined for the timer's own work and for bookkeeping. */
function actionOf(e: TimelineEvent): { name: string; apply: Action } | undefined {
  if (e.actor.kind === 'system') return undefined;
  const summary = e.summary ?? e.type;
  const to = (k: string) => e.changes?.[k]?.after;
  switch (e.type) {
    case 'escalated':
      return { name: 'escalate', apply: (c, ctx) => escalate(c, { kind: 'hierarchical', summary, toLevel: to('level') as Level }, ctx) };
    case 'transferred':
      return { name: 'transfer', apply: (c, ctx) => escalate(c, { kind: 'functional', summary, toDepartment: String(to('department')) }, ctx) };
    case 'paused':
      return { name: 'pause', apply: (c, ctx) => pause(c, { reason: summary }, ctx) };
    case 'resumed':
      return { name: 'resume', apply: (c, ctx) => resume(c, { reason: summary }, ctx) };
    case 'resolved':
      return { name: 'resolve', apply: (c, ctx) => resolve(c, { resolution: summary }, ctx) };
    case 'reopened':
      return { name: 'reopen', apply: (c, ctx) => reopen(c, { reason: summary }, ctx) };
    case 'closed':
      return { name: 'close', apply: (c, ctx) => close(c, { reason: summary }, ctx) };
    case 'priority.changed':
      return { name: 'change priority', apply: (c, ctx) => changePriority(c, { priority: to('priority') as CaseRecord['priority'], summary }, ctx) };
    default:
      return undefined;
  }
}

/** One case replayed under the draft up to `asOf`, with the history the replay recorded. */
export function replayCase({ case: real, events }: History, draft: Policy, asOf: Date, skipped: SimulationReport['skipped'] = []): History {
  let n = 0;
  const newId = () => `sim-${String(++n).padStart(6, '0')}`;
  const created = events.find((e) => e.type === 'created');
  const actorAt = (e: TimelineEvent | undefined, at: string): ChangeContext => ({
    now: new Date(at),
    actor: e?.actor ?? { kind: 'system', id: 'simulation' },
    policy: draft,
    newId,
  });
  const input = CreateCaseInput.parse({
    customer: real.customer,
    subject: real.subject,
    description: real.description,
    priority: (created?.data?.['priority'] as string | undefined) ?? real.priority,
    ...(real.category ? { category: real.category } : {}),
  });
  let c = newCase(real.id, input, actorAt(created, real.createdAt));
  for (const e of events) {
    if (Date.parse(e.at) > asOf.getTime()) break;
    const action = actionOf(e);
    if (!action) continue;
    const ctx = actorAt(e, e.at);
    c = applyDueTimers(c, ctx);
    try {
      c = action.apply(c, ctx);
    } catch (err) {
      if (!(err instanceof ConflictError || err instanceof ValidationError || err instanceof NotFoundError)) throw err;
      skipped.push({ caseId: real.id, at: e.at, action: action.name, reason: err.message });
    }
  }
  const end = applyDueTimers(c, actorAt(undefined, asOf.toISOString()));
  return { case: end, events: recorded(end) };
}

/** Replay every case against the draft and compare with what really happened (the cases as they are at `asOf`). */
export function simulate(histories: readonly History[], draft: Policy, asOf: Date): SimulationReport {
  const skipped: SimulationReport['skipped'] = [];
  const sorted = [...histories].sort((a, b) => a.case.createdAt.localeCompare(b.case.createdAt) || a.case.id.localeCompare(b.case.id));
  const replayed = sorted.map((h) => replayCase(h, draft, asOf, skipped));
  const changes: MovedDeadline[] = [];
  let compared = 0;
  sorted.forEach(({ case: real }, i) => {
    const sim = replayed[i]!.case;
    const open = (c: CaseRecord) => c.status === 'OPEN' || c.status === 'PAUSED';
    if (!open(real) || !open(sim)) return;
    for (const deadline of ['levelDueAt', 'closeBy'] as const) {
      compared++;
      const [a, s] = [real.sla[deadline], sim.sla[deadline]];
      if (a !== s) changes.push({ caseId: real.id, deadline, actual: a, simulated: s, movedByMs: Date.parse(s) - Date.parse(a) });
    }
  });
  return {
    asOf: asOf.toISOString(),
    draft: { name: draft.name, version: pinTerms(draft).version },
    actual: figures(sorted),
    simulated: figures(replayed),
    deadlines: {
      compared,
      moved: changes.length,
      earlier: changes.filter((d) => d.movedByMs < 0).length,
      later: changes.filter((d) => d.movedByMs > 0).length,
      changes: changes.slice(0, MAX_LISTED),
    },
    skipped: skipped.slice(0, MAX_LISTED),
  };
}

export { LEVELS };
