// Domain: what people do to a case — create, escalate, transfer, comment, compensate, pause, resolve… — as pure
// functions of (case, input, context). Each checks the case's state, throws a typed error when the action does not
// fit, and returns the changed case with its timeline events and owed emails.
import * as z from './zod.ts';
import { built, deferred } from './zod.ts';
import { appendEvents, type ChangeContext } from './change.ts';
import { ConflictError, NotFoundError, ValidationError } from './errors.ts';
import {
  CompensationKind,
  Customer,
  DepartmentName,
  Level,
  levelIndex,
  LEVELS,
  Priority,
  Visibility,
  type CaseRecord,
  type Compensation,
  type Level as LevelT,
  type LinkedCase,
  emptyStats,
} from './model.ts';
import { isKnownDepartment, pinTerms, type Policy } from './policy.ts';
import { routeCase } from './routing.ts';
import { closeByFrom, initialSla, levelDueFrom, nextWakeUp, restartLevelBudget, unpausedSla } from './sla.ts';

/** Required text: trimmed, and not blank (the pattern tells clients so, as the OpenAPI document shows). */
const Text = (max: number) => z.string().check(z.regex(/\S/, 'must not be empty'), z.trim(), z.maxLength(max));
/** Optional free text, trimmed. */
const OptionalText = (max: number) => z.optional(z.string().check(z.trim(), z.maxLength(max)));

// ---- inputs (validated at the edge; the same schemas feed the OpenAPI document), each built when its route first
// needs it (zod.ts: deferred) ----
export const CreateCaseInput = /* @__PURE__ */ deferred(() =>
  z.strictObject({
    customer: Customer,
    subject: Text(200),
    description: Text(10_000),
    priority: z._default(Priority, 'P3'),
    category: z
      .optional(z.string().check(z.regex(/\S/, 'must not be blank'), z.trim(), z.toLowerCase(), z.maxLength(64)))
      .check(z.describe('routes the case to a department (e.g. refund → billing)')),
  }),
);
export type CreateCaseInput = z.input<typeof CreateCaseInput>;

const hierarchicalEscalation = () => z.strictObject({ kind: z.literal('hierarchical'), summary: Text(2_000), toLevel: z.optional(Level) });
const functionalEscalation = () => z.strictObject({ kind: z.literal('functional'), summary: Text(2_000), toDepartment: DepartmentName });
export const EscalationInput = /* @__PURE__ */ deferred(() => z.discriminatedUnion('kind', [hierarchicalEscalation(), functionalEscalation()]));
export type EscalationInput = z.infer<typeof EscalationInput>;

export const CommentInput = /* @__PURE__ */ deferred(() => z.strictObject({ body: Text(10_000), visibility: Visibility }));
export type CommentInput = z.infer<typeof CommentInput>;

export const CompensationInput = /* @__PURE__ */ deferred(() =>
  z.strictObject({
    kind: CompensationKind,
    amount: z.number().check(z.positive(), z.maximum(1e9)),
    currency: z.string().check(z.regex(/^[A-Z]{3}$/, 'an ISO-4217 code such as USD')),
    note: OptionalText(2_000),
  }),
);
export type CompensationInput = z.infer<typeof CompensationInput>;

// ---- the same inputs narrowed by the policy in force: what the edge validates and the OpenAPI document states ----
/** A transfer goes to one of the policy's departments. */
export function escalationInputFor(policy: Policy) {
  const departments = Object.keys(policy.departments) as [string, ...string[]];
  return z.discriminatedUnion('kind', [
    hierarchicalEscalation(),
    z.extend(functionalEscalation(), { toDepartment: z.enum(departments).check(z.describe('one of the policy\'s departments')) }),
  ]);
}

/** Authority limits are set in the policy's one currency, so an offer is made in it. */
export function compensationInputFor(policy: Policy) {
  return z.extend(built(CompensationInput), {
    currency: z.enum([policy.compensation.currency]).check(z.describe('the policy\'s currency (authority limits are set in it)')),
  });
}

export const ResolveInput = /* @__PURE__ */ deferred(() => z.strictObject({ resolution: Text(10_000) }));
export const ReasonInput = /* @__PURE__ */ deferred(() => z.strictObject({ reason: OptionalText(2_000) }));
export const FeedbackInput = /* @__PURE__ */ deferred(() =>
  z.strictObject({
    rating: z.int().check(z.minimum(1), z.maximum(5)),
    comment: OptionalText(2_000),
  }),
);
export const PriorityChangeInput = /* @__PURE__ */ deferred(() => z.strictObject({ priority: Priority, summary: Text(2_000) }));

