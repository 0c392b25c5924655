// Primary adapter: what clients see (the contract in API.md): the answers' zod schemas, for the OpenAPI document
// (VIEWS, by the names the routes' contracts give), and toView and friends, which the handlers answer with.
import * as z from '../domain/zod.ts';
import {
  Compensation,
  Customer,
  Feedback,
  Level,
  LinkedCase,
  Priority,
  Sla,
  Status,
  TimelineEvent,
  type CaseRecord,
} from '../domain/model.ts';
import { REFUSAL_REASONS } from '../domain/inbound.ts';
import { CASE_REFERENCE_PATTERN, referenceOf } from '../domain/operations.ts';
import { getPolicy } from '../commons/config.ts';
import { built, deferred } from '../domain/zod.ts';
import { isAtRisk, nextDeadline } from '../domain/queue.ts';

// Built when first used (functions/domain/zod.ts: deferred): handlers answer with toView and friends, never these.
export const CaseView = /* @__PURE__ */ deferred(() =>
  z.object({
    id: z.string().check(z.describe('ULID: sorts by creation time')),
    reference: z.string().check(z.regex(CASE_REFERENCE_PATTERN)).check(z.describe('the short human reference used in emails and search (GET /cases?reference=)')),
    status: Status,
    priority: Priority,
    level: Level,
    department: z.string(),
    category: z.optional(z.string()),
    customer: Customer,
    subject: z.string(),
    description: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    version: z.int().check(z.describe('send as If-Match: "<version>" to make a write conditional')),
    sla: z.extend(z.omit(built(Sla), { levelStartedAt: true, warned: true }), { levelStartedAt: z.string() }),
    resolution: z.optional(z.string()),
    resolvedAt: z.optional(z.string()),
    closedAt: z.optional(z.string()),
    feedback: z.optional(Feedback),
    reopenCount: z.int(),
    compensations: z.array(Compensation),
    linkedFrom: z.optional(LinkedCase).check(z.describe('the earlier case this one was opened from (the customer wrote back after it was closed)')),
    nextDeadline: z
      .nullable(z.object({ at: z.string(), kind: z.enum(['level', 'close-by']).check(z.describe('level: the level\'s budget runs out; close-by: the 30-day rule')) }))
      .check(z.describe('the deadline that falls first while the case is open (paused: close-by only); null once resolved')),
    atRisk: z.boolean().check(z.describe('open or paused and warned, breached, overdue or past the warning share of its level\'s budget')),
  }),
);
export type CaseView = z.infer<typeof CaseView>;

const Deadline = /* @__PURE__ */ deferred(() =>
  z.object({
    kind: z.enum(['level', 'warning', 'closeBy', 'followUp']),
    at: z.nullable(z.string()).check(z.describe('the absolute instant; null when there is no such deadline now (explanation says why)')),
    local: z.nullable(z.string()).check(z.describe('the same instant in the calendar\'s local time')),
    counts: z.enum(['working-time', 'calendar-time']),
    explanation: z.string(),
    budget: z
      .optional(z.object({ iso: z.string(), ms: z.number(), startedAt: z.string(), usedMs: z.number(), leftMs: z.number(), overrunMs: z.number() }))
      .check(z.describe('the current level\'s budget: used and left are working time up to now (or to the pause)')),
    windows: z.optional(z.array(z.object({ start: z.string(), end: z.string(), ms: z.number(), local: z.string() }))).check(z.describe('the working windows counted against the budget, pauses cut out (at most 20)')),
    moreWindows: z.optional(z.int()),
  }),
);

/** GET /cases/{id}/sla: how each current deadline was computed (functions/domain/explain.ts). */
export const SlaExplanationView = /* @__PURE__ */ deferred(() =>
  z.object({
    caseId: z.string(),
    asOf: z.string(),
    status: Status,
    priority: Priority,
    level: Level,
    department: z.string(),
    policy: z.object({ version: z.string(), name: z.string(), pinned: z.boolean(), current: z.string(), upToDate: z.boolean(), explanation: z.string() }),
    clock: z.object({ calendar: z.nullable(z.string()), timeZone: z.nullable(z.string()), week: z.nullable(z.string()), holidays: z.array(z.string()), explanation: z.string() }),
    nextWakeUp: z.nullable(z.string()),
    deadlines: z.array(Deadline),
    pauses: z.array(z.object({ from: z.string(), to: z.nullable(z.string()), workingMs: z.number(), explanation: z.string() })),
    escalations: z.array(z.object({ at: z.string(), type: z.string(), automatic: z.boolean(), from: z.optional(z.unknown()), to: z.optional(z.unknown()), summary: z.string() })),
    summary: z.array(z.string()).check(z.describe('the explanation in sentences, most important first')),
  }),
);

