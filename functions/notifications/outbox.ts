// Secondary adapter: sends the emails a case owes (its outbox). Exactly once per (case, milestone, recipient):
// each email is claimed with a conditional write before it is sent, so a retried step, a second drainer or a
// replayed workflow finds the claim and sends nothing. A crash between claim and send leaves the claim
// unconfirmed: it is reported on the timeline, never sent twice.
//
// What happens to one owed email (the claim record's state, shown on the timeline as `email.<state>`):
//   SENT        SES accepted it (messageId recorded).
//   FAILED      SES refused it for good (e.g. MessageRejected), or it could not be rendered. Never retried; the
//               case is not affected.
//   SUPPRESSED  not sent: the address bounced or complained before (a suppression item), or a later email of the
//               same drain to the same person makes it pointless (a status update overtaken by the next one).
//   UNCONFIRMED the sender stopped between claim and confirmation; not resent, to avoid a duplicate.
//   (no record) a transient failure (throttling, 5xx, network) after the SDK's own retries: the claim is released
//               and the entry stays in the outbox for the next drain (timer wake-up or reconciler).
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
import type { Policy } from '../domain/policy.ts';
import { suppressionKey } from './suppression.ts';
import type { EmailRecord } from './email-records.ts';
import { renderEmail, type RenderedEmail, type RenderInput } from './templates.ts';

/** A claim older than this whose sender never confirmed is given up on (reported, never resent). */
const UNCONFIRMED_AFTER_MS = 120_000;
/**
 * One drain spends at most this long sending (SendEmail with the SDK's retries and backoff included): an API
 * function runs for 28 s at most (lib/http-api.ts), after up to 8 s of write retries, and a function killed
 * mid-send would leave its email unconfirmed. What is not sent
 * in time stays owed for the next drain. Being far below UNCONFIRMED_AFTER_MS, it also means that a claim older than
 * that belongs to a sender that is gone.
 */
const DRAIN_BUDGET_MS = 10_000;
/** Survey links stay valid this long. */
const SURVEY_VALID_MS = 30 * 86_400_000;

const emailKey = (caseId: string, key: string) => ({ pk: `CASE#${caseId}`, sk: `EMAIL#${key}` });

/**
 * A pending email that a LATER pending email to the same person makes pointless. It only matters when one drain
 * finds several at once (a timer that woke late applies several deadlines in one step, or SES was down): the
 * customer then hears the latest news once instead of "moved to a specialist" and "moved to leadership" together.
 */
const SUPERSEDED_BY: Partial<Record<TemplateName, readonly TemplateName[]>> = {
  'status-update': ['status-update', 'overdue-apology', 'resolution'],
  'breach-warning': ['breach-warning', 'escalation-alert', 'breach-alert', 'overdue-alert'],
  'breach-alert': ['overdue-alert'],
};

/** The SES configuration set: the policy's, else the one the deployment names (SES_CONFIGURATION_SET). */
export function configurationSetName(policy: Policy): string | undefined {
  return policy.notifications.configurationSet || process.env['SES_CONFIGURATION_SET'] || undefined;
}

/**
 * Send every email the case owes, each at most once, and drop the settled ones from the stored outbox. `c` may be a
 * stale copy: entries someone else already settled are recognised by their claim and skipped.
 * Throws (after trying every entry) when the claim store itself failed; the reconciler then retries.
 */
export async function deliverOutbox(c: CaseRecord): Promise<void> {
  if (c.outbox.length === 0) return;
  const done: string[] = [];
  const deadline = Date.now() + DRAIN_BUDGET_MS;
  let firstError: unknown;
  for (const entry of c.outbox) {
    if (Date.now() >= deadline) break; // the rest stays owed: the next drain sends it
    try {
      const overtakenBy = supersedingEntry(c, entry);
      const settled = overtakenBy
        ? await skipOne(c, entry, `not sent: the later ${overtakenBy.template} email to the same recipient covers it`)
        : await deliverOne(c, entry, deadline);
      if (settled) done.push(entry.key);
    } catch (e) {
      firstError ??= e;
      logger.error('email delivery step failed; the entry stays owed', { caseId: c.id, key: entry.key, error: e as Error });
    }
  }
  await caseRepository.removeFromOutbox(c.id, done);
  if (firstError) throw firstError;
}

