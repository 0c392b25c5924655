// The record of each email a case owed: its claim and outcome. Read by the timeline without bundling the sender.
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../commons/clients/dynamodb.ts';
import { tableName } from '../commons/config.ts';

export type EmailState = 'SENDING' | 'SENT' | 'FAILED' | 'SUPPRESSED' | 'UNCONFIRMED';

export interface EmailRecord {
  key: string;
  template: string;
  to: string;
  audience: 'customer' | 'internal';
  eventId: string;
  state: EmailState;
  claimedAt: string;
  sentAt?: string;
  messageId?: string;
  error?: string;
}

/** The email records of a case, for its timeline. */
export async function emailRecords(caseId: string): Promise<EmailRecord[]> {
  const items: EmailRecord[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const r = await ddb.send(
      new QueryCommand({
        TableName: tableName(),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)',
        ExpressionAttributeValues: { ':pk': `CASE#${caseId}`, ':e': 'EMAIL#' },
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    items.push(...((r.Items ?? []) as EmailRecord[]));
    start = r.LastEvaluatedKey;
  } while (start);
  return items;
}