// ---- creation ----
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** `ESC-` and six Crockford base-32 characters (no I, L, O, U): short enough to read out on the phone. */
export const CASE_REFERENCE_PATTERN = /^ESC-[0-9A-HJKMNP-TV-Z]{6}$/;

/**
 * The case's short human reference (`ESC-7K2M9Q`), derived from its id: emails, subjects and search use it, the
 * ULID stays the id. Thirty bits can collide, so uniqueness is claimed when the case is stored; a lost claim tries
 * the next `attempt`, which derives another reference from the same id (FNV-1a of id and attempt).
 */
export function caseReference(id: string, attempt = 0): string {
  let h = 0x811c9dc5;
  for (const ch of `${id}:${attempt}`) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  let out = '';
  for (let i = 0; i < 6; i++) {
    out += CROCKFORD[h & 31];
    h >>>= 5;
  }
  return `ESC-${out}`;
}

/** A case's reference; one stored before references existed gets the one it would have had (attempt 0). */
export function referenceOf(c: Pick<CaseRecord, 'id' | 'reference'>): string {
  return c.reference ?? caseReference(c.id);
}

/** Where a case came from when not from the API: a customer's email reply to an earlier case. */
export interface CaseOrigin {
  linkedFrom: LinkedCase;
  /** Recorded on the `created` event (e.g. the message and its attachments). */
  data?: Record<string, unknown>;
}

export function newCase(id: string, raw: z.output<typeof CreateCaseInput>, ctx: ChangeContext, referenceAttempt = 0, origin?: CaseOrigin): CaseRecord {
  const linkedFrom = origin?.linkedFrom;
  const at = ctx.now.toISOString();
  const route = routeCase(raw, ctx.policy);
  const reference = caseReference(id, referenceAttempt);
  const empty: CaseRecord = {
    id,
    reference,
    status: 'OPEN',
    priority: raw.priority,
    level: route.level,
    department: route.department,
    ...(raw.category ? { category: raw.category } : {}),
    customer: raw.customer,
    subject: raw.subject,
    description: raw.description,
    createdAt: at,
    updatedAt: at,
    version: 1,
    sla: initialSla(at, raw.priority, route.level, route.department, ctx.policy),
    slaTerms: pinTerms(ctx.policy),
    reopenCount: 0,
    compensations: [],
    newEvents: [],
    owedEmails: [],
    stats: emptyStats(),
    ...(linkedFrom ? { linkedFrom } : {}),
    timer: { version: 1, pending: true },
  };
  const link = linkedFrom ? ` Opened from the customer's reply to case ${linkedFrom.reference}: ${linkedFrom.reason}.` : '';
  return appendEvents(empty, empty, ctx, [
    {
      type: 'created',
      summary: `Opened at ${route.level} in ${route.department}${route.reasons.length ? ` (${route.reasons.join('; ')})` : ''}.${link}`,
      data: { reference, level: route.level, department: route.department, priority: raw.priority, ...(linkedFrom ? { linkedFrom } : {}), ...origin?.data },
    },
  ]);
}

// ---- state guards ----
function requireStatus(c: CaseRecord, allowed: CaseRecord['status'][], action: string): void {
  if (!allowed.includes(c.status)) {
    throw new ConflictError(`cannot ${action} a case that is ${c.status}; allowed when ${allowed.join(' or ')}`);
  }
}

// ---- escalation ----
export function escalate(c: CaseRecord, input: EscalationInput, ctx: ChangeContext): CaseRecord {
  requireStatus(c, ['OPEN', 'PAUSED'], 'escalate');
  return input.kind === 'hierarchical' ? escalateLevel(c, input.toLevel, input.summary, ctx) : transfer(c, input.toDepartment, input.summary, ctx);
}