function supersedingEntry(c: CaseRecord, entry: OutboxEntry): OutboxEntry | undefined {
  const by = SUPERSEDED_BY[entry.template as TemplateName];
  if (!by) return undefined;
  const position = (eventId: string) => c.timeline.findIndex((e) => e.id === eventId);
  const mine = position(entry.eventId);
  if (mine < 0) return undefined;
  return c.outbox.find(
    (o) => o.to.toLowerCase() === entry.to.toLowerCase() && by.includes(o.template as TemplateName) && position(o.eventId) > mine,
  );
}

/** Settle an entry without sending it (recorded as SUPPRESSED with the reason). True when it needs no more work. */
async function skipOne(c: CaseRecord, entry: OutboxEntry, why: string): Promise<boolean> {
  const Key = emailKey(c.id, entry.key);
  const at = new Date().toISOString();
  const record: EmailRecord = { ...entry, state: 'SUPPRESSED', claimedAt: at, error: why };
  try {
    await ddb.send(new PutCommand({ TableName: tableName(), Item: { ...Key, ...record }, ConditionExpression: 'attribute_not_exists(pk)' }));
    return true;
  } catch (e) {
    if (!(e instanceof ConditionalCheckFailedException)) throw e;
    return settleExistingClaim(Key);
  }
}

/** True when the entry needs no more work from anyone (sent, failed for good, suppressed, or given up on). */
async function deliverOne(c: CaseRecord, entry: OutboxEntry, deadline: number): Promise<boolean> {
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

  const suppression = await suppressionOf(entry.to);
  if (suppression) {
    await finish({ state: 'SUPPRESSED', error: `not sent: the address is suppressed (${suppression}); no further email goes to it` });
    return true;
  }
  const event = c.timeline.find((e) => e.id === entry.eventId);
  if (!event) {
    await finish({ state: 'FAILED', error: `event ${entry.eventId} is not on the timeline` });
    return true;
  }

  // Rendering is pure: an error here is a bug or bad data, and retrying would fail the same way.
  const policy = getPolicy();
  let email: RenderedEmail;
  try {
    email = renderEmail(await renderInput(c, entry, event, policy));
  } catch (e) {
    await finish({ state: 'FAILED', error: `could not be rendered: ${(e as Error).message}` });
    logger.error('email could not be rendered', { caseId: c.id, key: entry.key, error: e as Error });
    return true;
  }

  const configurationSet = configurationSetName(policy);
  let messageId: string | undefined;
  // Whether an HTTP request was out at SES when the drain's time ran out (vs. the SDK waiting between retries): then
  // it is unknown whether SES took the email; between retries it is certainly unsent.
  let inFlight = false;
  let abortedInFlight = false;
  const timeout = AbortSignal.timeout(Math.max(1_000, deadline - Date.now()));
  timeout.addEventListener('abort', () => (abortedInFlight = inFlight), { once: true });
  try {
    const command = new SendEmailCommand({
      Source: policy.notifications.from,
      Destination: { ToAddresses: [entry.to] },
      ...(policy.notifications.replyTo ? { ReplyToAddresses: [policy.notifications.replyTo] } : {}),
      ...(configurationSet ? { ConfigurationSetName: configurationSet } : {}),
      Message: {
        Subject: { Data: email.subject, Charset: 'UTF-8' },
        Body: { Text: { Data: email.text, Charset: 'UTF-8' }, Html: { Data: email.html, Charset: 'UTF-8' } },
      },
      Tags: [
        { Name: 'case', Value: c.id },
        { Name: 'template', Value: entry.template },
      ],
    });
    // Runs once per attempt, inside the SDK's retry loop.
    command.middlewareStack.add(
      (next) => async (args) => {
        inFlight = true;
        try {
          return await next(args);
        } finally {
          inFlight = false;
        }
      },
      { step: 'deserialize', name: 'escalatorSendInFlight' },
    );
    const out = await ses.send(command, { abortSignal: timeout });
    messageId = out.MessageId;
  } catch (e) {
    const err = e as Error & { $metadata?: { httpStatusCode?: number } };
    const error = { name: err.name, message: err.message, httpStatusCode: err.$metadata?.httpStatusCode };
    const aborted = timeout.aborted && (err.name === 'AbortError' || err.name === 'TimeoutError');
    switch (aborted ? (abortedInFlight ? 'unknown' : 'transient') : classify(err)) {
      case 'transient':
        // Not sent (SES answered, or never got the request): release the claim so the next drain tries again.
        await releaseClaim(Key);
        logger.warn('email send failed, will retry', { caseId: c.id, key: entry.key, error });
        return false;
      case 'unknown':
        // It may have reached SES: resending could duplicate it, so it is reported, never resent.
        await finish({ state: 'UNCONFIRMED', error: `the send may or may not have reached SES (${err.name}: ${err.message}); not resent to avoid a duplicate` });
        logger.error('email send outcome unknown', { caseId: c.id, key: entry.key, error });
        return true;
      case 'permanent':
        await finish({ state: 'FAILED', error: `${err.name}: ${err.message}` });
        logger.error('email permanently failed', { caseId: c.id, key: entry.key, error });
        return true;
    }
  }

  // Sent. The confirmation must not be mistaken for a send failure (that would release the claim and send twice):
  // if it cannot be written, the claim stays SENDING and is later reported as unconfirmed, never resent.
  await finish({ state: 'SENT', sentAt: new Date().toISOString(), ...(messageId ? { messageId } : {}) });
  return true;
}