export const CasePage = /* @__PURE__ */ deferred(() => z.object({ items: z.array(CaseView), nextCursor: z.nullable(z.string()) }));
export const Timeline = /* @__PURE__ */ deferred(() =>
  z.object({
    caseId: z.string(),
    events: z.array(TimelineEvent),
    nextCursor: z.nullable(z.string()).check(z.describe('pass as cursor for the next page; null on the last page')),
  }),
);
export const Problem = /* @__PURE__ */ deferred(() =>
  z.object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    errors: z.optional(z.array(z.object({ path: z.string(), message: z.string() }))),
  }),
);

export function toView(c: CaseRecord, now = new Date()): CaseView {
  const { warned: _w, ...sla } = c.sla;
  return {
    id: c.id,
    reference: referenceOf(c),
    status: c.status,
    priority: c.priority,
    level: c.level,
    department: c.department,
    ...(c.category ? { category: c.category } : {}),
    customer: c.customer,
    subject: c.subject,
    description: c.description,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    version: c.version,
    sla,
    ...(c.resolution !== undefined ? { resolution: c.resolution } : {}),
    ...(c.resolvedAt ? { resolvedAt: c.resolvedAt } : {}),
    ...(c.closedAt ? { closedAt: c.closedAt } : {}),
    ...(c.feedback ? { feedback: c.feedback } : {}),
    reopenCount: c.reopenCount,
    compensations: c.compensations,
    ...(c.linkedFrom ? { linkedFrom: c.linkedFrom } : {}),
    nextDeadline: nextDeadline(c),
    atRisk: isAtRisk(c, getPolicy(), now),
  };
}

/** A count: a whole number, never negative. */
const Count = () => z.int().check(z.nonnegative());
const Ratio = /* @__PURE__ */ deferred(() => z.nullable(z.number().check(z.minimum(0), z.maximum(1))));

/** GET /metrics: the figures for a window (definitions: functions/domain/metrics.ts, README "Metrics"). */
export const MetricsView = /* @__PURE__ */ deferred(() =>
  z.object({
    window: z.object({ from: z.string(), to: z.string() }).check(z.describe('cases created in [from, to)')),
    cases: Count().check(z.describe('cases created in the window')),
    breachRate: Ratio.check(z.describe('share whose top-level (L3) budget ran out; null when there are no cases')),
    resolutionTimeSeconds: z.object({ median: z.nullable(z.number()), p90: z.nullable(z.number()), count: Count() }),
    closedWithinDeadlineRate: Ratio.check(z.describe('of the cases whose outcome is known, the share resolved by closeBy')),
    escalations: z.object({ automatic: Count(), manual: Count(), transfers: Count() }),
    repeat: z.object({
      customersWithMultipleCases: Count(),
      customers: Count(),
      reopenedCases: Count(),
      reopenings: Count(),
    }),
    csat: z.object({ average: z.nullable(z.number().check(z.minimum(1), z.maximum(5))), responses: Count(), surveyed: Count(), responseRate: Ratio }),
    open: z
      .object({
        total: Count(),
        byLevel: z.object({ L0: Count(), L1: Count(), L2: Count(), L3: Count() }),
        byDepartment: z.record(z.string(), Count()),
      })
      .check(z.describe('cases OPEN or PAUSED now, whatever their creation date')),
    asOf: z.string().check(z.describe('the instant the figures are as of')),
  }),
);
export type MetricsView = z.infer<typeof MetricsView>;

/** GET /cases/{id}/workflow: the case's timer executions as ops see them. */
export const WorkflowView = /* @__PURE__ */ deferred(() =>
  z.object({
    caseId: z.string(),
    timerVersion: z.int().check(z.describe('the execution `<caseId>-v<timerVersion>` owns the timer')),
    timerPending: z.boolean().check(z.describe('its start is not yet confirmed (the reconciler guarantees it)')),
    currentState: z.nullable(z.string()).check(z.describe('the state the running execution is in; null when none is running')),
    nextWakeUp: z.nullable(z.string()).check(z.describe('when the timer next has something to do; null when nothing is left')),
    nextWakeUpPurpose: z.nullable(z.string()).check(z.describe('what that wake-up is for: warning, escalation, close-by, follow-up')),
    definition: z.unknown().check(z.describe('the state machine definition the current execution runs (the console draws it); null before any started')),
    executions: z
      .array(
        z.object({
          name: z.string(),
          executionArn: z.string(),
          timerVersion: z.int(),
          current: z.boolean(),
          status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE', 'NOT_STARTED']),
          startDate: z.optional(z.string()),
          stopDate: z.optional(z.string()),
          endReason: z.optional(z.nullable(z.string())).check(z.describe('why it ended, e.g. "superseded by v3: resolved"; null while it runs')),
          consoleUrl: z.optional(z.string()).check(z.describe('where ops find it: the AWS console on AWS, the local console locally')),
        }),
      )
      .check(z.describe('newest first, at most 10')),
    history: z
      .array(
        z.looseObject({
          id: z.optional(z.int()),
          type: z.optional(z.string()),
          timestamp: z.optional(z.string()),
          state: z.optional(z.string()),
          input: z.optional(z.unknown()),
          output: z.optional(z.unknown()),
        }),
      )
      .check(z.describe('the current execution\'s event history')),
  }),
);
export type WorkflowView = z.infer<typeof WorkflowView>;

