// Secondary adapter: cases in one DynamoDB table (layout: case-table-schema.ts). Every change is one
// TransactWriteItems — the case item conditional on its version, its new events and owed emails as their own items, and
// the idempotency record when there is one — so a case's history grows as items and a write costs what it adds.
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type BatchGetCommandOutput,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { ddb } from '../commons/clients/dynamodb.ts';
import { tableName } from '../commons/config.ts';
import { ValidationError } from '../domain/errors.ts';
import { emptyStats, type CaseRecord, type Level, type OutboxEntry, type Priority, type Status, type TimelineEvent } from '../domain/model.ts';
import {
  CaseExistsError,
  IdempotencyRecordExistsError,
  ReferenceTakenError,
  StaleVersionError,
  type AttentionIndex,
  type AttentionItem,
  type CaseCommit,
  type CaseStore,
  type DeliveryContext,
  type EmailRecord,
  type EmailStore,
  type IdempotencyRecord,
} from '../app/ports.ts';
import { CASE_INDEXES, caseIdOfPk, EVENT_PREFIX, itemKind, keys, type CaseIndexName } from './case-table-schema.ts';
import { ulidFloor } from './ulid-bounds.ts';
import { getPolicy } from '../commons/config.ts';
import { queueAttributes } from '../domain/queue.ts';

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

function eventItem(caseId: string, e: TimelineEvent): Record<string, unknown> {
  return { ...keys.event(caseId, e.id), itemType: 'EVENT', caseId, ...e };
}