function escalateLevel(c: CaseRecord, toLevel: LevelT | undefined, summary: string, ctx: ChangeContext): CaseRecord {
  const from = levelIndex(c.level);
  const target = toLevel ?? LEVELS[from + 1];
  if (!target) throw new ConflictError(`the case is already at the top level ${c.level}`);
  if (levelIndex(target) <= from) {
    throw new ConflictError(`escalation goes up only: the case is at ${c.level}, ${target} is not above it`);
  }
  const moved: CaseRecord = { ...c, level: target };
  const now = ctx.now.toISOString();
  const next = { ...moved, sla: restartLevelBudget(moved, now, ctx.policy) };
  return appendEvents(c, next, ctx, [
    {
      type: 'escalated',
      summary,
      changes: { level: { before: c.level, after: target }, 'sla.levelDueAt': { before: c.sla.levelDueAt, after: next.sla.levelDueAt } },
      data: { kind: 'hierarchical', automatic: false },
    },
  ]);
}

function transfer(c: CaseRecord, toDepartment: string, summary: string, ctx: ChangeContext): CaseRecord {
  if (!isKnownDepartment(ctx.policy, toDepartment)) {
    throw new ValidationError('unknown department', [
      { path: 'toDepartment', message: `unknown department "${toDepartment}"; known: ${Object.keys(ctx.policy.departments).join(', ')}` },
    ]);
  }
  if (toDepartment === c.department) throw new ConflictError(`the case is already in ${toDepartment}`);
  const moved: CaseRecord = { ...c, department: toDepartment };
  const next = { ...moved, sla: restartLevelBudget(moved, ctx.now.toISOString(), ctx.policy) };
  return appendEvents(c, next, ctx, [
    {
      type: 'transferred',
      summary,
      changes: { department: { before: c.department, after: toDepartment }, 'sla.levelDueAt': { before: c.sla.levelDueAt, after: next.sla.levelDueAt } },
      data: { kind: 'functional' },
    },
  ]);
}

export function changePriority(c: CaseRecord, input: z.infer<typeof PriorityChangeInput>, ctx: ChangeContext): CaseRecord {
  requireStatus(c, ['OPEN', 'PAUSED'], 'change the priority of');
  if (input.priority === c.priority) throw new ConflictError(`the case is already ${c.priority}`);
  // The current level keeps the time it has used; only its budget changes.
  // Measured from levelStartedAt even while paused (restartLevelBudget would start it at pausedAt and forgive the
  // time used before the pause); resume then shifts both by the paused time as usual.
  const moved: CaseRecord = { ...c, priority: input.priority };
  const levelDueAt = levelDueFrom(moved, c.sla.levelStartedAt, ctx.policy);
  const next = { ...moved, sla: { ...c.sla, levelDueAt } };
  return appendEvents(c, next, ctx, [
    {
      type: 'priority.changed',
      summary: input.summary,
      changes: { priority: { before: c.priority, after: input.priority }, 'sla.levelDueAt': { before: c.sla.levelDueAt, after: next.sla.levelDueAt } },
    },
  ]);
}

// ---- policy versions ----
/**
 * Move a case onto the current policy's terms, explicitly (a manager's decision, never a side effect of a deploy):
 * the current level's deadline is recomputed from when the level started, and the close-by deadline from creation
 * (unless it has already passed), under the new budgets and calendars. Recorded on the timeline with both versions.
 */
export function adoptCurrentPolicy(c: CaseRecord, input: { reason?: string | undefined }, ctx: ChangeContext): CaseRecord {
  requireStatus(c, ['OPEN', 'PAUSED', 'RESOLVED'], 'move to the current policy');
  const terms = pinTerms(ctx.policy);
  const before = c.slaTerms?.version ?? c.sla.policyVersion ?? 'unpinned';
  // Already there: nothing to move (a retried or repeated request changes nothing).
  if (c.slaTerms?.version === terms.version) return c;
  const moved: CaseRecord = { ...c, slaTerms: terms };
  const levelDueAt = levelDueFrom(moved, c.sla.levelStartedAt, ctx.policy);
  const closeBy = c.sla.overdue ? c.sla.closeBy : closeByFrom(moved, c.createdAt, ctx.policy);
  const next: CaseRecord = { ...moved, sla: { ...c.sla, levelDueAt, closeBy, policyVersion: terms.version } };
  return appendEvents(c, next, ctx, [
    {
      type: 'policy.adopted',
      summary: input.reason ?? `Moved from policy ${before} to the current policy ${terms.version}; deadlines recomputed under its terms.`,
      changes: {
        'sla.policyVersion': { before, after: terms.version },
        'sla.levelDueAt': { before: c.sla.levelDueAt, after: levelDueAt },
        'sla.closeBy': { before: c.sla.closeBy, after: closeBy },
      },
    },
  ]);
}

