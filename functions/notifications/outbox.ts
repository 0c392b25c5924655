// Secondary adapter: sends the emails a case owes (its outbox). Exactly once per (case, milestone, recipient):
// each email is claimed with a conditional write before it is sent, so a retried step, a second drainer or a
// replayed workflow finds the claim and sends nothing. A crash between claim and send leaves the claim
// unconfirmed: it is reported on the timeline, never sent twice.
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { SendEmailCommand } from '@aws-sdk/client-ses';
import { caseRepository } from '../adapters/case-repository.ts';
import { ddb } from '../commons/clients/dynamodb.ts';
import { ses } from '../commons/clients/ses.ts';
import { getPolicy, tableName } from '../commons/config.ts';
import { logger } from '../commons/observability.ts';
import { linkSigningKey, signLink } from '../commons/signed-links.ts';
import type { CaseRecord, OutboxEntry, TimelineEvent } from '../domain/model.ts';
import type { TemplateName } from '../domain/notifications.ts';
import { renderEmail, type RenderInput } from './templates.ts';

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

/** A claim older than this whose sender never confirmed is given up on (reported, never resent). */
const UNCONFIRMED_AFTER_MS = 120_000;
/** Survey links stay valid this long. */
const SURVEY_VALID_MS = 30 * 86_400_000;

const emailKey = (caseId: string, key: string) => ({ pk: `CASE#${caseId}`, sk: `EMAIL#${key}` });
export const suppressionKey = (address: string) => ({ pk: `SUPPRESS#${address.toLowerCase()}`, sk: 'SUPPRESS' });

export async function deliverOutbox(c: CaseRecord): Promise<void> {
  if (c.outbox.length === 0) return;
  const done: string[] = [];
  for (const entry of c.outbox) {
    if (await deliverOne(c, entry)) done.push(entry.key);
  }
  await caseRepository.removeFromOutbox(c.id, done);
}

