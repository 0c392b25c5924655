// Domain: the case and its parts as zod schemas; the TypeScript types come from them.
import * as z from './zod.ts';
import { deferred } from './zod.ts';
import type { PinnedTerms } from './policy.ts';

// Marked pure, and the ones whose arguments make calls deferred: a bundle drops what it does not validate with (a
// function with no body, query or event to check carries next to nothing of zod; test/cdk/bundles.test.ts).
export const LEVELS = ['L0', 'L1', 'L2', 'L3'] as const;
export const Priority = /* @__PURE__ */ deferred(() => z.enum(['P1', 'P2', 'P3', 'P4']).check(z.describe('P1 is the most urgent')));
export const Level = /* @__PURE__ */ deferred(() => z.enum(LEVELS).check(z.describe('L0 frontline, L1 senior agent, L2 specialist/manager, L3 executive')));
export const Status = /* @__PURE__ */ z.enum(['OPEN', 'PAUSED', 'RESOLVED', 'CLOSED']);
export const Tier = /* @__PURE__ */ z.enum(['standard', 'gold', 'platinum']);
export const DepartmentName = /* @__PURE__ */ deferred(() =>
  z.string().check(z.regex(/^[a-z][a-z0-9-]{0,39}$/, 'lower-case letters, digits and dashes, starting with a letter')),
);
export const CompensationKind = /* @__PURE__ */ z.enum(['refund', 'credit', 'replacement', 'other']);
export const CompensationStatus = /* @__PURE__ */ z.enum(['APPROVED', 'PENDING_APPROVAL']);
export const Visibility = /* @__PURE__ */ z.enum(['internal', 'public']);

export type Priority = z.infer<typeof Priority>;
export type Level = (typeof LEVELS)[number];
export type Status = z.infer<typeof Status>;
export type Tier = z.infer<typeof Tier>;

export const TOP_LEVEL: Level = 'L3';
export function levelIndex(level: Level): number {
  return LEVELS.indexOf(level);
}
export function nextLevel(level: Level): Level | undefined {
  return LEVELS[levelIndex(level) + 1];
}

export const Customer = /* @__PURE__ */ deferred(() =>
  z.strictObject({
    id: z.string().check(z.regex(/\S/, 'must not be blank'), z.trim(), z.maxLength(128)),
    email: z.email().check(z.maxLength(254)),
    name: z.optional(z.string().check(z.regex(/\S/, 'must not be blank'), z.trim(), z.maxLength(200))),
    tier: z._default(Tier, 'standard'),
    lifetimeValue: z.optional(z.number().check(z.nonnegative(), z.maximum(1e12))),
  }),
);
export type Customer = z.infer<typeof Customer>;

/** Who did something: an API client (from its token), the workflow, or the customer (survey link). */
export const Actor = /* @__PURE__ */ deferred(() =>
  z.object({
    kind: z.enum(['client', 'system', 'customer']),
    id: z.string(),
  }),
);
export type Actor = z.infer<typeof Actor>;

export const Sla = /* @__PURE__ */ deferred(() =>
  z.object({
    levelStartedAt: z.string().check(z.describe('when the current level\'s time budget started')),
    levelDueAt: z.string().check(z.describe('when the current level\'s time budget ends (while paused: when it would end had the pause not started)')),
    closeBy: z.string().check(z.describe('the close-by deadline (30 days after creation by default)')),
    pausedAt: z.optional(z.string()),
    warned: z.boolean().check(z.describe('the pre-breach warning for the current level has been sent')),
    breached: z.boolean().check(z.describe('the top level\'s time budget ran out')),
    overdue: z.boolean().check(z.describe('the close-by deadline passed while the case was unresolved')),
    policyVersion: z.optional(z.string()).check(z.describe('the policy version whose budgets and calendars time this case (pinned at creation; GET /cases/{id}/sla explains it)')),
  }),
);
export type Sla = z.infer<typeof Sla>;

