// Domain: how every change is recorded — timeline events appended, the notifications they owe queued.
import type { Policy } from './policy.ts';
import { emptyStats, type Actor, type CaseRecord, type CaseStats, type TimelineEvent } from './model.ts';
import { notificationsFor } from './notifications.ts';

export interface ChangeContext {
  now: Date;
  actor: Actor;
  policy: Policy;
  /** Unique, sortable ids for events and compensations (ULIDs in production, a counter in tests). */
  newId: () => string;
  idempotencyKey?: string | undefined;
}

export const systemActor: Actor = { kind: 'system', id: 'escalation-timer' };

export type NewEvent = Omit<TimelineEvent, 'id' | 'at' | 'actor'>;

/**
 * The case after a change: `next` with the events it appends (`newEvents`), the emails those events owe
 * (`owedEmails`), its stats counted on and `updatedAt` moved. The store writes the events and emails as items of their
 * own in the change's transaction; events are never rewritten.
 */
export function appendEvents(before: CaseRecord, next: CaseRecord, ctx: ChangeContext, events: NewEvent[]): CaseRecord {
  const at = ctx.now.toISOString();
  const full: TimelineEvent[] = events.map((e) => ({
    id: ctx.newId(),
    at,
    actor: ctx.actor,
    ...e,
    ...(ctx.idempotencyKey ? { idempotencyKey: ctx.idempotencyKey } : {}),
  }));
  const result: CaseRecord = {
    ...next,
    updatedAt: at,
    newEvents: [...before.newEvents, ...full],
    stats: full.reduce(countEvent, next.stats ?? emptyStats()),
    ...(full.length ? { lastEventId: full.at(-1)!.id } : {}),
  };
  const owed = full.flatMap((e) => notificationsFor(e, before, result, ctx.policy));
  return { ...result, owedEmails: [...before.owedEmails, ...owed] };
}

/** The running counts the metrics read instead of the history (functions/domain/metrics.ts defines them). */
function countEvent(s: CaseStats, e: TimelineEvent): CaseStats {
  const esc = { ...s.escalations };
  if (e.type === 'escalated') e.data?.['automatic'] ? esc.automatic++ : esc.manual++;
  if (e.type === 'sla.overdue' && e.changes?.['level']) esc.automatic++;
  if (e.type === 'transferred') esc.transfers++;
  return { escalations: esc, surveyed: s.surveyed || e.type === 'followed-up' };
}