/** True when the entry needs no more work from anyone (sent, failed for good, suppressed, or given up on). */
async function deliverOne(c: CaseRecord, entry: OutboxEntry): Promise<boolean> {
  const Key = emailKey(c.id, entry.key);
  const claimedAt = new Date().toISOString();
  const record: EmailRecord = { ...entry, state: 'SENDING', claimedAt };
  try {
    await ddb.send(new PutCommand({ TableName: tableName(), Item: { ...Key, ...record }, ConditionExpression: 'attribute_not_exists(pk)' }));
  } catch (e) {
    if (!(e instanceof ConditionalCheckFailedException)) throw e;
    return settleExistingClaim(Key);
  }

  const finish = (update: Partial<EmailRecord>) =>
    ddb.send(
      new UpdateCommand({
        TableName: tableName(),
        Key,
        UpdateExpression: `SET ${Object.keys(update).map((k) => `#${k} = :${k}`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(Object.keys(update).map((k) => [`#${k}`, k])),
        ExpressionAttributeValues: Object.fromEntries(Object.entries(update).map(([k, v]) => [`:${k}`, v])),
      }),
    );

  if (await isSuppressed(entry.to)) {
    await finish({ state: 'SUPPRESSED', error: 'the address bounced or complained before; no further email is sent to it' });
    return true;
  }
  const event = c.timeline.find((e) => e.id === entry.eventId);
  if (!event) {
    await finish({ state: 'FAILED', error: `event ${entry.eventId} not on the timeline` });
    return true;
  }
  try {
    const email = renderEmail(await renderInput(c, entry, event));
    const policy = getPolicy();
    const out = await ses.send(
      new SendEmailCommand({
        Source: policy.notifications.from,
        Destination: { ToAddresses: [entry.to] },
        ...(policy.notifications.replyTo ? { ReplyToAddresses: [policy.notifications.replyTo] } : {}),
        ...(policy.notifications.configurationSet ? { ConfigurationSetName: policy.notifications.configurationSet } : {}),
        Message: {
          Subject: { Data: email.subject, Charset: 'UTF-8' },
          Body: { Text: { Data: email.text, Charset: 'UTF-8' }, Html: { Data: email.html, Charset: 'UTF-8' } },
        },
        Tags: [
          { Name: 'case', Value: c.id },
          { Name: 'template', Value: entry.template },
        ],
      }),
    );
    await finish({ state: 'SENT', sentAt: new Date().toISOString(), ...(out.MessageId ? { messageId: out.MessageId } : {}) });
    return true;
  } catch (e) {
    const err = e as Error & { $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
    const status = err.$metadata?.httpStatusCode ?? 0;
    const transient = Boolean(err.$retryable) || status >= 500 || status === 429 || err.name === 'Throttling' || !status;
    if (transient) {
      // Not sent: release the claim so the next drain (timer wake-up or reconciler) tries again.
      await releaseClaim(Key);
      logger.warn('email send failed, will retry', { caseId: c.id, key: entry.key, error: err });
      return false;
    }
    await finish({ state: 'FAILED', error: `${err.name}: ${err.message}` });
    logger.error('email permanently failed', { caseId: c.id, key: entry.key, error: err });
    return true;
  }
}

async function releaseClaim(Key: Record<string, string>): Promise<void> {
  await ddb.send(new DeleteCommand({ TableName: tableName(), Key, ConditionExpression: '#s = :sending', ExpressionAttributeNames: { '#s': 'state' }, ExpressionAttributeValues: { ':sending': 'SENDING' } })).catch(() => undefined);
}

async function settleExistingClaim(Key: Record<string, string>): Promise<boolean> {
  const existing = (await ddb.send(new GetCommand({ TableName: tableName(), Key, ConsistentRead: true }))).Item as EmailRecord | undefined;
  if (!existing) return false;
  if (existing.state !== 'SENDING') return true;
  if (Date.now() - Date.parse(existing.claimedAt) < UNCONFIRMED_AFTER_MS) return false; // another sender is at it
  await ddb.send(
    new UpdateCommand({
      TableName: tableName(),
      Key,
      UpdateExpression: 'SET #s = :u, #e = :why',
      ConditionExpression: '#s = :sending',
      ExpressionAttributeNames: { '#s': 'state', '#e': 'error' },
      ExpressionAttributeValues: { ':u': 'UNCONFIRMED', ':sending': 'SENDING', ':why': 'the sender stopped before confirming; not resent to avoid a duplicate' },
    }),
  ).catch(() => undefined);
  return true;
}

async function isSuppressed(address: string): Promise<boolean> {
  const r = await ddb.send(new GetCommand({ TableName: tableName(), Key: suppressionKey(address) }));
  return Boolean(r.Item);
}

async function renderInput(c: CaseRecord, entry: OutboxEntry, event: TimelineEvent): Promise<RenderInput> {
  const policy = getPolicy();
  const input: RenderInput = { template: entry.template as TemplateName, case: c, event, recipient: entry.to, policy };
  if (entry.template === 'follow-up') {
    const expires = new Date(Date.now() + SURVEY_VALID_MS);
    const token = signLink(c.id, 'feedback', expires, await linkSigningKey());
    const base = policy.notifications.publicBaseUrl.replace(/\/$/, '');
    const link = (n: number) => `${base}/feedback/${token}?rating=${n}`;
    input.surveyLinks = { 1: link(1), 2: link(2), 3: link(3), 4: link(4), 5: link(5) };
  }
  if (entry.audience === 'internal') {
    const page = await caseRepository.list({ customerId: c.customer.id, limit: 11 });
    input.customerHistory = page.items
      .filter((o) => o.id !== c.id)
      .slice(0, 10)
      .map((o) => ({ id: o.id, subject: o.subject, status: o.status, createdAt: o.createdAt, ...(o.resolvedAt ? { resolvedAt: o.resolvedAt } : {}) }));
  }
  return input;
}

/** The email records of a case, for its timeline. */
export async function emailRecords(caseId: string): Promise<EmailRecord[]> {
  const r = await ddb.send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)',
      ExpressionAttributeValues: { ':pk': `CASE#${caseId}`, ':e': 'EMAIL#' },
    }),
  );
  return (r.Items ?? []) as EmailRecord[];
}