function fromEventItem(item: Record<string, unknown>): TimelineEvent {
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

const emailKeyOf = (e: Pick<EmailRecord, 'caseId' | 'eventId' | 'template' | 'to'>) => keys.email(e.caseId, e.eventId, e.template, e.to);

/** `<caseId>/<eventId>/<template>/<to>` → its item key. */
export function emailItemKey(caseId: string, key: string) {
  const [, eventId = '', template = '', ...rest] = key.split('/');
  return keys.email(caseId, eventId, template, rest.join('/'));
}

export interface CaseQuery {
  reference?: string | undefined;
  status?: Status | undefined;
  level?: Level | undefined;
  priority?: Priority | undefined;
  department?: string | undefined;
  customerId?: string | undefined;
  breached?: boolean | undefined;
  createdFrom?: string | undefined;
  createdTo?: string | undefined;
  limit: number;
  cursor?: string | undefined;
  /** oldest first instead of newest first */
  ascending?: boolean;
  /** `nextDeadline`: open and paused cases, the one whose deadline falls first first (the queue index). */
  sort?: 'newest' | 'nextDeadline' | undefined;
  overdue?: boolean | undefined;
  /** Warned, breached, overdue or past the at-risk share of the level's budget at `now`. */
  atRisk?: boolean | undefined;
  now?: Date | undefined;
}

export interface CasePage {
  items: CaseRecord[];
  nextCursor: string | null;
}

/** One page of a case's timeline: its events oldest first, each followed by the emails it owed. */
export interface TimelinePage {
  entries: ({ kind: 'event'; event: TimelineEvent } | { kind: 'email'; email: EmailRecord })[];
  nextCursor: string | null;
}

export const caseRepository: CaseStore & EmailStore & AttentionIndex & {
  list(q: CaseQuery): Promise<CasePage>;
  timelinePage(caseId: string, limit: number, cursor?: string): Promise<TimelinePage>;
  openCounts(): Promise<{ total: number; byLevel: Record<string, number>; byDepartment: Record<string, number>; byStatus: Record<string, number> }>;
} = {
  async get(id) {
    const r = await ddb.send(new GetCommand({ TableName: tableName(), Key: keys.case(id), ConsistentRead: true }));
    return r.Item ? fromCaseItem(r.Item) : undefined;
  },

  async getIdempotency(clientId, key) {
    const r = await ddb.send(new GetCommand({ TableName: tableName(), Key: keys.idempotency(clientId, key), ConsistentRead: true }));
    return r.Item ? (r.Item['record'] as IdempotencyRecord) : undefined;
  },

  async getWithIdempotency(id, clientId, key) {
    const idem = keys.idempotency(clientId, key);
    const items = await batchGet([keys.case(id), idem]);
    const out: { case?: CaseRecord; record?: IdempotencyRecord } = {};
    for (const item of items) {
      if (item['pk'] === idem.pk) out.record = item['record'] as IdempotencyRecord;
      else out.case = fromCaseItem(item);
    }
    return out;
  },

  async commit(change: CaseCommit) {
    const TableName = tableName();
    const c = change.case;
    const caseCondition =
      change.expectedVersion === null
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : { ConditionExpression: '#v = :v', ExpressionAttributeNames: { '#v': 'version' }, ExpressionAttributeValues: { ':v': change.expectedVersion } };
    // A new case claims its short reference in the same transaction, so no two cases share one.
    const reference = change.expectedVersion === null && c.reference ? [{ Put: { TableName, Item: { ...keys.reference(c.reference), caseId: c.id }, ConditionExpression: 'attribute_not_exists(pk)' } }] : [];
    const items = [
      { Put: { TableName, Item: caseItem(c), ...caseCondition } },
      ...reference,
      ...change.events.map((e) => ({ Put: { TableName, Item: eventItem(c.id, e), ConditionExpression: 'attribute_not_exists(pk)' } })),
      ...change.emails.map((o) => ({ Put: { TableName, Item: emailItem(c.id, o, c.updatedAt), ConditionExpression: 'attribute_not_exists(pk)' } })),
      ...(change.idempotency ? [{ Put: { TableName, Item: idempotencyItem(change.idempotency), ConditionExpression: 'attribute_not_exists(pk)' } }] : []),
    ];
    if (items.length > 100) throw new Error(`one change of case ${c.id} would write ${items.length} items; a transaction holds at most 100`);
    try {
      await ddb.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (e) {
      if (!(e instanceof TransactionCanceledException)) throw e;
      const reasons = e.CancellationReasons ?? [];
      const code = (i: number) => reasons[i]?.Code;
      if (change.idempotency && code(items.length - 1) === 'ConditionalCheckFailed') throw new IdempotencyRecordExistsError('the Idempotency-Key was just used');
      if (code(0) === 'ConditionalCheckFailed') {
        throw change.expectedVersion === null ? new CaseExistsError(`case ${c.id} exists`) : new StaleVersionError(`case ${c.id} changed since version ${change.expectedVersion}`);
      }
      if (reference.length && code(1) === 'ConditionalCheckFailed') throw new ReferenceTakenError(`reference ${c.reference} is taken`);
      // Another transaction held one of the items: the same as losing the race on the version.
      if (reasons.some((r) => r.Code === 'TransactionConflict')) throw new StaleVersionError(`case ${c.id} is being changed concurrently`);
      throw e;
    }
  },

  async putIdempotency(record) {
    try {
      await ddb.send(new PutCommand({ TableName: tableName(), Item: idempotencyItem(record), ConditionExpression: 'attribute_not_exists(pk)' }));
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) throw new IdempotencyRecordExistsError('the Idempotency-Key was just used');
      throw e;
    }
  },

  async confirmTimer(id, timerVersion) {
    try {
      await ddb.send(
        new UpdateCommand({
          TableName: tableName(),
          Key: keys.case(id),
          UpdateExpression: 'SET #t.#p = :false REMOVE attention, attentionSince',
          ConditionExpression: '#t.#v = :tv',
          ExpressionAttributeNames: { '#t': 'timer', '#p': 'pending', '#v': 'version' },
          ExpressionAttributeValues: { ':false': false, ':tv': timerVersion },
        }),
      );
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e; // a newer timer took over: nothing to confirm
    }
  },

  async getEmail(caseId, key) {
    const r = await ddb.send(new GetCommand({ TableName: tableName(), Key: emailItemKey(caseId, key), ConsistentRead: true }));
    return r.Item ? fromEmailItem(r.Item) : undefined;
  },

  async claimEmail(email, claimedAt) {
    return conditionalUpdate(emailKeyOf(email), 'SET #s = :sending, claimedAt = :at', '#s = :owed', { ':sending': 'SENDING', ':at': claimedAt, ':owed': 'OWED' });
  },

  async settleEmail(email, claimedAt, outcome) {
    const sets = Object.keys(outcome).map((k) => `#${k} = :${k}`);
    await conditionalUpdate(
      emailKeyOf(email),
      `SET ${sets.join(', ')} REMOVE attention, attentionSince`,
      '#s = :sending AND claimedAt = :claimedAt',
      { ...Object.fromEntries(Object.entries(outcome).map(([k, v]) => [`:${k}`, v])), ':sending': 'SENDING', ':claimedAt': claimedAt },
      Object.fromEntries(Object.keys(outcome).map((k) => [`#${k}`, k])),
    );
  },

  async skipEmail(email, outcome) {
    return conditionalUpdate(
      emailKeyOf(email),
      'SET #s = :state, #e = :error, claimedAt = :at REMOVE attention, attentionSince',
      '#s = :owed',
      { ':state': outcome.state, ':error': outcome.error ?? '', ':at': new Date().toISOString(), ':owed': 'OWED' },
      { '#e': 'error' },
    );
  },

  async releaseEmail(email, claimedAt) {
    await conditionalUpdate(emailKeyOf(email), 'SET #s = :owed REMOVE claimedAt', '#s = :sending AND claimedAt = :claimedAt', {
      ':owed': 'OWED',
      ':sending': 'SENDING',
      ':claimedAt': claimedAt,
    });
  },

  async deliveryContext(email) {
    return (await caseRepository.deliveryContexts([email])).get(email.key) ?? {};
  },

  async deliveryContexts(emails) {
    // One BatchGetItem (per 100 keys) for what sending needs: each email's case, its event and its address's
    // suppression. On a burst of escalations this read is on every email's path, so a stream batch shares it.
    const wanted = new Map<string, Record<string, string>>();
    for (const e of emails) {
      for (const k of [keys.case(e.caseId), keys.event(e.caseId, e.eventId), keys.suppression(e.to)]) wanted.set(`${k.pk}|${k.sk}`, k);
    }
    const found = new Map((await batchGet([...wanted.values()])).map((item) => [`${String(item['pk'])}|${String(item['sk'])}`, item]));
    const out = new Map<string, DeliveryContext>();
    for (const e of emails) {
      const at = (k: Record<string, string>) => found.get(`${k.pk}|${k.sk}`);
      const c = at(keys.case(e.caseId));
      const event = at(keys.event(e.caseId, e.eventId));
      const suppression = at(keys.suppression(e.to));
      out.set(e.key, { ...(c ? { case: fromCaseItem(c) } : {}), ...(event ? { event: fromEventItem(event) } : {}), ...(suppression ? { suppression: suppressionReason(suppression) } : {}) });
    }
    return out;
  },

  async needingAttention(limit, olderThan) {
    const r = await ddb.send(
      new QueryCommand({
        TableName: tableName(),
        IndexName: 'needsAttention',
        KeyConditionExpression: 'attention = :y AND attentionSince < :t',
        ExpressionAttributeValues: { ':y': 'Y', ':t': olderThan },
        Limit: limit,
      }),
    );
    const out: AttentionItem[] = [];
    for (const item of r.Items ?? []) {
      const kind = itemKind(item);
      const caseId = caseIdOfPk(String(item['pk']));
      if (kind === 'case') out.push({ kind, caseId, since: String(item['attentionSince']) });
      if (kind === 'email') {
        // KEYS_ONLY: the email's key is rebuilt from its sort key (EV#<eventId>#EMAIL#<template>#<to>).
        const [eventId, template, ...to] = String(item['sk']).slice(EVENT_PREFIX.length).replace('#EMAIL#', '#').split('#');
        out.push({ kind, caseId, emailKey: `${caseId}/${eventId}/${template}/${to.join('#')}`, since: String(item['attentionSince']) });
      }
    }
    return out;
  },

  async timelinePage(caseId, limit, cursor) {
    const r = await ddb.send(
      new QueryCommand({
        TableName: tableName(),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :ev)',
        ExpressionAttributeValues: { ':pk': keys.casePk(caseId), ':ev': EVENT_PREFIX },
        ConsistentRead: true,
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: { pk: keys.casePk(caseId), sk: decodeTimelineCursor(cursor) } } : {}),
      }),
    );
    const entries: TimelinePage['entries'] = (r.Items ?? []).map((item) =>
      itemKind(item) === 'email' ? { kind: 'email', email: fromEmailItem(item) } : { kind: 'event', event: fromEventItem(item) },
    );
    const last = r.LastEvaluatedKey?.['sk'];
    return { entries, nextCursor: typeof last === 'string' ? Buffer.from(last).toString('base64url') : null };
  },

  /**
   * Open and paused cases counted by level and department, from the queue index with only those attributes read
   * (a Query, never a Scan; it reads every open case's index entry, so it costs what the queue holds, not the table).
   */
  async openCounts(): Promise<{ total: number; byLevel: Record<string, number>; byDepartment: Record<string, number>; byStatus: Record<string, number> }> {
    const out = { total: 0, byLevel: {} as Record<string, number>, byDepartment: {} as Record<string, number>, byStatus: {} as Record<string, number> };
    let startKey: Record<string, unknown> | undefined;
    do {
      const r = await ddb.send(
        new QueryCommand({
          TableName: tableName(),
          IndexName: 'byNextDeadline',
          KeyConditionExpression: '#q = :open',
          ProjectionExpression: '#l, #d, #s',
          ExpressionAttributeNames: { '#q': 'queue', '#l': 'level', '#d': 'department', '#s': 'status' },
          ExpressionAttributeValues: { ':open': 'OPEN' },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of r.Items ?? []) {
        out.total++;
        for (const [bucket, key] of [[out.byLevel, item['level']], [out.byDepartment, item['department']], [out.byStatus, item['status']]] as const) {
          bucket[String(key)] = (bucket[String(key)] ?? 0) + 1;
        }
      }
      startKey = r.LastEvaluatedKey;
    } while (startKey);
    return out;
  },

  /**
   * One page of cases, newest first, from the most selective index the filters allow (never a Scan); the
   * remaining filters apply to that index. A page may hold fewer than `limit` items only when it is the last.
   */
  async list(q) {
    const [index, pkValue] = pickIndex(q);
    const spec = CASE_INDEXES[index];
    const names: Record<string, string> = { '#pk': spec.partitionKey };
    const values: Record<string, unknown> = { ':pk': pkValue };
    let keyCond = '#pk = :pk';
    if (q.createdFrom || q.createdTo) {
      // ULIDs sort by creation time: a time window is a range of ids.
      names['#id'] = 'id';
      values[':from'] = q.createdFrom ? ulidFloor(q.createdFrom) : '0';
      values[':to'] = q.createdTo ? ulidFloor(q.createdTo) : '~';
      keyCond += ' AND #id BETWEEN :from AND :to';
    }
    const filters: string[] = [];
    const add = (path: string, value: unknown) => {
      const n = `#f${filters.length}`;
      const parts = path.split('.').map((p, i) => {
        names[`${n}_${i}`] = p;
        return `${n}_${i}`;
      });
      values[`:f${filters.length}`] = value;
      filters.push(`${parts.join('.')} = :f${filters.length}`);
    };
    if (q.status && spec.partitionKey !== 'status') add('status', q.status);
    if (q.department && spec.partitionKey !== 'department') add('department', q.department);
    if (q.level) add('level', q.level);
    if (q.priority) add('priority', q.priority);
    if (q.breached !== undefined) add('sla.breached', q.breached);
    if (q.overdue !== undefined) add('sla.overdue', q.overdue);
    if (q.customerId && spec.partitionKey !== 'customerId') add('customer.id', q.customerId);
    if (q.atRisk !== undefined) {
      // Warned, breached or overdue, or past the at-risk share of its level's budget (riskAt, on the queue index).
      Object.assign(names, { '#riskAt': 'riskAt', '#sla': 'sla', '#warned': 'warned', '#breached': 'breached', '#overdue': 'overdue' });
      Object.assign(values, { ':riskNow': (q.now ?? new Date()).toISOString(), ':riskTrue': true });
      const risky = '(#sla.#warned = :riskTrue OR #sla.#breached = :riskTrue OR #sla.#overdue = :riskTrue OR #riskAt <= :riskNow)';
      filters.push(q.atRisk ? risky : `NOT ${risky}`);
    }

    const items: CaseRecord[] = [];
    let startKey = decodeCursor(q.cursor, index);
    let lastEvaluated: Record<string, unknown> | undefined;
    do {
      const input: QueryCommandInput = {
        TableName: tableName(),
        IndexName: index,
        KeyConditionExpression: keyCond,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: q.ascending ?? index === 'byNextDeadline',
        Limit: Math.max(q.limit, 25),
        ...(filters.length ? { FilterExpression: filters.join(' AND ') } : {}),
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      };
      const r = await ddb.send(new QueryCommand(input));
      for (const item of r.Items ?? []) {
        items.push(fromCaseItem(item));
        if (items.length === q.limit) {
          // Stop mid-page: the cursor is this item's index key, so the next page starts right after it.
          const last = item;
          return { items, nextCursor: encodeCursor(index, { pk: last['pk'], sk: last['sk'], [spec.sortKey]: last[spec.sortKey], [spec.partitionKey]: last[spec.partitionKey] }) };
        }
      }
      lastEvaluated = r.LastEvaluatedKey;
      startKey = lastEvaluated;
    } while (lastEvaluated);
    return { items, nextCursor: null };
  },
};

export function idempotencyItem(record: IdempotencyRecord): Record<string, unknown> {
  return { ...keys.idempotency(record.clientId, record.key), record, expiresAt: Math.floor(Date.now() / 1000) + (record.keepSeconds ?? IDEMPOTENCY_KEEP_S) };
}

async function conditionalUpdate(
  Key: Record<string, string>,
  UpdateExpression: string,
  ConditionExpression: string,
  values: Record<string, unknown>,
  names: Record<string, string> = {},
): Promise<boolean> {
  try {
    await ddb.send(
      new UpdateCommand({
        TableName: tableName(),
        Key,
        UpdateExpression,
        ConditionExpression,
        ExpressionAttributeNames: { '#s': 'state', ...names },
        ExpressionAttributeValues: values,
      }),
    );
    return true;
  } catch (e) {
    if (e instanceof ConditionalCheckFailedException) return false;
    throw e;
  }
}

function suppressionReason(item: Record<string, unknown>): string {
  const reason = typeof item['reason'] === 'string' ? item['reason'] : 'bounced or complained';
  return typeof item['at'] === 'string' ? `${reason}, ${item['at']}` : reason;
}

async function batchGet(allKeys: Record<string, string>[]): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < allKeys.length; i += 100) {
    let pending: Record<string, unknown>[] | undefined = allKeys.slice(i, i + 100);
    for (let attempt = 0; pending?.length; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1_000, 50 * 2 ** attempt)));
      const r: BatchGetCommandOutput = await ddb.send(new BatchGetCommand({ RequestItems: { [tableName()]: { Keys: pending, ConsistentRead: true } } }));
      out.push(...(r.Responses?.[tableName()] ?? []));
      pending = r.UnprocessedKeys?.[tableName()]?.Keys as Record<string, unknown>[] | undefined;
    }
  }
  return out;
}

