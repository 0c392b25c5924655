// Application: the ports the use cases talk to. functions/adapters/ implements them for DynamoDB, Step Functions and
// SES; test/support/fakes.ts implements them in memory, so every use case is unit-tested in milliseconds.
import type { CaseRecord, OutboxEntry, TimelineEvent } from '../domain/model.ts';

/** An HTTP response as an Idempotency-Key replays it. */
export interface StoredResponse {
  statusCode: number;
  body: string;
  headers?: Record<string, string>;
}

export interface IdempotencyRecord {
  clientId: string;
  key: string;
  requestHash: string;
  response: StoredResponse;
  /** How long the record is kept (the store's default, a day, when absent). */
  keepSeconds?: number;
}

/** One change of a case, written as one transaction: all of it or nothing. */
export interface CaseCommit {
  /** The case after the change (its version already incremented). */
  case: CaseRecord;
  /** The version the stored case must still have; null for a new case (which must not exist). */
  expectedVersion: number | null;
  events: TimelineEvent[];
  emails: OutboxEntry[];
  /** Written with the change, so a retry with the same key finds it: it can neither apply twice nor half. */
  idempotency?: IdempotencyRecord;
}

/** The conditional write lost: someone else changed the case since it was read. */
export class StaleVersionError extends Error {
  override name = 'StaleVersionError';
}
export class CaseExistsError extends Error {
  override name = 'CaseExistsError';
}
/** Another case holds the new case's short reference: the creator derives the next one and tries again. */
export class ReferenceTakenError extends Error {
  override name = 'ReferenceTakenError';
}
/** The Idempotency-Key's record was written by a concurrent request with the same key. */
export class IdempotencyRecordExistsError extends Error {
  override name = 'IdempotencyRecordExistsError';
}

export type EmailState = 'OWED' | 'SENDING' | 'SENT' | 'FAILED' | 'SUPPRESSED' | 'UNCONFIRMED';

/** An owed email and its delivery record: one item, created OWED with the change that owes it. */
export interface EmailRecord extends OutboxEntry {
  caseId: string;
  state: EmailState;
  owedAt: string;
  claimedAt?: string;
  sentAt?: string;
  messageId?: string;
  error?: string;
  /** Sent as part of a warning digest: which (e.g. "sent in one digest of 4 warnings"). */
  digest?: string;
}

export interface CaseStore {
  get(id: string): Promise<CaseRecord | undefined>;
  getIdempotency(clientId: string, key: string): Promise<IdempotencyRecord | undefined>;
  /** The case and an idempotency record in one read. */
  getWithIdempotency(id: string, clientId: string, key: string): Promise<{ case?: CaseRecord; record?: IdempotencyRecord }>;
  /** Throws StaleVersionError, CaseExistsError, ReferenceTakenError or IdempotencyRecordExistsError when its conditions fail. */
  commit(change: CaseCommit): Promise<void>;
  /** An Idempotency-Key whose request changed nothing: its record alone (throws IdempotencyRecordExistsError). */
  putIdempotency(record: IdempotencyRecord): Promise<void>;
  /** Bookkeeping, not a change: the timer of `timerVersion` is running (no-op when a newer one took over). */
  confirmTimer(id: string, timerVersion: number): Promise<void>;
}

