// Domain: what a customer's email reply does to a case, and which inbound mail never lands — pure functions of
// (case, mail, policy, now). Parsing MIME and storing attachments are adapters' work (functions/inbound/); this module
// only decides.
import { appendEvents, type ChangeContext } from './change.ts';
import { durationMs } from './duration.ts';
import type { CaseRecord } from './model.ts';
import { referenceOf, reopen, resume } from './operations.ts';
import type { Policy } from './policy.ts';

/** An attachment of a reply as the timeline lists it: kept (with where) or refused (with why). */
export interface ReplyAttachment {
  name: string;
  type: string;
  size: number;
  /** Shown in the message body (a pasted screenshot, a signature logo) rather than attached. */
  inline: boolean;
  /** Where it is kept (an S3 object key on AWS, a path under the data folder locally); absent when refused. */
  storedAs?: string;
  /** Why it was not kept (e.g. too large). */
  refused?: string;
}

/** A customer's reply, parsed and cleaned: the text they wrote (no quoted history, no signature). */
export interface CustomerReply {
  /** The Message-ID header: one message lands once, however often it is delivered. */
  messageId: string;
  from: string;
  subject: string;
  text: string;
  /** The text was longer than a comment may be and was cut. */
  truncated: boolean;
  attachments: ReplyAttachment[];
  receivedAt: string;
}

/** The largest attachment kept by default: SES receives messages up to 40 MB, but one file that big is not a reply. */
export const DEFAULT_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

/** The longest reply kept on the timeline (a comment's limit); the raw message stays in the mail store. */
export const MAX_REPLY_CHARS = 10_000;

/** Why an inbound message was kept aside instead of landing on a case. */
export const REFUSAL_REASONS = ['verdict', 'auto-reply', 'unknown-address', 'unknown-case', 'not-the-customer'] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/**
 * What a reply does, by the case's state:
 * - OPEN: a public comment from the customer;
 * - PAUSED: the case resumes (the SLA clock restarts with the time that was left), then the comment;
 * - RESOLVED within `reopenWithin` of the resolution: the case reopens, then the comment;
 * - RESOLVED longer ago, or CLOSED: a new case, linked to this one, counted as a repeat escalation.
 */
export type ReplyDisposition =
  | { kind: 'comment' }
  | { kind: 'resume' }
  | { kind: 'reopen' }
  | { kind: 'new-case'; reason: string };

export function replyDisposition(c: CaseRecord, policy: Policy, now: Date): ReplyDisposition {
  switch (c.status) {
    case 'OPEN':
      return { kind: 'comment' };
    case 'PAUSED':
      return { kind: 'resume' };
    case 'RESOLVED': {
      const resolvedAt = Date.parse(c.resolvedAt ?? c.updatedAt);
      if (now.getTime() - resolvedAt <= durationMs(policy.reopenWithin)) return { kind: 'reopen' };
      return { kind: 'new-case', reason: `the customer replied by email more than ${policy.reopenWithin} after ${referenceOf(c)} was resolved` };
    }
    case 'CLOSED':
      return { kind: 'new-case', reason: `the customer replied by email after ${referenceOf(c)} was closed` };
  }
}

/** The reply as the timeline records it: the customer's public comment, with the message it came from. */
function replyEvent(reply: CustomerReply) {
  return {
    type: 'commented',
    summary: reply.text || '(The reply had no text of its own.)',
    data: {
      visibility: 'public',
      source: 'email',
      messageId: reply.messageId,
      from: reply.from,
      subject: reply.subject,
      attachments: reply.attachments,
      ...(reply.truncated ? { truncated: true } : {}),
    },
  };
}

/**
 * The reply applied to a case that takes it (OPEN, PAUSED, or RESOLVED within the reopen window): one change, so
 * the resume or reopen and the comment are written together or not at all. Re-checked on the case as it is when the
 * change is applied (a concurrent resolve or close is seen): a case that no longer takes replies throws, and the
 * caller opens a linked case instead.
 */
