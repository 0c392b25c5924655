// Secondary adapter: cases in one DynamoDB table. Every change is one conditional write on the case item.
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type BatchGetCommandOutput, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../commons/clients/dynamodb.ts';
import { tableName } from '../commons/config.ts';
import { ValidationError } from '../domain/errors.ts';
import type { CaseRecord, Level, Priority, Status } from '../domain/model.ts';
import { getPolicy } from '../commons/config.ts';
import { queueAttributes } from '../domain/queue.ts';
import { CASE_INDEXES, type CaseIndexName } from './case-table-schema.ts';

const caseKey = (id: string) => ({ pk: `CASE#${id}`, sk: 'CASE' });
const BOOKKEEPING = ['pk', 'sk', 'kind', 'customerId', 'attention', 'queue', 'dueAt', 'riskAt'] as const;

function toItem(c: CaseRecord): Record<string, unknown> {
  const attention = c.timer.pending || c.outbox.length > 0 ? 'Y' : undefined;
  // queue/dueAt/riskAt: the ops queue's sparse index (open and paused cases by next deadline).
  return { ...caseKey(c.id), kind: 'CASE', customerId: c.customer.id, ...(attention ? { attention } : {}), ...queueAttributes(c, getPolicy()), ...c };
}

function fromItem(item: Record<string, unknown>): CaseRecord {
  const rec = { ...item };
  for (const k of BOOKKEEPING) delete rec[k];
  return { timeline: [], outbox: [], compensations: [], reopenCount: 0, ...rec } as unknown as CaseRecord;
}

export class CaseExistsError extends Error {
  override name = 'CaseExistsError';
}
/** The conditional write lost: someone else changed the case since it was read. */
export class StaleVersionError extends Error {
  override name = 'StaleVersionError';
}

