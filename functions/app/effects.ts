// Application: the effects a committed change owes, done after it from the table's stream (and by the reconciler for
// anything the stream consumer gave up on). Each is idempotent, so a redelivered record or a second worker is harmless:
//
// - Timer hand-over: a case whose timer is pending gets the previous execution stopped and its own started (the
//   deterministic name makes a second start a no-op), then confirmed.
// - Email: exactly once per (case, milestone, recipient). The owed email is claimed (OWED → SENDING) before it is
//   sent, so a redelivery, a second consumer or the reconciler finds the claim and sends nothing. What happens to one:
//     SENT        SES accepted it (messageId recorded).
//     FAILED      SES refused it for good (e.g. MessageRejected), or it could not be rendered. Never retried.
//     SUPPRESSED  not sent: the address bounced or complained before, or a later email owed to the same person
//                 at the same time makes it pointless (a status update overtaken by the next one).
//     UNCONFIRMED the sender stopped between claim and SES's answer; never resent, to avoid a duplicate.
//     (OWED again) a transient failure (throttling, 5xx, network) after the SDK's own retries: the claim is released
//                 and the email stays owed for the reconciler. The record itself succeeds: one address SES is throttling
//                 must not hold up every other case's effects behind it on the stream.
import type { CaseRecord, TimelineEvent } from '../domain/model.ts';
import { supersedingEmail } from '../domain/notifications.ts';
import type { Policy } from '../domain/policy.ts';
import { nextWakeUp } from '../domain/sla.ts';
import {
  PermanentMailError,
  TransientMailError,
  UnknownMailOutcomeError,
  type CaseStore,
  type EmailRecord,
  type EmailStore,
  type Mailer,
  type OutgoingEmail,
  type Timer,
} from './ports.ts';

/** A claim older than this whose sender never confirmed is given up on (reported, never resent). */
export const UNCONFIRMED_AFTER_MS = 120_000;
/**
 * One send may take at most this long (SES with the SDK's retries and backoff): far below UNCONFIRMED_AFTER_MS, so a
 * claim older than that belongs to a sender that is gone.
 */
const SEND_BUDGET_MS = 10_000;

/** Renders an owed email for its case and event (templates, signed survey links, the customer's history). */
export interface EmailComposer {
  compose(c: CaseRecord, email: EmailRecord, event: TimelineEvent): Promise<OutgoingEmail>;
}

export interface EffectPorts {
  store: CaseStore;
  emails: EmailStore;
  timer: Timer;
  mailer: Mailer;
  composer: EmailComposer;
  policy: () => Policy;
  now?: () => Date;
  log?: { warn(msg: string, data: Record<string, unknown>): void; error(msg: string, data: Record<string, unknown>): void };
}

export type EmailOutcome = EmailRecord['state'] | 'SKIPPED';

export function effectUseCases(ports: EffectPorts) {
  const now = ports.now ?? (() => new Date());
  const log = ports.log ?? { warn: () => undefined, error: () => undefined };

  /**
   * The case's timer is pending: stop the execution it replaces (`before`'s, when the stream shows the change) and
   * start its own, waiting for the first deadline; then mark it confirmed.
   */
  async function handOverTimer(after: CaseRecord, before?: CaseRecord): Promise<void> {
    if (!after.timer.pending) return;
    const previous = before ? before.timer.version : after.timer.version - 1;
    if (previous >= 1 && previous < after.timer.version) {
      await ports.timer.stop(after.id, previous, `timer handed to version ${after.timer.version}`);
    }
    // The same case state always gives the same input, so a retried start is recognised as the same execution.
    const wakeAt = nextWakeUp(after, ports.policy());
    if (wakeAt !== null) await ports.timer.start(after.id, after.timer.version, wakeAt);
    await ports.store.confirmTimer(after.id, after.timer.version);
  }

  /**
   * Send one owed email at most once. `owedTogether`: the other emails of the same case owed in the same batch (a
   * later one to the same person may make this one pointless). 'OWED' when SES could not take it now.
   */
  async function deliverEmail(email: EmailRecord, owedTogether: readonly EmailRecord[] = []): Promise<EmailOutcome> {
    if (email.state !== 'OWED') return settleExistingClaim(email);
    const overtakenBy = supersedingEmail(email, owedTogether);
    if (overtakenBy) {
      const skipped = await ports.emails.skipEmail(email, {
        state: 'SUPPRESSED',
        error: `not sent: the later ${overtakenBy.template} email to the same recipient covers it`,
      });
      return skipped ? 'SUPPRESSED' : 'SKIPPED';
    }

    const claimedAt = now().toISOString();
    if (!(await ports.emails.claimEmail(email, claimedAt))) return 'SKIPPED'; // another sender holds or settled it
    const settle = async (outcome: Parameters<EmailStore['settleEmail']>[2]) => {
      await ports.emails.settleEmail(email, claimedAt, outcome);
      return outcome.state;
    };

    const { case: c, event, suppression } = await ports.emails.deliveryContext(email);
    if (suppression) return settle({ state: 'SUPPRESSED', error: `not sent: the address is suppressed (${suppression}); no further email goes to it` });
    if (!c || !event) return settle({ state: 'FAILED', error: `${c ? `event ${email.eventId}` : `case ${email.caseId}`} is not in the store` });

    // Rendering is pure: an error here is a bug or bad data, and retrying would fail the same way.
    let outgoing: OutgoingEmail;
    try {
      outgoing = await ports.composer.compose(c, email, event);
    } catch (e) {
      log.error('email could not be rendered', { caseId: email.caseId, key: email.key, error: e as Error });
      return settle({ state: 'FAILED', error: `could not be rendered: ${(e as Error).message}` });
    }

    let messageId: string | undefined;
    try {
      messageId = await ports.mailer.send(outgoing, Date.now() + SEND_BUDGET_MS);
    } catch (e) {
      if (e instanceof TransientMailError) {
        // Not sent: free the claim so the reconciler's next run sends it.
        await ports.emails.releaseEmail(email, claimedAt);
        log.warn('email send failed, will retry', { caseId: email.caseId, key: email.key, error: e });
        return 'OWED';
      }
      if (e instanceof UnknownMailOutcomeError) {
        log.error('email send outcome unknown', { caseId: email.caseId, key: email.key, error: e });
        return settle({ state: 'UNCONFIRMED', error: `${e.message}; not resent to avoid a duplicate` });
      }
      if (e instanceof PermanentMailError) {
        log.error('email permanently failed', { caseId: email.caseId, key: email.key, error: e });
        return settle({ state: 'FAILED', error: e.message });
      }
      throw e;
    }
    // Sent. If the confirmation cannot be written, the claim stays SENDING and is later reported as unconfirmed,
    // never resent: a failed confirmation must not look like a failed send.
    return settle({ state: 'SENT', sentAt: now().toISOString(), ...(messageId ? { messageId } : {}) });
  }

  /** Someone claimed it: nothing to do unless its sender is long gone (then it is reported, never resent). */
  async function settleExistingClaim(email: EmailRecord): Promise<EmailOutcome> {
    if (email.state !== 'SENDING' || !email.claimedAt) return 'SKIPPED';
    if (now().getTime() - Date.parse(email.claimedAt) < UNCONFIRMED_AFTER_MS) return 'SKIPPED';
    await ports.emails.settleEmail(email, email.claimedAt, {
      state: 'UNCONFIRMED',
      error: 'the sender stopped before confirming; not resent to avoid a duplicate',
    });
    return 'UNCONFIRMED';
  }

  return { handOverTimer, deliverEmail };
}

export type EffectUseCases = ReturnType<typeof effectUseCases>;
