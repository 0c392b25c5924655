// Application: a customer's email reply, from the raw message to the case. Every change goes through the case use
// cases (one transaction each), keyed by the message's Message-ID as an idempotency key, so a second delivery — SES
// retrying the function, the sender's server sending twice — can never apply twice. What does not land is kept aside
// with why, under the same key, so ops see it once.
//
// Steps:
//   1. read the raw message from the mail store and parse it (functions/inbound/parse.ts);
//   2. a Message-ID already handled → nothing (a duplicate);
//   3. refuse, keeping it aside: failed SES verdicts, automatic messages (out-of-office, bounces, bulk), an address
//      that is not a valid signed reply address, an unknown case, a sender who is not the case's customer;
//   4. keep its attachments (deterministic keys: a retry overwrites the same objects);
//   5. land it: OPEN → comment; PAUSED → resume + comment; RESOLVED within reopenWithin → reopen + comment (each one
//      change); RESOLVED longer ago or CLOSED → a note on that case and a new linked case holding the reply.
import { createHash } from 'node:crypto';
import { ulid } from 'ulid';
import {
  applyCustomerReply,
  automaticMessage,
  failedVerdicts,
  isFromCustomer,
  recordLinkedCase,
  replyDisposition,
  ReplyNeedsNewCaseError,
  type CustomerReply,
  type RefusalReason,
  type ReplyAttachment,
  type Verdicts,
} from '../domain/inbound.ts';
import type { Actor, CaseRecord } from '../domain/model.ts';
import { caseReference, referenceOf } from '../domain/operations.ts';
import type { Policy } from '../domain/policy.ts';
import { parseMail, type ParsedMail } from '../inbound/parse.ts';
import type { CaseUseCases, Idempotency } from './cases.ts';
import { requestHash } from './idempotency.ts';
import { IdempotencyRecordExistsError, type CaseStore, type InboundStore, type MailStore } from './ports.ts';

/** The idempotency scope of inbound mail: keys are Message-IDs, never a client's keys. */
export const INBOUND_CLIENT = 'inbound-email';
/**
 * A Message-ID is remembered this long. SES retries a failed invocation for up to 6 hours, but a mail client that was
 * offline may send the same message again days later: longer than an API key's day.
 */
export const MESSAGE_ID_KEEP_S = 30 * 86_400;

/** A message as the receiving side hands it over (SES's receipt event, or the local SMTP server's). */
export interface ReceivedMail {
  /** The mail store's key of the raw message. */
  rawKey: string;
  receivedAt: string;
  /** MAIL FROM (empty for bounces). */
  envelopeFrom: string;
  /** RCPT TO addresses that reached us. */
  recipients: string[];
  verdicts: Verdicts;
}

export type InboundOutcome =
  | { outcome: 'duplicate'; messageId: string }
  | { outcome: 'quarantined'; messageId: string; reason: RefusalReason; detail: string }
  | { outcome: 'landed'; messageId: string; caseId: string; action: 'comment' | 'resume' | 'reopen' }
  | { outcome: 'new-case'; messageId: string; caseId: string; linkedFrom: string };

export interface InboundPorts {
  cases: CaseUseCases;
  store: CaseStore;
  inbound: InboundStore;
  mail: MailStore;
  policy: () => Policy;
  /** The case reference a recipient address names, when it is a valid signed reply address. */
  replyReference: (address: string) => Promise<string | undefined>;
  maxAttachmentBytes?: number;
  now?: () => Date;
}

/** A file name safe as a key's last part (the original name stays on the timeline). */
const safeName = (name: string) => name.replace(/[^\w.-]+/g, '_').replace(/^\.+/, '').slice(0, 100) || 'attachment';

/** The same message always gets the same new case id (a retry must not open a second case): time and bits from it. */
function caseIdFor(key: string, receivedAt: string): string {
  const bytes = createHash('sha256').update(`case:${key}`).digest();
  let i = 0;
  return ulid(Date.parse(receivedAt), () => bytes[i++ % bytes.length]! / 256);
}