export interface CaseQuery {
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

export const caseRepository = {
  async get(id: string): Promise<CaseRecord | undefined> {
    const r = await ddb.send(new GetCommand({ TableName: tableName(), Key: caseKey(id), ConsistentRead: true }));
    return r.Item ? fromItem(r.Item) : undefined;
  },

  /** Many cases by id (BatchGetItem, 100 keys a call, unprocessed keys retried), in no particular order. */
  async getMany(ids: string[]): Promise<CaseRecord[]> {
    const out: CaseRecord[] = [];
    for (let i = 0; i < ids.length; i += 100) {
      let keys: Record<string, unknown>[] | undefined = ids.slice(i, i + 100).map(caseKey);
      for (let attempt = 0; keys?.length; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1_000, 50 * 2 ** attempt)));
        const r: BatchGetCommandOutput = await ddb.send(new BatchGetCommand({ RequestItems: { [tableName()]: { Keys: keys, ConsistentRead: true } } }));
        out.push(...(r.Responses?.[tableName()] ?? []).map(fromItem));
        keys = r.UnprocessedKeys?.[tableName()]?.Keys as Record<string, unknown>[] | undefined;
      }
    }
    return out;
  },

  async create(c: CaseRecord): Promise<void> {
    try {
      await ddb.send(new PutCommand({ TableName: tableName(), Item: toItem(c), ConditionExpression: 'attribute_not_exists(pk)' }));
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) throw new CaseExistsError(`case ${c.id} exists`);
      throw e;
    }
  },

  /** Write `next` (whose version is `expectedVersion + 1`) only if the stored case is still at `expectedVersion`. */
  async replace(next: CaseRecord, expectedVersion: number): Promise<void> {
    try {
      await ddb.send(
        new PutCommand({
          TableName: tableName(),
          Item: toItem(next),
          ConditionExpression: '#v = :v',
          ExpressionAttributeNames: { '#v': 'version' },
          ExpressionAttributeValues: { ':v': expectedVersion },
        }),
      );
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) throw new StaleVersionError(`case ${next.id} changed since version ${expectedVersion}`);
      throw e;
    }
  },

  /** Bookkeeping, not a change of the case: the timer of `timerVersion` is known to be running. */
  async confirmTimer(id: string, timerVersion: number): Promise<void> {
    try {
      await ddb.send(
        new UpdateCommand({
          TableName: tableName(),
          Key: caseKey(id),
          UpdateExpression: 'SET #t.#p = :false',
          ConditionExpression: '#t.#v = :tv',
          ExpressionAttributeNames: { '#t': 'timer', '#p': 'pending', '#v': 'version' },
          ExpressionAttributeValues: { ':false': false, ':tv': timerVersion },
        }),
      );
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e; // a newer timer took over: nothing to confirm
    }
    await this.clearAttentionIfSettled(id);
  },

  /** Bookkeeping: drop sent entries from the outbox (by key), whatever else changed meanwhile. */
  async removeFromOutbox(id: string, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    for (let attempt = 0; attempt < 5; attempt++) {
      const c = await this.get(id);
      if (!c) return;
      const remaining = c.outbox.filter((o) => !keys.includes(o.key));
      if (remaining.length === c.outbox.length) return;
      try {
        await ddb.send(
          new UpdateCommand({
            TableName: tableName(),
            Key: caseKey(id),
            UpdateExpression: 'SET outbox = :rest',
            ConditionExpression: '#v = :v AND size(outbox) = :n',
            ExpressionAttributeNames: { '#v': 'version' },
            ExpressionAttributeValues: { ':rest': remaining, ':v': c.version, ':n': c.outbox.length },
          }),
        );
        break;
      } catch (e) {
        if (!(e instanceof ConditionalCheckFailedException)) throw e;
      }
    }
    await this.clearAttentionIfSettled(id);
  },

  async clearAttentionIfSettled(id: string): Promise<void> {
    try {
      await ddb.send(
        new UpdateCommand({
          TableName: tableName(),
          Key: caseKey(id),
          UpdateExpression: 'REMOVE attention',
          ConditionExpression: 'attribute_exists(attention) AND #t.#p = :false AND size(outbox) = :zero',
          ExpressionAttributeNames: { '#t': 'timer', '#p': 'pending' },
          ExpressionAttributeValues: { ':false': false, ':zero': 0 },
        }),
      );
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
    }
  },

  /** Ids of cases whose timer start is unconfirmed or whose outbox is not empty (the sparse index). */
  async needingAttention(limit = 100): Promise<string[]> {
    const r = await ddb.send(
      new QueryCommand({
        TableName: tableName(),
        IndexName: 'needsAttention',
        KeyConditionExpression: 'attention = :y',
        ExpressionAttributeValues: { ':y': 'Y' },
        Limit: limit,
      }),
    );
    return (r.Items ?? []).map((i) => String(i['id']));
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
  async list(q: CaseQuery): Promise<CasePage> {
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
        items.push(fromItem(item));
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

function pickIndex(q: CaseQuery): [CaseIndexName, string] {
  if (q.sort === 'nextDeadline') return ['byNextDeadline', 'OPEN'];
  if (q.customerId) return ['byCustomer', q.customerId];
  if (q.department) return ['byDepartment', q.department];
  if (q.status) return ['byStatus', q.status];
  return ['byCreated', 'CASE'];
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** The smallest ULID of an instant: its 10-character time prefix. */
function ulidFloor(iso: string): string {
  let t = Date.parse(iso);
  let s = '';
  for (let i = 0; i < 10; i++) {
    s = CROCKFORD[t % 32] + s;
    t = Math.floor(t / 32);
  }
  return s;
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
    const keys = ['pk', 'sk', spec.sortKey, spec.partitionKey];
    if (i === index && k && typeof k === 'object' && !Array.isArray(k)) {
      const key = k as Record<string, unknown>;
      if (Object.keys(key).length === new Set(keys).size && keys.every((n) => typeof key[n] === 'string')) return key;
    }
  } catch {
    // fall through
  }
  throw new ValidationError('invalid cursor', [{ path: 'cursor', message: 'not a cursor this API returned' }]);
}
