// Secondary adapter: how a case, its events, its emails and an idempotency record are laid out as items of the cases
// table (keys: case-table-schema.ts), and back. Pure: the store, the email store, the queries and the tests share it.
import type { EmailRecord, IdempotencyRecord } from '../app/ports.ts';
import { getPolicy } from '../commons/config.ts';
import { emptyStats, type CaseRecord, type OutboxEntry, type TimelineEvent } from '../domain/model.ts';
import { queueAttributes } from '../domain/queue.ts';
import { keys } from './case-table-schema.ts';

/** Attributes of a case item that are storage bookkeeping, not part of the case. */
const CASE_BOOKKEEPING = ['pk', 'sk', 'kind', 'customerId', 'attention', 'attentionSince', 'queue', 'dueAt', 'riskAt'] as const;
/** Idempotency records are kept this long (TTL); a retry after that is a new request. */
const IDEMPOTENCY_KEEP_S = 24 * 3600;

export function caseItem(c: CaseRecord): Record<string, unknown> {
  const { newEvents: _e, owedEmails: _o, ...state } = c;
  return {
    ...keys.case(c.id),
    kind: 'CASE',
    customerId: c.customer.id,
    ...(c.timer.pending ? { attention: 'Y', attentionSince: c.updatedAt } : {}),
    // queue/dueAt/riskAt: the ops queue's sparse index (open and paused cases by next deadline).
    ...queueAttributes(c, getPolicy()),
    ...state,
  };
}

export function fromCaseItem(item: Record<string, unknown>): CaseRecord {
  const rec = { ...item };
  for (const k of CASE_BOOKKEEPING) delete rec[k];
  return { compensations: [], reopenCount: 0, stats: emptyStats(), ...rec, newEvents: [], owedEmails: [] } as unknown as CaseRecord;
}

export function eventItem(caseId: string, e: TimelineEvent): Record<string, unknown> {
  return { ...keys.event(caseId, e.id), itemType: 'EVENT', caseId, ...e };
}

export function fromEventItem(item: Record<string, unknown>): TimelineEvent {
  const { pk: _p, sk: _s, itemType: _t, caseId: _c, ...e } = item;
  return e as unknown as TimelineEvent;
}

export function emailItem(caseId: string, o: OutboxEntry, owedAt: string): Record<string, unknown> {
  return {
    ...keys.email(caseId, o.eventId, o.template, o.to),
    itemType: 'EMAIL',
    caseId,
    ...o,
    state: 'OWED',
    owedAt,
    attention: 'Y',
    attentionSince: owedAt,
  };
}

export function fromEmailItem(item: Record<string, unknown>): EmailRecord {
  const { pk: _p, sk: _s, itemType: _t, attention: _a, attentionSince: _as, ...e } = item;
  return e as unknown as EmailRecord;
}

export const emailKeyOf = (e: Pick<EmailRecord, 'caseId' | 'eventId' | 'template' | 'to'>) => keys.email(e.caseId, e.eventId, e.template, e.to);

/** `<caseId>/<eventId>/<template>/<to>` → its item key. */
export function emailItemKey(caseId: string, key: string) {
  const [, eventId = '', template = '', ...rest] = key.split('/');
  return keys.email(caseId, eventId, template, rest.join('/'));
}

export function idempotencyItem(record: IdempotencyRecord): Record<string, unknown> {
  return { ...keys.idempotency(record.clientId, record.key), record, expiresAt: Math.floor(Date.now() / 1000) + (record.keepSeconds ?? IDEMPOTENCY_KEEP_S) };
}