export function inboundUseCases(ports: InboundPorts) {
  const now = ports.now ?? (() => new Date());

  async function receive(mail: ReceivedMail): Promise<InboundOutcome> {
    const parsed = await parseMail(await ports.mail.raw(mail.rawKey), ports.maxAttachmentBytes !== undefined ? { maxAttachmentBytes: ports.maxAttachmentBytes } : {});
    const messageId = parsed.messageId;
    const key = createHash('sha256').update(messageId).digest('hex');
    const hash = requestHash({ messageId });
    if (await ports.store.getIdempotency(INBOUND_CLIENT, key)) return { outcome: 'duplicate', messageId };

    const refuse = async (reason: RefusalReason, detail: string, caseId?: string): Promise<InboundOutcome> => {
      try {
        await ports.inbound.quarantine(
          {
            id: key,
            messageId,
            receivedAt: mail.receivedAt,
            ...(parsed.from ? { from: parsed.from } : {}),
            recipients: mail.recipients,
            subject: parsed.subject,
            reason,
            detail,
            rawKey: mail.rawKey,
            ...(caseId ? { caseId } : {}),
          },
          { clientId: INBOUND_CLIENT, key, requestHash: hash, response: { statusCode: 202, body: JSON.stringify({ quarantined: reason }) }, keepSeconds: MESSAGE_ID_KEEP_S },
        );
      } catch (e) {
        if (e instanceof IdempotencyRecordExistsError) return { outcome: 'duplicate', messageId };
        throw e;
      }
      return { outcome: 'quarantined', messageId, reason, detail };
    };

    const failed = failedVerdicts(mail.verdicts);
    if (failed.length) return refuse('verdict', `SES verdicts failed: ${failed.join(', ')}`);
    const automatic = automaticMessage(parsed.headers, parsed.from, mail.envelopeFrom);
    if (automatic) return refuse('auto-reply', `an automatic message: ${automatic}`);

    let reference: string | undefined;
    for (const r of mail.recipients) reference ??= await ports.replyReference(r);
    if (!reference) return refuse('unknown-address', `not a valid reply address: ${mail.recipients.join(', ')}`);
    const c = await ports.inbound.caseByReference(reference);
    if (!c) return refuse('unknown-case', `no case ${reference}`);
    if (!isFromCustomer(c, parsed.from)) return refuse('not-the-customer', `from ${parsed.from ?? '(no From address)'}, not the customer of ${reference}`, c.id);

    const reply: CustomerReply = {
      messageId,
      from: parsed.from!,
      subject: parsed.subject,
      text: parsed.text,
      truncated: parsed.truncated,
      attachments: await keepAttachments(key, parsed),
      receivedAt: mail.receivedAt,
    };
    const actor: Actor = { kind: 'customer', id: reply.from };
    const idempotency = (k: string): Idempotency => ({
      clientId: INBOUND_CLIENT,
      key: k,
      hash,
      respond: (x) => ({ statusCode: 200, body: JSON.stringify({ caseId: x.id }) }),
      keepSeconds: MESSAGE_ID_KEEP_S,
    });

    const disposition = replyDisposition(c, ports.policy(), now());
    if (disposition.kind !== 'new-case') {
      try {
        await ports.cases.changeCase(c.id, (current, ctx) => applyCustomerReply(current, reply, ctx), { actor, idempotency: idempotency(key), current: c });
        return { outcome: 'landed', messageId, caseId: c.id, action: disposition.kind };
      } catch (e) {
        // Resolved or closed meanwhile (the change re-checks the fresh case): the reply opens a linked case instead.
        if (!(e instanceof ReplyNeedsNewCaseError)) throw e;
        const fresh = (await ports.store.get(c.id)) ?? c;
        return openLinkedCase(fresh, reply, e.message, key, actor, idempotency);
      }
    }
    return openLinkedCase(c, reply, disposition.reason, key, actor, idempotency);
  }

  /**
   * First the note on the earlier case (its own key), then the new case (the message's key, which marks the message
   * handled): a crash between the two is finished by the redelivery, which finds the note already written.
   */
  async function openLinkedCase(
    earlier: CaseRecord,
    reply: CustomerReply,
    reason: string,
    key: string,
    actor: Actor,
    idempotency: (k: string) => Idempotency,
  ): Promise<InboundOutcome> {
    const id = caseIdFor(key, reply.receivedAt);
    await ports.cases.changeCase(earlier.id, (current, ctx) => recordLinkedCase(current, { caseId: id, reference: caseReference(id), reason }, ctx), {
      actor,
      idempotency: idempotency(`${key}:link`),
      current: earlier,
    });
    const description = reply.text || '(The reply had no text of its own.)';
    await ports.cases.createCase(
      id,
      {
        customer: earlier.customer,
        subject: earlier.subject,
        description,
        priority: earlier.priority,
        ...(earlier.category ? { category: earlier.category } : {}),
      },
      actor,
      idempotency(key),
      {
        linkedFrom: { caseId: earlier.id, reference: referenceOf(earlier), reason },
        data: { source: 'email', messageId: reply.messageId, from: reply.from, subject: reply.subject, attachments: reply.attachments },
      },
    );
    return { outcome: 'new-case', messageId: reply.messageId, caseId: id, linkedFrom: earlier.id };
  }

  async function keepAttachments(key: string, parsed: ParsedMail): Promise<ReplyAttachment[]> {
    return Promise.all(
      parsed.attachments.map(async (a, i) => {
        const listed: ReplyAttachment = { name: a.name, type: a.type, size: a.size, inline: a.inline };
        if (!a.content) return { ...listed, refused: a.refused ?? 'not kept' };
        return { ...listed, storedAs: await ports.mail.putAttachment(`attachments/${key}/${i + 1}-${safeName(a.name)}`, a.content, a.type) };
      }),
    );
  }

  return { receive };
}

export type InboundUseCases = ReturnType<typeof inboundUseCases>;