function pickIndex(q: CaseQuery): [CaseIndexName, string] {
  if (q.reference) return ['byReference', q.reference];
  if (q.sort === 'nextDeadline') return ['byNextDeadline', 'OPEN'];
  if (q.customerId) return ['byCustomer', q.customerId];
  if (q.department) return ['byDepartment', q.department];
  if (q.status) return ['byStatus', q.status];
  return ['byCreated', 'CASE'];
}

function decodeTimelineCursor(cursor: string): string {
  const sk = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!sk.startsWith(EVENT_PREFIX) || Buffer.from(sk).toString('base64url') !== cursor) {
    throw new ValidationError('invalid cursor', [{ path: 'cursor', message: 'not a cursor this API returned' }]);
  }
  return sk;
}

/** A cursor names its index, so one from another query (other filters) is refused instead of misread. */
function encodeCursor(index: CaseIndexName, key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ i: index, k: key })).toString('base64url');
}

function decodeCursor(cursor: string | undefined, index: CaseIndexName): Record<string, unknown> | undefined {
  if (!cursor) return undefined;
  try {
    const { i, k } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { i?: unknown; k?: unknown };
    const spec = CASE_INDEXES[index];
    const names = ['pk', 'sk', spec.sortKey, spec.partitionKey];
    if (i === index && k && typeof k === 'object' && !Array.isArray(k)) {
      const key = k as Record<string, unknown>;
      if (Object.keys(key).length === new Set(names).size && names.every((n) => typeof key[n] === 'string')) return key;
    }
  } catch {
    // fall through
  }
  throw new ValidationError('invalid cursor', [{ path: 'cursor', message: 'not a cursor this API returned' }]);
}
