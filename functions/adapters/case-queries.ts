// Secondary adapter: the read models over the cases table — pages of cases from the most selective index, a case's
// timeline a page at a time, the open cases counted, the reconciler's work list — each a Query, never a Scan. Each is
// its own function, so a function's bundle holds only the reads it makes.
import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { AttentionItem, EmailRecord } from '../app/ports.ts';
import { ddb } from '../commons/clients/dynamodb.ts';
import { tableName } from '../commons/config.ts';
import { ValidationError } from '../domain/errors.ts';
import type { CaseRecord, Level, Priority, Status, TimelineEvent } from '../domain/model.ts';
import { fromCaseItem, fromEmailItem, fromEventItem } from './case-items.ts';
import { CASE_INDEXES, caseIdOfPk, EVENT_PREFIX, itemKind, keys, type CaseIndexName } from './case-table-schema.ts';
import { ulidFloor } from './ulid-bounds.ts';

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

/**
 * One page of cases, newest first, from the most selective index the filters allow (never a Scan); the
 * remaining filters apply to that index. A page may hold fewer than `limit` items only when it is the last.
 */
export async function findCases(q: CaseQuery): Promise<CasePage> {
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
    const r = await ddb().send(new QueryCommand(input));
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
}

export async function timelinePage(caseId: string, limit: number, cursor?: string): Promise<TimelinePage> {
  const r = await ddb().send(
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
}

/**
 * Open and paused cases counted by level and department, from the queue index with only those attributes read
 * (a Query, never a Scan; it reads every open case's index entry, so it costs what the queue holds, not the table).
 */
export async function openCounts(): Promise<{ total: number; byLevel: Record<string, number>; byDepartment: Record<string, number>; byStatus: Record<string, number> }> {
  const out = { total: 0, byLevel: {} as Record<string, number>, byDepartment: {} as Record<string, number>, byStatus: {} as Record<string, number> };
  let startKey: Record<string, unknown> | undefined;
  do {
    const r = await ddb().send(
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
}

/** The reconciler's work list (the AttentionIndex port): case items and emails whose effect is not done yet. */
export async function needingAttention(limit: number, olderThan: string): Promise<AttentionItem[]> {
  const r = await ddb().send(
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