// ---- comments ----
export function comment(c: CaseRecord, input: CommentInput, ctx: ChangeContext): CaseRecord {
  if (c.status === 'CLOSED') throw new ConflictError('cannot comment on a CLOSED case; reopen it first');
  return appendEvents(c, c, ctx, [{ type: 'commented', summary: input.body, data: { visibility: input.visibility } }]);
}

// ---- pause / resume ----
export function pause(c: CaseRecord, input: { reason?: string | undefined }, ctx: ChangeContext): CaseRecord {
  requireStatus(c, ['OPEN'], 'pause');
  const at = ctx.now.toISOString();
  const next: CaseRecord = { ...c, status: 'PAUSED', sla: { ...c.sla, pausedAt: at } };
  return appendEvents(c, next, ctx, [
    { type: 'paused', summary: input.reason ?? 'Waiting on the customer; the SLA clock is stopped.', changes: { status: { before: 'OPEN', after: 'PAUSED' } } },
  ]);
}

/** The clock restarts with the time that was left: the level's deadlines move by the length of the pause. */
export function resume(c: CaseRecord, input: { reason?: string | undefined }, ctx: ChangeContext): CaseRecord {
  requireStatus(c, ['PAUSED'], 'resume');
  const next: CaseRecord = { ...c, status: 'OPEN', sla: unpausedSla(c, ctx.now, ctx.policy) };
  return appendEvents(c, next, ctx, [
    {
      type: 'resumed',
      summary: input.reason ?? 'The SLA clock is running again.',
      changes: { status: { before: 'PAUSED', after: 'OPEN' }, 'sla.levelDueAt': { before: c.sla.levelDueAt, after: next.sla.levelDueAt } },
    },
  ]);
}

// ---- resolve / reopen / close ----
export function resolve(c: CaseRecord, input: { resolution: string }, ctx: ChangeContext): CaseRecord {
  requireStatus(c, ['OPEN', 'PAUSED'], 'resolve');
  const at = ctx.now.toISOString();
  const next: CaseRecord = { ...c, status: 'RESOLVED', resolution: input.resolution, resolvedAt: at, sla: unpausedSla(c, ctx.now, ctx.policy) };
  return appendEvents(c, next, ctx, [
    { type: 'resolved', summary: input.resolution, changes: { status: { before: c.status, after: 'RESOLVED' } } },
  ]);
}

/** A reopened case returns to the level it had, with a fresh budget there, and counts as a repeat escalation. */
export function reopen(c: CaseRecord, input: { reason?: string | undefined }, ctx: ChangeContext): CaseRecord {
  requireStatus(c, ['RESOLVED', 'CLOSED'], 'reopen');
  const { resolution: _r, resolvedAt: _ra, closedAt: _ca, ...rest } = c;
  const reopened: CaseRecord = { ...rest, status: 'OPEN', reopenCount: c.reopenCount + 1 };
  // A fresh budget at the level it had; an earlier breach is history (on the timeline), not a reason to stop timing.
  const next = { ...reopened, sla: { ...restartLevelBudget(reopened, ctx.now.toISOString(), ctx.policy), breached: false } };
  return appendEvents(c, next, ctx, [
    {
      type: 'reopened',
      summary: input.reason ?? `Reopened at ${c.level}.`,
      changes: { status: { before: c.status, after: 'OPEN' } },
      data: { reopenCount: next.reopenCount },
    },
  ]);
}

export function close(c: CaseRecord, input: { reason?: string | undefined }, ctx: ChangeContext): CaseRecord {
  requireStatus(c, ['RESOLVED'], 'close');
  const next: CaseRecord = { ...c, status: 'CLOSED', closedAt: ctx.now.toISOString() };
  return appendEvents(c, next, ctx, [
    { type: 'closed', summary: input.reason ?? 'Closed by a manager.', changes: { status: { before: c.status, after: 'CLOSED' } } },
  ]);
}

// ---- compensation ----
/**
 * What the case's current level may approve alone for this customer: the level's authority times the tier's
 * multiplier, and never more than the policy's share of the customer's lifetime value when that is known.
 */
