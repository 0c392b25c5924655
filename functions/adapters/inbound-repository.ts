// Secondary adapter: inbound mail in the cases table — the case a reply address names (through its reference claim,
// a consistent read), and the messages kept aside (one partition, newest first), each written together with the
// marker that its Message-ID has been handled.
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../commons/clients/dynamodb.ts';
import { tableName } from '../commons/config.ts';
import { ValidationError } from '../domain/errors.ts';
import { IdempotencyRecordExistsError, type InboundStore, type QuarantinedMail } from '../app/ports.ts';
import { idempotencyItem } from './case-items.ts';
import { caseStore } from './case-store.ts';
import { keys, QUARANTINE_PK } from './case-table-schema.ts';

const encodeCursor = (sk: string) => Buffer.from(JSON.stringify({ sk })).toString('base64url');
function decodeCursor(cursor: string | undefined): string | undefined {
  if (!cursor) return undefined;
  try {
    const { sk } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { sk?: unknown };
    if (typeof sk === 'string' && sk.length < 400) return sk;
  } catch {
    // fall through
  }
  throw new ValidationError('invalid cursor', [{ path: 'cursor', message: 'not a cursor this list returned' }]);
}

export const inboundRepository: InboundStore = {
  async caseByReference(reference) {
    const claim = await ddb().send(new GetCommand({ TableName: tableName(), Key: keys.reference(reference), ConsistentRead: true }));
    const caseId = claim.Item?.['caseId'];
    return typeof caseId === 'string' ? caseStore.get(caseId) : undefined;
  },

  async quarantine(mail, marker) {
    const TableName = tableName();
    try {
      await ddb().send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName, Item: idempotencyItem(marker), ConditionExpression: 'attribute_not_exists(pk)' } },
            { Put: { TableName, Item: { ...keys.quarantinedMail(mail.receivedAt, mail.id), itemType: 'QUARANTINED_MAIL', mail } } },
          ],
        }),
      );
    } catch (e) {
      if (e instanceof TransactionCanceledException && e.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') {
        throw new IdempotencyRecordExistsError('this message was handled already');
      }
      throw e;
    }
  },

  async quarantined(limit, cursor) {
    const start = decodeCursor(cursor);
    const r = await ddb().send(
      new QueryCommand({
        TableName: tableName(),
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': QUARANTINE_PK },
        ScanIndexForward: false,
        Limit: limit,
        ...(start ? { ExclusiveStartKey: { pk: QUARANTINE_PK, sk: start } } : {}),
      }),
    );
    const items = (r.Items ?? []).map((i) => i['mail'] as QuarantinedMail);
    const last = r.LastEvaluatedKey?.['sk'];
    return { items, nextCursor: typeof last === 'string' ? encodeCursor(last) : null };
  },
};
