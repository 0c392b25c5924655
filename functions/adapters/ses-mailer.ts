// Secondary adapter: the Mailer port on SES (v1 SendRawEmail, the MIME built by ./mime-message.ts: one recipient
// per message, which also keys idempotency per recipient; raw, because SendEmail cannot carry the threading headers). It tells apart "SES did not take it" (safe to retry), "SES refused it" (never retry) and "no answer after
// the request may have reached SES" (never resend: it could duplicate).
import { SendRawEmailCommand } from '@aws-sdk/client-ses';
import { ses } from '../commons/clients/ses.ts';
import { getPolicy } from '../commons/config.ts';
import { mimeMessage } from './mime-message.ts';
import type { Policy } from '../domain/policy.ts';
import { PermanentMailError, TransientMailError, UnknownMailOutcomeError, type Mailer, type OutgoingEmail } from '../app/ports.ts';

/** The SES configuration set: the policy's, else the one the deployment names (SES_CONFIGURATION_SET). */
export function configurationSetName(policy: Policy): string | undefined {
  return policy.notifications.configurationSet || process.env['SES_CONFIGURATION_SET'] || undefined;
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
export function classify(err: Error & { $metadata?: { httpStatusCode?: number }; $retryable?: unknown; code?: string }): 'transient' | 'unknown' | 'permanent' {
  const status = err.$metadata?.httpStatusCode;
  if (RETRY_LATER.has(err.name) || Boolean(err.$retryable)) return 'transient';
  if (status !== undefined) return status === 429 || status >= 500 ? 'transient' : 'permanent';
  if (NEVER_SENT_CODES.has(err.code ?? '') || NEVER_SENT_CODES.has(err.name)) return 'transient';
  const cause = (err as { cause?: { code?: string } }).cause;
  if (cause && NEVER_SENT_CODES.has(cause.code ?? '')) return 'transient';
  return 'unknown';
}

/** The MIME message: text and HTML alternatives in UTF-8, the reply address and the threading headers. */
export function rawMessage(email: OutgoingEmail, policy: Policy): Buffer {
  const replyTo = email.replyTo ?? policy.notifications.replyTo;
  return mimeMessage({
    from: policy.notifications.from,
    to: email.to,
    ...(replyTo ? { replyTo } : {}),
    subject: email.subject,
    text: email.text,
    html: email.html,
    ...(email.headers ? { headers: email.headers } : {}),
  });
}

export const sesMailer: Mailer = {
  async send(email, deadline) {
    const policy = getPolicy();
    const configurationSet = configurationSetName(policy);
    // Whether an HTTP request was out at SES when the time ran out (vs. the SDK waiting between retries): then it is
    // unknown whether SES took the email; between retries it is certainly unsent.
    let inFlight = false;
    let abortedInFlight = false;
    const timeout = AbortSignal.timeout(Math.max(1_000, deadline - Date.now()));
    timeout.addEventListener('abort', () => (abortedInFlight = inFlight), { once: true });
    const command = new SendRawEmailCommand({
      Source: policy.notifications.from,
      Destinations: [email.to],
      ...(configurationSet ? { ConfigurationSetName: configurationSet } : {}),
      RawMessage: { Data: rawMessage(email, policy) },
      Tags: Object.entries(email.tags).map(([Name, Value]) => ({ Name, Value })),
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
    try {
      return (await ses().send(command, { abortSignal: timeout })).MessageId;
    } catch (e) {
      const err = e as Error & { $metadata?: { httpStatusCode?: number } };
      const what = `${err.name}: ${err.message}`;
      const aborted = timeout.aborted && (err.name === 'AbortError' || err.name === 'TimeoutError');
      switch (aborted ? (abortedInFlight ? 'unknown' : 'transient') : classify(err)) {
        case 'transient':
          throw new TransientMailError(what, { cause: e });
        case 'unknown':
          throw new UnknownMailOutcomeError(`the send may or may not have reached SES (${what})`, { cause: e });
        default:
          throw new PermanentMailError(what, { cause: e });
      }
    }
  },
};