export interface EmailStore {
  getEmail(caseId: string, key: string): Promise<EmailRecord | undefined>;
  /** OWED → SENDING; false when someone else holds or settled it. */
  claimEmail(email: EmailRecord, claimedAt: string): Promise<boolean>;
  /** SENDING (claimed at `claimedAt`) → a final state. */
  settleEmail(email: EmailRecord, claimedAt: string, outcome: Pick<EmailRecord, 'state'> & Partial<Pick<EmailRecord, 'sentAt' | 'messageId' | 'error' | 'digest'>>): Promise<void>;
  /** OWED → a final state without sending (suppressed or overtaken). */
  skipEmail(email: EmailRecord, outcome: Pick<EmailRecord, 'state' | 'error'>): Promise<boolean>;
  /** SENDING → OWED: not sent (a transient failure), so a later attempt may claim it again. */
  releaseEmail(email: EmailRecord, claimedAt: string): Promise<void>;
  /**
   * What sending an owed email needs, in one read: its case and the event that owes it (for rendering), and why its
   * address gets no email (it bounced or complained), if it does not.
   */
  deliveryContext(email: EmailRecord): Promise<DeliveryContext>;
  /** The same for many emails in as few reads as the store allows (a stream batch's owed emails): by email key. */
  deliveryContexts(emails: readonly EmailRecord[]): Promise<Map<string, DeliveryContext>>;
}

export interface DeliveryContext {
  case?: CaseRecord;
  event?: TimelineEvent;
  suppression?: string;
}

/** Work the reconciler finds: case items whose timer is unconfirmed, emails not settled, oldest first. */
export interface AttentionItem {
  kind: 'case' | 'email';
  caseId: string;
  /** For an email: its key. */
  emailKey?: string;
  since: string;
}

export interface AttentionIndex {
  needingAttention(limit: number, olderThan: string): Promise<AttentionItem[]>;
}

/** Each case's timer: one Step Functions execution per (case, timer version). */
export interface Timer {
  /** Idempotent: a second start of the same version is recognised. */
  start(caseId: string, timerVersion: number, wakeAt: string): Promise<void>;
  /** Best effort: a timer not stopped ends by itself at its next wake-up (its version is stale). */
  stop(caseId: string, timerVersion: number, cause: string): Promise<void>;
}

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  html: string;
  tags: Record<string, string>;
  /** Where a reply goes: the case's signed reply address for customer emails (else the policy's reply-to). */
  replyTo?: string;
  /** Threading: Message-ID (SES replaces it on AWS), In-Reply-To and References, so mail clients keep a case together. */
  headers?: Record<string, string>;
}

/** SES did not take it; trying again later is safe. */
export class TransientMailError extends Error {
  override name = 'TransientMailError';
}
/** SES refused it for good (e.g. MessageRejected); never retried. */
export class PermanentMailError extends Error {
  override name = 'PermanentMailError';
}
/** No answer after the request may have reached SES: resending could duplicate it. */
export class UnknownMailOutcomeError extends Error {
  override name = 'UnknownMailOutcomeError';
}

export interface Mailer {
  /** The SES message id; throws one of the three errors above when not (known to be) sent. */
  send(email: OutgoingEmail, deadline: number): Promise<string | undefined>;
}

// ---- inbound email ----

/** A message that did not land on a case, kept aside with why (ops list them: GET /inbound/quarantine). */
export interface QuarantinedMail {
  /** SHA-256 of the Message-ID: the same message is kept once. */
  id: string;
  messageId: string;
  receivedAt: string;
  from?: string;
  recipients: string[];
  subject: string;
  reason: string;
  detail: string;
  /** Where the raw message is kept (the mail store's key). */
  rawKey: string;
  /** The case the address named, when it named one. */
  caseId?: string;
}

export interface InboundStore {
  /** The case holding a short reference (ESC-…), if any. */
  caseByReference(reference: string): Promise<CaseRecord | undefined>;
  /**
   * Keep a refused message aside, with the marker that the Message-ID has been handled, in one write (throws
   * IdempotencyRecordExistsError when the marker exists: a second delivery).
   */
  quarantine(mail: QuarantinedMail, marker: IdempotencyRecord): Promise<void>;
  quarantined(limit: number, cursor?: string): Promise<{ items: QuarantinedMail[]; nextCursor: string | null }>;
}

/** Raw messages and attachments: S3 on AWS, the data folder locally. */
export interface MailStore {
  raw(key: string): Promise<Buffer>;
  /** Idempotent: the same key is the same attachment. Returns where it is kept. */
  putAttachment(key: string, content: Buffer, type: string): Promise<string>;
}
