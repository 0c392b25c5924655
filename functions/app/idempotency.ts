// Application: Idempotency-Key handling for writes. A replay returns the first response; a crash between the
// record and the change is detected from the change itself (the reserved case id, or the key on the timeline),
// so a retried request never applies twice and never loses the first attempt's effect.
import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { ddb } from '../commons/clients/dynamodb.ts';
import { tableName } from '../commons/config.ts';
import { ConflictError, IdempotencyKeyReuseError } from '../domain/errors.ts';

export interface StoredResponse {
  statusCode: number;
  body: string;
  headers?: Record<string, string>;
}

interface IdempotencyRecord {
  requestHash: string;
  state: 'IN_PROGRESS' | 'COMPLETE';
  reservedId: string;
  startedAt: number;
  response?: StoredResponse;
}

/** A request that died mid-way may be taken over after this long. */
const TAKE_OVER_AFTER_MS = 30_000;
const KEEP_FOR_S = 24 * 3600;

export function requestHash(parts: unknown): string {
  return createHash('sha256').update(canonicalJson(parts)).digest('hex');
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export interface IdempotentCall {
  /** Scope of the key: the client, so two clients' keys never collide. */
  clientId: string;
  key: string;
  hash: string;
  /** Runs the change. `reservedId` is stable across retries (the new case's id for a create). */
  run: (reservedId: string) => Promise<StoredResponse>;
  /** After a crash: the response, if the change with `reservedId`/this key already happened. */
  recover: (reservedId: string) => Promise<StoredResponse | undefined>;
}

export async function idempotent(call: IdempotentCall): Promise<StoredResponse> {
  const Key = { pk: `IDEM#${call.clientId}#${call.key}`, sk: 'IDEM' };
  const reservedId = ulid();
  const startedAt = Date.now();
  let claimed = true;
  try {
    await ddb.send(
      new PutCommand({
        TableName: tableName(),
        Item: { ...Key, requestHash: call.hash, state: 'IN_PROGRESS', reservedId, startedAt, expiresAt: Math.floor(startedAt / 1000) + KEEP_FOR_S },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (e) {
    if (!(e instanceof ConditionalCheckFailedException)) throw e;
    claimed = false;
  }
  if (claimed) return runAndStore(call, Key, reservedId, startedAt);
  const existing = (await ddb.send(new GetCommand({ TableName: tableName(), Key, ConsistentRead: true }))).Item as IdempotencyRecord | undefined;
  if (!existing) return idempotent(call); // expired between the two calls
  if (existing.requestHash !== call.hash) {
    throw new IdempotencyKeyReuseError('this Idempotency-Key was already used for a different request');
  }
  if (existing.state === 'COMPLETE' && existing.response) return replayed(existing.response);
  const recovered = await call.recover(existing.reservedId);
  if (recovered) {
    await complete(Key, recovered);
    return replayed(recovered);
  }
  if (Date.now() - existing.startedAt < TAKE_OVER_AFTER_MS) {
    throw new ConflictError('a request with this Idempotency-Key is still in progress; retry shortly');
  }
  // The first attempt died before its change: take the record over (conditionally, so only one retry does).
  const now = Date.now();
  try {
    await ddb.send(
      new UpdateCommand({
        TableName: tableName(),
        Key,
        UpdateExpression: 'SET startedAt = :now',
        ConditionExpression: 'startedAt = :then AND #s = :ip',
        ExpressionAttributeNames: { '#s': 'state' },
        ExpressionAttributeValues: { ':now': now, ':then': existing.startedAt, ':ip': 'IN_PROGRESS' },
      }),
    );
  } catch (e) {
    if (e instanceof ConditionalCheckFailedException) throw new ConflictError('a request with this Idempotency-Key is still in progress; retry shortly');
    throw e;
  }
  return runAndStore(call, Key, existing.reservedId, now);
}

async function runAndStore(call: IdempotentCall, Key: Record<string, string>, reservedId: string, startedAt: number): Promise<StoredResponse> {
  let response: StoredResponse;
  try {
    response = await call.run(reservedId);
  } catch (e) {
    // Refused requests (4xx) change nothing: free the key so a corrected retry with it can go through.
    await ddb.send(
      new DeleteCommand({ TableName: tableName(), Key, ConditionExpression: 'startedAt = :t', ExpressionAttributeValues: { ':t': startedAt } }),
    ).catch(() => undefined);
    throw e;
  }
  await complete(Key, response);
  return response;
}

async function complete(Key: Record<string, string>, response: StoredResponse): Promise<void> {
  await ddb.send(
    new UpdateCommand({
      TableName: tableName(),
      Key,
      UpdateExpression: 'SET #s = :c, #r = :r',
      ExpressionAttributeNames: { '#s': 'state', '#r': 'response' },
      ExpressionAttributeValues: { ':c': 'COMPLETE', ':r': response },
    }),
  );
}

function replayed(r: StoredResponse): StoredResponse {
  return { ...r, headers: { ...r.headers, 'idempotent-replayed': 'true' } };
}
