// Primary adapter: what clients see of a case (the contract in API.md), as a zod schema for OpenAPI.
import * as z from 'zod';
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
import { CASE_REFERENCE_PATTERN, referenceOf } from '../domain/operations.ts';
import { getPolicy } from '../commons/config.ts';
import { deferred } from '../domain/deferred-schema.ts';
import { isAtRisk, nextDeadline } from '../domain/queue.ts';

// Built when first used (functions/domain/deferred-schema.ts): handlers answer with toView and friends, never these.
export const CaseView = deferred(() =>
  z.object({
    id: z.string().describe('ULID: sorts by creation time'),
    reference: z.string().regex(CASE_REFERENCE_PATTERN).describe('the short human reference used in emails and search (GET /cases?reference=)'),
    status: Status,
    priority: Priority,
    level: Level,
    department: z.string(),
    category: z.string().optional(),
    customer: Customer,
    subject: z.string(),
    description: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    version: z.number().int().describe('send as If-Match: "<version>" to make a write conditional'),
    sla: Sla.unwrap().omit({ levelStartedAt: true, warned: true }).extend({ levelStartedAt: z.string() }),
    resolution: z.string().optional(),
    resolvedAt: z.string().optional(),
    closedAt: z.string().optional(),
    feedback: Feedback.optional(),
    reopenCount: z.number().int(),
    compensations: z.array(Compensation),
    linkedFrom: LinkedCase.optional().describe('the earlier case this one was opened from (the customer wrote back after it was closed)'),
    nextDeadline: z
      .object({ at: z.string(), kind: z.enum(['level', 'close-by']).describe('level: the level\'s budget runs out; close-by: the 30-day rule') })
      .nullable()
      .describe('the deadline that falls first while the case is open (paused: close-by only); null once resolved'),
    atRisk: z.boolean().describe('open or paused and warned, breached, overdue or past the warning share of its level\'s budget'),
  }),
);
export type CaseView = z.infer<typeof CaseView>;

const Deadline = deferred(() =>
  z.object({
    kind: z.enum(['level', 'warning', 'closeBy', 'followUp']),
    at: z.string().nullable().describe('the absolute instant; null when there is no such deadline now (explanation says why)'),
    local: z.string().nullable().describe('the same instant in the calendar\'s local time'),
    counts: z.enum(['working-time', 'calendar-time']),
    explanation: z.string(),
    budget: z
      .object({ iso: z.string(), ms: z.number(), startedAt: z.string(), usedMs: z.number(), leftMs: z.number(), overrunMs: z.number() })
      .optional()
      .describe('the current level\'s budget: used and left are working time up to now (or to the pause)'),
    windows: z.array(z.object({ start: z.string(), end: z.string(), ms: z.number(), local: z.string() })).optional().describe('the working windows counted against the budget, pauses cut out (at most 20)'),
    moreWindows: z.number().int().optional(),
  }),
);

/** GET /cases/{id}/sla: how each current deadline was computed (functions/domain/explain.ts). */
export const SlaExplanationView = deferred(() =>
  z.object({
    caseId: z.string(),
    asOf: z.string(),
    status: Status,
    priority: Priority,
    level: Level,
    department: z.string(),
    policy: z.object({ version: z.string(), name: z.string(), pinned: z.boolean(), current: z.string(), upToDate: z.boolean(), explanation: z.string() }),
    clock: z.object({ calendar: z.string().nullable(), timeZone: z.string().nullable(), week: z.string().nullable(), holidays: z.array(z.string()), explanation: z.string() }),
    nextWakeUp: z.string().nullable(),
    deadlines: z.array(Deadline),
    pauses: z.array(z.object({ from: z.string(), to: z.string().nullable(), workingMs: z.number(), explanation: z.string() })),
    escalations: z.array(z.object({ at: z.string(), type: z.string(), automatic: z.boolean(), from: z.unknown().optional(), to: z.unknown().optional(), summary: z.string() })),
    summary: z.array(z.string()).describe('the explanation in sentences, most important first'),
  }),
);

