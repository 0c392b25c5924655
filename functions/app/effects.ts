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
//     (held)      a pre-breach warning, when the policy has a warning digest span: it stays OWED, and the reconciler
//                 sends it with the other warnings to the same manager in that span as one digest.
//     (OWED again) a transient failure (throttling, 5xx, network) after the SDK's own retries: the claim is released
//                 and the email stays owed for the reconciler. The record itself succeeds: one address SES is throttling
//                 must not hold up every other case's effects behind it on the stream.
import type { CaseRecord, TimelineEvent } from '../domain/model.ts';
import { supersedingEmail } from '../domain/notifications.ts';
import { warningDigestMs, type Policy } from '../domain/policy.ts';
import { planWarningDigests } from '../domain/warning-digest.ts';
import { nextWakeUp } from '../domain/sla.ts';
import {
  PermanentMailError,
  TransientMailError,
  UnknownMailOutcomeError,
  type CaseStore,
  type EmailRecord,
  type EmailStore,
  type Mailer,
  type DeliveryContext,
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
  /** One email for several pre-breach warnings to the same recipient (soonest deadline first). */
  composeDigest(to: string, warnings: readonly { case: CaseRecord; email: EmailRecord; event: TimelineEvent }[]): Promise<OutgoingEmail>;
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

  /** With a digest span in the policy, a pre-breach warning waits for company: sendWarningDigests sends it. */
  const heldForDigest = (email: EmailRecord) => email.template === 'breach-warning' && warningDigestMs(ports.policy()) !== null;

  /**
   * Send one owed email at most once. `owedTogether`: the other emails of the same case owed in the same batch (a
   * later one to the same person may make this one pointless). `preloaded`: its delivery context, read (after its
   * record was committed) together with the rest of a stream batch's. 'OWED' when SES could not take it now, or when
   * it is a warning held for a digest.
   */
  async function deliverEmail(email: EmailRecord, owedTogether: readonly EmailRecord[] = [], preloaded?: DeliveryContext): Promise<EmailOutcome> {
    if (email.state !== 'OWED') return settleExistingClaim(email);
    if (heldForDigest(email)) return 'OWED';
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
    const claim = { email, claimedAt };
    const { case: c, event, suppression } = preloaded ?? (await ports.emails.deliveryContext(email));
    if (suppression) return settleAll([claim], suppressed(suppression));
    if (!c || !event) return settleAll([claim], { state: 'FAILED', error: `${c ? `event ${email.eventId}` : `case ${email.caseId}`} is not in the store` });
    return sendClaimed([claim], () => ports.composer.compose(c, email, event));
  }

  /**
   * The reconciler's share of the warnings held for a digest: group the owed ones per recipient into the policy's
   * span (functions/domain/warning-digest.ts) and send each group whose time has come as one email — or alone, when
   * no other warning came. Every member is claimed before the send, so a digest goes out once and none of its
   * warnings again. Returns how many emails were sent.
   */
  async function sendWarningDigests(owed: readonly EmailRecord[]): Promise<number> {
    const warnings = owed.filter((e) => e.state === 'OWED' && e.template === 'breach-warning');
    const span = warningDigestMs(ports.policy());
    if (!warnings.length) return 0;
    if (span === null) {
      // The digest was turned off since they were held: each goes out on its own.
      const outcomes = await Promise.all(warnings.map((e) => deliverEmail(e)));
      return outcomes.filter((o) => o === 'SENT').length;
    }
    const contexts = await ports.emails.deliveryContexts(warnings);
    const byKey = new Map(warnings.map((e) => [e.key, e]));
    const plans = planWarningDigests(
      warnings.map((e) => {
        const { case: c, event } = contexts.get(e.key)!;
        const dueAt = typeof event?.data?.['dueAt'] === 'string' ? event.data['dueAt'] : (c?.sla.levelDueAt ?? e.owedAt);
        return { caseId: e.caseId, key: e.key, to: e.to, at: e.owedAt, level: String(event?.data?.['level'] ?? c?.level ?? ''), dueAt };
      }),
      span,
    );
    let sent = 0;
    for (const plan of plans) {
      if (Date.parse(plan.sendAt) > now().getTime()) continue; // its span is still open: the next run sends it
      const members = plan.warnings.map((w) => byKey.get(w.key!)!);
      if ((await sendDigest(members, contexts)) === 'SENT') sent++;
    }
    return sent;
  }

  async function sendDigest(members: readonly EmailRecord[], contexts: ReadonlyMap<string, DeliveryContext>): Promise<EmailOutcome> {
    const claimedAt = now().toISOString();
    const claimed = (await Promise.all(members.map(async (email) => ((await ports.emails.claimEmail(email, claimedAt)) ? [{ email, claimedAt }] : [])))).flat();
    if (!claimed.length) return 'SKIPPED';
    const suppression = contexts.get(claimed[0]!.email.key)?.suppression;
    if (suppression) return settleAll(claimed, suppressed(suppression));
    const live: { email: EmailRecord; claimedAt: string; case: CaseRecord; event: TimelineEvent }[] = [];
    for (const claim of claimed) {
      const { case: c, event } = contexts.get(claim.email.key) ?? {};
      if (!c || !event) {
        await settleAll([claim], { state: 'FAILED', error: `${c ? `event ${claim.email.eventId}` : `case ${claim.email.caseId}`} is not in the store` });
      } else if ((c.status !== 'OPEN' && c.status !== 'PAUSED') || (event.data?.['level'] !== undefined && event.data['level'] !== c.level)) {
        // Held for company, the warning went stale: the case was resolved or escalated meanwhile (that sent its own email).
        await settleAll([claim], { state: 'SUPPRESSED', error: `not sent: by the time the digest went out the case had moved on (${c.status} at ${c.level})` });
      } else {
        live.push({ ...claim, case: c, event });
      }
    }
    if (!live.length) return 'SUPPRESSED';
    if (live.length === 1) return sendClaimed(live, () => ports.composer.compose(live[0]!.case, live[0]!.email, live[0]!.event));
    return sendClaimed(live, () => ports.composer.composeDigest(live[0]!.email.to, live), `sent in one digest of ${live.length} warnings`);
  }

  const suppressed = (why: string) => ({ state: 'SUPPRESSED' as const, error: `not sent: the address is suppressed (${why}); no further email goes to it` });

  async function settleAll(claims: readonly { email: EmailRecord; claimedAt: string }[], outcome: Parameters<EmailStore['settleEmail']>[2]): Promise<EmailOutcome> {
    await Promise.all(claims.map((c) => ports.emails.settleEmail(c.email, c.claimedAt, outcome)));
    return outcome.state;
  }

  /** Render and send one email for the claimed records (one, or a digest's members), and settle each the same way. */
  async function sendClaimed(claims: readonly { email: EmailRecord; claimedAt: string }[], render: () => Promise<OutgoingEmail>, digest?: string): Promise<EmailOutcome> {
    const first = claims[0]!.email;
    // Rendering is pure: an error here is a bug or bad data, and retrying would fail the same way.
    let outgoing: OutgoingEmail;
    try {
      outgoing = await render();
    } catch (e) {
      log.error('email could not be rendered', { caseId: first.caseId, key: first.key, error: e as Error });
      return settleAll(claims, { state: 'FAILED', error: `could not be rendered: ${(e as Error).message}` });
    }

    let messageId: string | undefined;
    try {
      messageId = await ports.mailer.send(outgoing, Date.now() + SEND_BUDGET_MS);
    } catch (e) {
      if (e instanceof TransientMailError) {
        // Not sent: free the claims so the reconciler's next run sends them.
        await Promise.all(claims.map((c) => ports.emails.releaseEmail(c.email, c.claimedAt)));
        log.warn('email send failed, will retry', { caseId: first.caseId, key: first.key, error: e });
        return 'OWED';
      }
      if (e instanceof UnknownMailOutcomeError) {
        log.error('email send outcome unknown', { caseId: first.caseId, key: first.key, error: e });
        return settleAll(claims, { state: 'UNCONFIRMED', error: `${e.message}; not resent to avoid a duplicate` });
      }
      if (e instanceof PermanentMailError) {
        log.error('email permanently failed', { caseId: first.caseId, key: first.key, error: e });
        return settleAll(claims, { state: 'FAILED', error: e.message });
      }
      throw e;
    }
    // Sent. If the confirmation cannot be written, the claim stays SENDING and is later reported as unconfirmed,
    // never resent: a failed confirmation must not look like a failed send.
    return settleAll(claims, { state: 'SENT', sentAt: now().toISOString(), ...(messageId ? { messageId } : {}), ...(digest ? { digest } : {}) });
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

  /** The delivery contexts of a stream batch's owed emails (those it will send), in one read. */
  async function deliveryContexts(emails: readonly EmailRecord[]): Promise<Map<string, DeliveryContext>> {
    const sending = emails.filter((e) => e.state === 'OWED' && !heldForDigest(e));
    return sending.length ? ports.emails.deliveryContexts(sending) : new Map();
  }

  return { handOverTimer, deliverEmail, deliveryContexts, sendWarningDigests };
}

export type EffectUseCases = ReturnType<typeof effectUseCases>;