export function applyCustomerReply(c: CaseRecord, reply: CustomerReply, ctx: ChangeContext): CaseRecord {
  const d = replyDisposition(c, ctx.policy, ctx.now);
  let next = c;
  if (d.kind === 'resume') next = resume(c, { reason: 'The customer replied by email; the SLA clock is running again.' }, ctx);
  if (d.kind === 'reopen') next = reopen(c, { reason: `The customer replied by email within ${ctx.policy.reopenWithin} of the resolution.` }, ctx);
  if (d.kind === 'new-case') throw new ReplyNeedsNewCaseError(d.reason);
  return appendEvents(next, next, ctx, [replyEvent(reply)]);
}

export class ReplyNeedsNewCaseError extends Error {
  override name = 'ReplyNeedsNewCaseError';
}

/** On the earlier case: the customer wrote back and a new case was opened for it (no email; a note for the people). */
export function recordLinkedCase(c: CaseRecord, linked: { caseId: string; reference: string; reason: string }, ctx: ChangeContext): CaseRecord {
  return appendEvents(c, c, ctx, [
    {
      type: 'linked-case.opened',
      summary: `The customer wrote back by email; ${linked.reason}, so case ${linked.reference} was opened for it.`,
      data: { caseId: linked.caseId, reference: linked.reference },
    },
  ]);
}

// ---- what never lands ----

/** SES's verdicts on a received message (PASS, FAIL, GRAY, PROCESSING_FAILED, DISABLED). */
export interface Verdicts {
  spf: string;
  dkim: string;
  dmarc: string;
  spam: string;
  virus: string;
}

/**
 * The verdicts that refuse a message: any check that FAILED. GRAY (no SPF record, no DKIM signature, no DMARC policy)
 * is common for legitimate small senders and is not a refusal; the sender must still be the case's customer.
 */
export function failedVerdicts(v: Verdicts): string[] {
  return (Object.entries(v) as [keyof Verdicts, string][]).filter(([, s]) => s.toUpperCase() === 'FAIL').map(([k]) => k);
}

/**
 * Why a message is an automatic one (an out-of-office, a bounce, a list mail), from its headers (lower-case names),
 * or undefined for a message a person wrote. RFC 3834 (Auto-Submitted), the de-facto Precedence header, RFC 3464/8098
 * delivery and read reports (multipart/report), and the addresses bounces come from.
 */
export function automaticMessage(headers: ReadonlyMap<string, string>, from: string | undefined, envelopeFrom: string | undefined): string | undefined {
  const h = (name: string) => headers.get(name)?.trim().toLowerCase();
  const auto = h('auto-submitted');
  if (auto && auto !== 'no') return `Auto-Submitted: ${auto}`;
  const precedence = h('precedence');
  if (precedence && ['bulk', 'junk', 'list', 'auto_reply'].includes(precedence)) return `Precedence: ${precedence}`;
  for (const name of ['x-autoreply', 'x-autorespond', 'x-autoresponder']) if (h(name) !== undefined) return `${name} header`;
  const type = h('content-type');
  if (type?.startsWith('multipart/report')) return `a delivery or read report (${type.split(';')[0]})`;
  const sender = (from ?? '').toLowerCase();
  if (/^(mailer-daemon|postmaster)@/.test(sender)) return `sent by ${sender}`;
  // A bounce travels with an empty envelope sender (MAIL FROM:<>).
  if (envelopeFrom !== undefined && (envelopeFrom === '' || envelopeFrom === '<>')) return 'an empty envelope sender (a bounce)';
  return undefined;
}

/** A message from the case's customer: the From address, compared without case. */
export function isFromCustomer(c: CaseRecord, from: string | undefined): boolean {
  return !!from && from.trim().toLowerCase() === c.customer.email.trim().toLowerCase();
}
