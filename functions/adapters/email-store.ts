// Secondary adapter: the delivery record of every email a case owes (an item right after the event that owes it,
// case-items.ts), moved OWED → SENDING → a final state by conditional updates, so two senders never both send.
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DeliveryContext, EmailStore } from '../app/ports.ts';
import { ddb } from '../commons/clients/dynamodb.ts';
import { tableName } from '../commons/config.ts';
import { batchGet } from './batch-get.ts';
import { emailItemKey, emailKeyOf, fromCaseItem, fromEmailItem, fromEventItem } from './case-items.ts';
import { keys } from './case-table-schema.ts';

export const emailStore: EmailStore = {
  async getEmail(caseId, key) {
    const r = await ddb().send(new GetCommand({ TableName: tableName(), Key: emailItemKey(caseId, key), ConsistentRead: true }));
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
    return (await emailStore.deliveryContexts([email])).get(email.key) ?? {};
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
};

async function conditionalUpdate(
  Key: Record<string, string>,
  UpdateExpression: string,
  ConditionExpression: string,
  values: Record<string, unknown>,
  names: Record<string, string> = {},
): Promise<boolean> {
  try {
    await ddb().send(
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
