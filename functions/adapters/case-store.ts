// Secondary adapter: cases in one DynamoDB table (layout: case-table-schema.ts, items: case-items.ts). Every change is
// one TransactWriteItems — the case item conditional on its version, its new events and owed emails as their own
// items, and the idempotency record when there is one — so a case's history grows as items and a write costs what it
// adds. The emails' delivery records are email-store.ts's; the read models (lists, timeline, counts) case-queries.ts's.
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { CaseExistsError, IdempotencyRecordExistsError, ReferenceTakenError, StaleVersionError, type CaseCommit, type CaseStore, type IdempotencyRecord } from '../app/ports.ts';
import { ddb } from '../commons/clients/dynamodb.ts';
import { tableName } from '../commons/config.ts';
import type { CaseRecord } from '../domain/model.ts';
import { batchGet } from './batch-get.ts';
import { caseItem, emailItem, eventItem, fromCaseItem, idempotencyItem } from './case-items.ts';
import { keys } from './case-table-schema.ts';

export const caseStore: CaseStore = {
  async get(id) {
    const r = await ddb().send(new GetCommand({ TableName: tableName(), Key: keys.case(id), ConsistentRead: true }));
    return r.Item ? fromCaseItem(r.Item) : undefined;
  },

  async getIdempotency(clientId, key) {
    const r = await ddb().send(new GetCommand({ TableName: tableName(), Key: keys.idempotency(clientId, key), ConsistentRead: true }));
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
      await ddb().send(new TransactWriteCommand({ TransactItems: items }));
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
      await ddb().send(new PutCommand({ TableName: tableName(), Item: idempotencyItem(record), ConditionExpression: 'attribute_not_exists(pk)' }));
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) throw new IdempotencyRecordExistsError('the Idempotency-Key was just used');
      throw e;
    }
  },

  async confirmTimer(id, timerVersion) {
    try {
      await ddb().send(
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
};