export const CasePage = deferred(() => z.object({ items: z.array(CaseView), nextCursor: z.string().nullable() }));
export const Timeline = deferred(() =>
  z.object({
    caseId: z.string(),
    events: z.array(TimelineEvent),
    nextCursor: z.string().nullable().describe('pass as cursor for the next page; null on the last page'),
  }),
);
export const Problem = deferred(() =>
  z.object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
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

const Ratio = deferred(() => z.number().min(0).max(1).nullable());

/** GET /metrics: the figures for a window (definitions: functions/domain/metrics.ts, README "Metrics"). */
export const MetricsView = deferred(() =>
  z.object({
    window: z.object({ from: z.string(), to: z.string() }).describe('cases created in [from, to)'),
    cases: z.number().int().min(0).describe('cases created in the window'),
    breachRate: Ratio.describe('share whose top-level (L3) budget ran out; null when there are no cases'),
    resolutionTimeSeconds: z.object({ median: z.number().nullable(), p90: z.number().nullable(), count: z.number().int().min(0) }),
    closedWithinDeadlineRate: Ratio.describe('of the cases whose outcome is known, the share resolved by closeBy'),
    escalations: z.object({ automatic: z.number().int().min(0), manual: z.number().int().min(0), transfers: z.number().int().min(0) }),
    repeat: z.object({
      customersWithMultipleCases: z.number().int().min(0),
      customers: z.number().int().min(0),
      reopenedCases: z.number().int().min(0),
      reopenings: z.number().int().min(0),
    }),
    csat: z.object({ average: z.number().min(1).max(5).nullable(), responses: z.number().int().min(0), surveyed: z.number().int().min(0), responseRate: Ratio }),
    open: z
      .object({
        total: z.number().int().min(0),
        byLevel: z.object({ L0: z.number().int().min(0), L1: z.number().int().min(0), L2: z.number().int().min(0), L3: z.number().int().min(0) }),
        byDepartment: z.record(z.string(), z.number().int().min(0)),
      })
      .describe('cases OPEN or PAUSED now, whatever their creation date'),
    asOf: z.string().describe('the instant the figures are as of'),
  }),
);
export type MetricsView = z.infer<typeof MetricsView>;

/** GET /cases/{id}/workflow: the case's timer executions as ops see them. */
export const WorkflowView = deferred(() =>
  z.object({
    caseId: z.string(),
    timerVersion: z.number().int().describe('the execution `<caseId>-v<timerVersion>` owns the timer'),
    timerPending: z.boolean().describe('its start is not yet confirmed (the reconciler guarantees it)'),
    currentState: z.string().nullable().describe('the state the running execution is in; null when none is running'),
    nextWakeUp: z.string().nullable().describe('when the timer next has something to do; null when nothing is left'),
    nextWakeUpPurpose: z.string().nullable().describe('what that wake-up is for: warning, escalation, close-by, follow-up'),
    definition: z.unknown().describe('the state machine definition the current execution runs (the console draws it); null before any started'),
    executions: z
      .array(
        z.object({
          name: z.string(),
          executionArn: z.string(),
          timerVersion: z.number().int(),
          current: z.boolean(),
          status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE', 'NOT_STARTED']),
          startDate: z.string().optional(),
          stopDate: z.string().optional(),
          endReason: z.string().nullable().optional().describe('why it ended, e.g. "superseded by v3: resolved"; null while it runs'),
          consoleUrl: z.string().optional().describe('where ops find it: the AWS console on AWS, the local console locally'),
        }),
      )
      .describe('newest first, at most 10'),
    history: z
      .array(
        z.object({
          id: z.number().int().optional(),
          type: z.string().optional(),
          timestamp: z.string().optional(),
          state: z.string().optional(),
          input: z.unknown().optional(),
          output: z.unknown().optional(),
        }).loose(),
      )
      .describe('the current execution\'s event history'),
  }),
);
export type WorkflowView = z.infer<typeof WorkflowView>;

export const FeedbackReceived = deferred(() => z.object({ received: z.literal(true) }));

/** GET /openapi.json: an OpenAPI 3.1 document (its full schema is the OpenAPI specification's). */
export const OpenApiDocumentView = deferred(() =>
  z
    .object({
      openapi: z.string().regex(/^3\.1\.\d+$/),
      info: z.object({ title: z.string(), version: z.string() }).loose(),
      paths: z.record(z.string(), z.unknown()),
    })
    .loose(),
);