export const FeedbackReceived = /* @__PURE__ */ deferred(() => z.object({ received: z.literal(true) }));

/** GET /openapi.json: an OpenAPI 3.1 document (its full schema is the OpenAPI specification's). */
export const OpenApiDocumentView = /* @__PURE__ */ deferred(() =>
  z.looseObject({
    openapi: z.string().check(z.regex(/^3\.1\.\d+$/)),
    info: z.looseObject({ title: z.string(), version: z.string() }),
    paths: z.record(z.string(), z.unknown()),
  }),
);

/** An inbound message that did not land on a case, and why. */
export const QuarantinedMailView = /* @__PURE__ */ deferred(() =>
  z.object({
    id: z.string().check(z.describe('SHA-256 of the Message-ID: one entry per message, however often it was delivered')),
    messageId: z.string(),
    receivedAt: z.string(),
    from: z.optional(z.string()),
    recipients: z.array(z.string()),
    subject: z.string(),
    reason: z
      .enum(REFUSAL_REASONS)
      .check(z.describe('verdict: SES\'s SPF, DKIM, DMARC, spam or virus check failed; auto-reply: an out-of-office, bounce or bulk message; unknown-address: not a valid signed reply address; unknown-case: the reference names no case; not-the-customer: the sender is not the case\'s customer')),
    detail: z.string(),
    rawKey: z.string().check(z.describe('where the raw message is kept (the inbound bucket on AWS, the data folder locally)')),
    caseId: z.optional(z.string()).check(z.describe('the case the reply address named, when it named one')),
  }),
);

/** GET /cases/{id}/customer-history: the customer's other cases and the counts over all of them. */
export const CustomerHistoryView = /* @__PURE__ */ deferred(() =>
  z.object({
    caseId: z.string(),
    customerId: z.string(),
    cases: z
      .array(
        z.object({
          id: z.string(),
          subject: z.string(),
          status: Status,
          priority: Priority,
          level: Level,
          department: z.string(),
          createdAt: z.string(),
          resolvedAt: z.nullable(z.string()),
          breached: z.boolean(),
          overdue: z.boolean(),
          reopenCount: z.int(),
          rating: z.nullable(z.int()).check(z.describe('the survey answer (1–5), null when none')),
        }),
      )
      .check(z.describe('the other cases, newest first, at most 20')),
    truncated: z.boolean().check(z.describe('the customer has more other cases than listed')),
    counts: z
      .object({
        total: z.int(),
        open: z.int().check(z.describe('OPEN or PAUSED')),
        reopened: z.int(),
        breached: z.int(),
        rated: z.int(),
        averageRating: z.nullable(z.number()),
      })
      .check(z.describe('over every case of the customer, this one included')),
  }),
);

/** GET /queue: the ops queue's counts. */
export const QueueCountsView = /* @__PURE__ */ deferred(() =>
  z.object({
    total: z.int(),
    byLevel: z.record(z.string(), z.int()),
    byDepartment: z.record(z.string(), z.int()),
    byStatus: z.record(z.string(), z.int()),
    asOf: z.string(),
  }),
);

/** GET /inbound/quarantine: a page of kept-aside messages. */
export const QuarantinePage = /* @__PURE__ */ deferred(() => z.object({ items: z.array(QuarantinedMailView), nextCursor: z.nullable(z.string()) }));

/** POST /policies/simulate: the comparison (functions/domain/simulate.ts defines every figure). */
export const SimulationView = /* @__PURE__ */ deferred(() =>
  z.looseObject({ window: z.object({ from: z.string(), to: z.string() }) }).check(z.describe('the window replayed, and for the recorded history and the draft: breach rate, escalations per level and kind, load per level and department, deadlines that would move')),
);

/** An HTML page for a person (the survey link's answers). */
export const HtmlPage = /* @__PURE__ */ deferred(() => z.string().check(z.describe('an HTML page')));

/** Every answer's schema by name: what a route's contract names (functions/routes.ts) and the OpenAPI document reads. */
export const VIEWS = {
  CaseView,
  CasePage,
  SlaExplanationView,
  Timeline,
  CustomerHistoryView,
  WorkflowView,
  MetricsView,
  QueueCountsView,
  QuarantinePage,
  SimulationView,
  HtmlPage,
  FeedbackReceived,
  OpenApiDocumentView,
};
export type ViewName = keyof typeof VIEWS;