/** Error names (SDK exceptions and network codes) that mean "SES did not take it, try later". */
const RETRY_LATER = new Set([
  'Throttling',
  'AccountSendingPausedException',
  'ConfigurationSetSendingPausedException',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestThrottled',
  'LimitExceededException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalServerError',
]);
/** Connection failures before the request left this machine: safe to send again. */
const NEVER_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'CredentialsProviderError']);

/**
 * transient: SES answered with throttling/5xx, or the request never left (connection refused, no credentials).
 * unknown: no answer after the request may have been delivered (our timeout, a reset connection).
 * permanent: SES answered with any other error (MessageRejected, MailFromDomainNotVerified, bad input…).
 */
function classify(err: Error & { $metadata?: { httpStatusCode?: number }; $retryable?: unknown; code?: string }): 'transient' | 'unknown' | 'permanent' {
  const status = err.$metadata?.httpStatusCode;
  if (RETRY_LATER.has(err.name) || Boolean(err.$retryable)) return 'transient';
  if (status !== undefined) return status === 429 || status >= 500 ? 'transient' : 'permanent';
  if (NEVER_SENT_CODES.has(err.code ?? '') || NEVER_SENT_CODES.has(err.name)) return 'transient';
  const cause = (err as { cause?: { code?: string } }).cause;
  if (cause && NEVER_SENT_CODES.has(cause.code ?? '')) return 'transient';
  return 'unknown';
}

async function releaseClaim(Key: Record<string, string>): Promise<void> {
  await ddb
    .send(
      new DeleteCommand({
        TableName: tableName(),
        Key,
        ConditionExpression: '#s = :sending',
        ExpressionAttributeNames: { '#s': 'state' },
        ExpressionAttributeValues: { ':sending': 'SENDING' },
      }),
    )
    .catch(() => undefined);
}

async function settleExistingClaim(Key: Record<string, string>): Promise<boolean> {
  const existing = (await ddb.send(new GetCommand({ TableName: tableName(), Key, ConsistentRead: true }))).Item as EmailRecord | undefined;
  if (!existing) return false; // released by a sender that will retry: the next drain claims it
  if (existing.state !== 'SENDING') return true;
  if (Date.now() - Date.parse(existing.claimedAt) < UNCONFIRMED_AFTER_MS) return false; // another sender is at it
  await ddb
    .send(
      new UpdateCommand({
        TableName: tableName(),
        Key,
        UpdateExpression: 'SET #s = :u, #e = :why',
        ConditionExpression: '#s = :sending',
        ExpressionAttributeNames: { '#s': 'state', '#e': 'error' },
        ExpressionAttributeValues: { ':u': 'UNCONFIRMED', ':sending': 'SENDING', ':why': 'the sender stopped before confirming; not resent to avoid a duplicate' },
      }),
    )
    .catch(() => undefined);
  return true;
}

/** Why the address gets no email (a permanent bounce or a complaint), or undefined. */
async function suppressionOf(address: string): Promise<string | undefined> {
  const r = await ddb.send(new GetCommand({ TableName: tableName(), Key: suppressionKey(address), ConsistentRead: true }));
  if (!r.Item) return undefined;
  const reason = typeof r.Item['reason'] === 'string' ? r.Item['reason'] : 'bounced or complained';
  return typeof r.Item['at'] === 'string' ? `${reason}, ${r.Item['at']}` : reason;
}

async function renderInput(c: CaseRecord, entry: OutboxEntry, event: TimelineEvent, policy: Policy): Promise<RenderInput> {
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