export const Compensation = /* @__PURE__ */ deferred(() =>
  z.object({
    id: z.string(),
    kind: CompensationKind,
    amount: z.number(),
    currency: z.string(),
    note: z.optional(z.string()),
    status: CompensationStatus,
    offeredBy: Actor,
    offeredAt: z.string(),
    authorityLimit: z.number().check(z.describe('what the offering level could approve alone for this customer')),
    approvedBy: z.optional(Actor),
    approvedAt: z.optional(z.string()),
  }),
);
export type Compensation = z.infer<typeof Compensation>;

export const Feedback = /* @__PURE__ */ deferred(() =>
  z.object({
    rating: z.int().check(z.minimum(1), z.maximum(5)),
    comment: z.optional(z.string()),
    at: z.string(),
  }),
);
export type Feedback = z.infer<typeof Feedback>;

export const TimelineEvent = /* @__PURE__ */ deferred(() =>
  z.object({
    id: z.string(),
    at: z.string(),
    actor: Actor,
    type: z.string().check(z.describe('e.g. created, escalated, transferred, commented, paused, resumed, resolved, reopened, closed, sla.warning, sla.breached, sla.overdue, compensation.offered, compensation.approved, feedback.received, followed-up, email.sent, email.failed')),
    summary: z.optional(z.string()),
    changes: z.optional(z.record(z.string(), z.object({ before: z.unknown(), after: z.unknown() }))),
    data: z.optional(z.record(z.string(), z.unknown())),
    idempotencyKey: z.optional(z.string()),
  }),
);
export type TimelineEvent = z.infer<typeof TimelineEvent>;

export const LinkedCase = /* @__PURE__ */ deferred(() =>
  z.object({
    caseId: z.string(),
    reference: z.string(),
    reason: z.string().check(z.describe('why a new case was opened instead of reopening that one')),
  }),
);
export type LinkedCase = z.infer<typeof LinkedCase>;

/** A notification the change owes: written in the same conditional write as the change, sent afterwards. */
export interface OutboxEntry {
  /** Deterministic per (case, milestone, recipient): the email's idempotency key. */
  key: string;
  template: string;
  to: string;
  audience: 'customer' | 'internal';
  eventId: string;
}

/** What the metrics need from a case's history, kept on the case as its events are appended (no history read). */
export interface CaseStats {
  escalations: { automatic: number; manual: number; transfers: number };
  /** The follow-up survey went out at least once. */
  surveyed: boolean;
}
export const emptyStats = (): CaseStats => ({ escalations: { automatic: 0, manual: 0, transfers: 0 }, surveyed: false });

/**
 * A case: its current state, version and timer bookkeeping. Its history is not part of it: each timeline event and
 * each owed email is its own item in the store. `newEvents` and `owedEmails` are what a change adds, written with the
 * case in one transaction; a case read from the store has none.
 */
export interface CaseRecord {
  id: string;
  /** The short human reference (`ESC-7K2M9Q`), unique; cases stored before it existed have none (see referenceOf). */
  reference?: string;
  status: Status;
  priority: Priority;
  level: Level;
  department: string;
  category?: string;
  customer: Customer;
  subject: string;
  description: string;
  createdAt: string;
  updatedAt: string;
  version: number;
  sla: Sla;
  resolution?: string;
  resolvedAt?: string;
  closedAt?: string;
  feedback?: Feedback;
  /** The level the case held when it was resolved, so a reopen returns to it. */
  reopenCount: number;
  compensations: Compensation[];
  /** Events this change appends (not yet stored); empty on a case read from the store. */
  newEvents: TimelineEvent[];
  /** Emails the new events owe (not yet stored); empty on a case read from the store. */
  owedEmails: OutboxEntry[];
  /** The newest stored event's id: new event ids sort after it, so the timeline's order is its key order. */
  lastEventId?: string;
  stats: CaseStats;
  /**
   * The SLA terms (budgets, calendars, warning share, follow-up) of the policy version the case was created under:
   * its deadlines keep following them when the policy changes, until a manager moves it to the current policy.
   * Cases written before pinning existed have none and follow the current policy.
   */
  slaTerms?: PinnedTerms;
  /** The case this one was opened from: the customer wrote back to a closed case (or one resolved too long ago). */
  linkedFrom?: LinkedCase;
  /** Which workflow execution owns the case's timer (`<id>-v<version>`); pending until its start is confirmed. */
  timer: { version: number; pending: boolean };
}