export function authorityLimit(c: CaseRecord, policy: Policy): number {
  const { authority, tierMultiplier, lifetimeValueShare } = policy.compensation;
  const byLevel = authority[c.level] * tierMultiplier[c.customer.tier];
  const ltv = c.customer.lifetimeValue;
  if (lifetimeValueShare === null || ltv === undefined) return byLevel;
  return Math.min(byLevel, Math.max(authority.L0, lifetimeValueShare * ltv));
}

export function offerCompensation(c: CaseRecord, input: CompensationInput, ctx: ChangeContext): CaseRecord {
  if (c.status === 'CLOSED') throw new ConflictError('cannot offer compensation on a CLOSED case');
  if (input.currency !== ctx.policy.compensation.currency) {
    throw new ValidationError('unsupported currency', [
      { path: 'currency', message: `authority limits are set in ${ctx.policy.compensation.currency}; offer in that currency` },
    ]);
  }
  const limit = authorityLimit(c, ctx.policy);
  const at = ctx.now.toISOString();
  const approved = input.amount <= limit;
  const offer: Compensation = {
    id: ctx.newId(),
    kind: input.kind,
    amount: input.amount,
    currency: input.currency,
    ...(input.note ? { note: input.note } : {}),
    status: approved ? 'APPROVED' : 'PENDING_APPROVAL',
    offeredBy: ctx.actor,
    offeredAt: at,
    authorityLimit: limit,
    ...(approved ? { approvedBy: ctx.actor, approvedAt: at } : {}),
  };
  const next: CaseRecord = { ...c, compensations: [...c.compensations, offer] };
  return appendEvents(c, next, ctx, [
    {
      type: 'compensation.offered',
      summary: `${input.kind} of ${input.amount} ${input.currency}${approved ? ', within the level\'s authority' : `, above the ${c.level} authority of ${limit} ${input.currency}: waits for a manager`}.`,
      data: { compensationId: offer.id, status: offer.status, amount: input.amount, currency: input.currency, authorityLimit: limit },
    },
  ]);
}

export function approveCompensation(c: CaseRecord, compensationId: string, ctx: ChangeContext): CaseRecord {
  const offer = c.compensations.find((o) => o.id === compensationId);
  if (!offer) throw new NotFoundError(`no compensation ${compensationId} on case ${c.id}`);
  if (c.status === 'CLOSED') throw new ConflictError('cannot approve compensation on a CLOSED case; reopen it first');
  if (offer.status !== 'PENDING_APPROVAL') throw new ConflictError(`compensation ${compensationId} is already ${offer.status}`);
  const at = ctx.now.toISOString();
  const approved: Compensation = { ...offer, status: 'APPROVED', approvedBy: ctx.actor, approvedAt: at };
  const next: CaseRecord = { ...c, compensations: c.compensations.map((o) => (o.id === compensationId ? approved : o)) };
  return appendEvents(c, next, ctx, [
    {
      type: 'compensation.approved',
      summary: `Approved ${offer.kind} of ${offer.amount} ${offer.currency}.`,
      data: { compensationId },
      changes: { [`compensations.${compensationId}.status`]: { before: offer.status, after: 'APPROVED' } },
    },
  ]);
}

// ---- feedback (from the customer's survey link) ----
export function recordFeedback(c: CaseRecord, input: { rating: number; comment?: string | undefined }, ctx: ChangeContext): CaseRecord {
  requireStatus(c, ['RESOLVED', 'CLOSED'], 'rate');
  if (c.feedback) throw new ConflictError('this case has already been rated');
  const at = ctx.now.toISOString();
  const next: CaseRecord = { ...c, feedback: { rating: input.rating, ...(input.comment ? { comment: input.comment } : {}), at } };
  return appendEvents(c, next, ctx, [
    { type: 'feedback.received', summary: `Customer rated ${input.rating}/5.`, data: { rating: input.rating, ...(input.comment ? { comment: input.comment } : {}) } },
  ]);
}

// ---- timer bookkeeping ----
/**
 * A change that moves the next wake-up (or ends the need for one) hands the timer to a new workflow execution:
 * the version goes up, so the old execution exits at its next wake-up even if stopping it fails.
 */
export function retimeIfNeeded(before: CaseRecord, after: CaseRecord, policy: Policy): CaseRecord {
  const was = nextWakeUp(before, policy);
  const now = nextWakeUp(after, policy);
  if (was === now) return after;
  return { ...after, timer: { version: before.timer.version + 1, pending: now !== null } };
}
