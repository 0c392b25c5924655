// The routes' contracts: for each HTTP route its method and path, scope, body and query schemas, answers, grants and
// throttling. Each handler module binds its routes' contracts to code (functions/http/route-handler.ts), and the
// route table (functions/http/route-table.ts) gathers the bound handlers by import for the CDK API (lib/http-api.ts)
// and the local gateway (local/gateway.ts). The OpenAPI document (functions/http/openapi.ts) is built from these
// contracts alone, so its function carries no other route's code.
import * as z from './domain/zod.ts';
import { deferred } from './domain/zod.ts';
import { Level, Priority, Status } from './domain/model.ts';
import { PolicySchema, type Policy } from './domain/policy.ts';
import {
  CASE_REFERENCE_PATTERN,
  CommentInput,
  CompensationInput,
  compensationInputFor,
  CreateCaseInput,
  EscalationInput,
  escalationInputFor,
  FeedbackInput,
  PriorityChangeInput,
  ReasonInput,
  ResolveInput,
} from './domain/operations.ts';
import type { ViewName } from './http/views.ts';

// The scopes and the group → scope map live in their own small module (the sign-in trigger bundles only it).
import { SCOPES, type Scope } from './auth/scopes.ts';
export { GROUP_SCOPES, SCOPES, scopesOfGroups, type Scope, type UserGroup } from './auth/scopes.ts';

// The scopes as plain constants: a contract that reads `SCOPES.read` is a property access, which a bundler must keep
// (it could be a getter), and with it every contract in the module; a constant it can drop.
const READ_SCOPE = SCOPES.read;
const WRITE_SCOPE = SCOPES.write;
const MANAGE_SCOPE = SCOPES.manage;

// Queries and bodies are built on first use, so each function builds only its own route's (functions/domain/zod.ts:
// deferred); the answers' schemas are in functions/http/views.ts.

/** A query flag: `true` or `false`, as a boolean. */
const Flag = () => z.optional(z.pipe(z.enum(['true', 'false']), z.transform((v) => v === 'true')));
/** A page size from the query string: 1 to max, def when absent. */
const PageSize = (max: number, def: number) => z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(max)), def);
const Cursor = () => z.optional(z.string().check(z.maxLength(2048)));

export const ListCasesQuery = /* @__PURE__ */ deferred(() =>
  z.strictObject({
    reference: z.optional(z.string().check(z.regex(CASE_REFERENCE_PATTERN, 'a case reference such as ESC-7K2M9Q'))).check(z.describe('the case with this short reference (at most one)')),
    status: z.optional(Status),
    level: z.optional(Level),
    priority: z.optional(Priority),
    department: z.optional(z.string().check(z.maxLength(40))),
    customerId: z.optional(z.string().check(z.maxLength(128))),
    breached: Flag(),
    createdFrom: z.optional(z.iso.datetime({ offset: true })).check(z.describe('cases created at or after this instant')),
    createdTo: z.optional(z.iso.datetime({ offset: true })).check(z.describe('cases created before this instant')),
    overdue: Flag().check(z.describe('past the close-by deadline while unresolved')),
    atRisk: Flag().check(z.describe('with sort=nextDeadline: warned, breached, overdue, or past the warning share of the level\'s budget (75% when warnings are off)')),
    sort: z
      ._default(z.enum(['newest', 'nextDeadline']), 'newest')
      .check(z.describe('newest: every case, newest first; nextDeadline: open and paused cases, the deadline that falls first first (the ops queue)')),
    limit: PageSize(100, 20),
    cursor: Cursor(),
  }).check(z.superRefine((q, ctx) => {
    if (q.createdFrom && q.createdTo && Date.parse(q.createdFrom) > Date.parse(q.createdTo)) ctx.addIssue({ code: 'custom', path: ['createdFrom'], message: 'must not be after createdTo' });
    // At risk is judged from the queue index's riskAt (when the case passes its warning share): only on that index.
    if (q.atRisk !== undefined && q.sort !== 'nextDeadline') ctx.addIssue({ code: 'custom', path: ['atRisk'], message: 'atRisk needs sort=nextDeadline' });
    // The queue index holds only open and paused cases, keyed by deadline: no creation-time range on it.
    if (q.sort !== 'nextDeadline') return;
    if (q.status && q.status !== 'OPEN' && q.status !== 'PAUSED') ctx.addIssue({ code: 'custom', path: ['status'], message: 'sort=nextDeadline lists OPEN and PAUSED cases only' });
    for (const k of ['createdFrom', 'createdTo'] as const) if (q[k]) ctx.addIssue({ code: 'custom', path: [k], message: 'not with sort=nextDeadline' });
  })),
);

export const MetricsQuery = /* @__PURE__ */ deferred(() =>
  z.strictObject({
    from: z.optional(z.iso.datetime({ offset: true })).check(z.describe('window start (cases created at or after); default 30 days ago')),
    to: z.optional(z.iso.datetime({ offset: true })).check(z.describe('window end (cases created before); default now')),
  }),
);

export const SimulateInput = /* @__PURE__ */ deferred(() =>
  z.strictObject({
    policy: PolicySchema.check(z.describe('the draft policy, in the same shape as a policy file (holidays inline: holidaysFile is read only when a file is loaded)')),
    from: z.optional(z.iso.datetime()).check(z.describe('replay the cases created at or after this instant; default 30 days before to')),
    to: z.optional(z.iso.datetime()).check(z.describe('… and before this instant; default now')),
  }),
);

export const TimelineQuery = /* @__PURE__ */ deferred(() =>
  z.strictObject({
    limit: PageSize(1000, 200).check(z.describe('entries per page (events and their emails)')),
    cursor: Cursor().check(z.describe('nextCursor of the previous page')),
  }),
);

export const QuarantineQuery = /* @__PURE__ */ deferred(() =>
  z.strictObject({
    limit: PageSize(100, 25),
    cursor: Cursor().check(z.describe('nextCursor of the previous page')),
  }),
);

export const FeedbackQuery = /* @__PURE__ */ deferred(() => z.strictObject({ rating: z.coerce.number().check(z.int(), z.minimum(1), z.maximum(5), z.describe('the answer, 1 (very dissatisfied) to 5 (very satisfied)')) }));

/** What a route's function may touch in the table and the workflow (lib/escalator-function.ts turns them into grants). */
export type TableAccess = 'read' | 'write' | 'readWrite';
/** `definition`: the state machine definition an execution runs (the console draws it). */
export type WorkflowAccess = 'start' | 'stop' | 'describe' | 'history' | 'list' | 'definition';

export interface Throttle {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

/** What a route's function may touch, and how fast it may be called. Anything not listed is denied. */
export interface RouteNeeds {
  readonly table?: TableAccess;
  readonly workflow?: readonly WorkflowAccess[];
  /** Sends the email a change owes (and signs survey links in it). */
  readonly email?: boolean;
  /** Verifies or signs customer links. */
  readonly linkSigningKey?: boolean;
  /** Route throttling; the stage default (lib/http-api.ts) otherwise. */
  readonly throttle?: Throttle;
}

const READ: RouteNeeds = { table: 'read' };
/** A change to a case: one transaction. Its effects (timer, emails) follow from the stream (lib/stream-effects.ts). */
const CHANGE: RouteNeeds = { table: 'readWrite' };
/** A route's needs beyond a common set (a function, not a spread: a bundler can drop an unused contract that calls it). */
/* @__NO_SIDE_EFFECTS__ */
function plus(base: RouteNeeds, more: RouteNeeds): RouteNeeds {
  return { ...base, ...more };
}
/** Anyone with a link can reach these: keep them slow. */
const PUBLIC_THROTTLE: Throttle = { rateLimit: 5, burstLimit: 10 };

/** A body with no fields: an empty body or `{}`; anything else is a 400 naming the field. */
export const NoFields = /* @__PURE__ */ deferred(() => z.strictObject({}).check(z.describe('no fields: send no body, or {}')));

export interface RouteSpec {
  /** Unique, also the Lambda's construct id and the OpenAPI operationId. */
  operationId: string;
  method: 'GET' | 'POST';
  /** API Gateway path template. */
  path: string;
  /** Scope the JWT must carry; null = public (signed link or document). */
  scope: Scope | null;
  summary: string;
  /** What the OpenAPI document says beyond the summary (scope, headers and errors are added from the entry). */
  description?: string;
  /** The OpenAPI tag the operation is listed under. */
  tag: keyof typeof TAGS;
  body?: z.ZodMiniType;
  /**
   * The body as the policy in force constrains it (its departments, its currency): what the handler validates and
   * the OpenAPI document states. `body` stays the policy-free shape (types, fuzzing oracles).
   */
  policyBody?: (policy: Policy) => z.ZodMiniType;
  query?: z.ZodMiniType;
  /**
   * Success status and body, the body's schema by its name in views.ts (VIEWS): only the OpenAPI document reads the
   * answers' schemas, so no function bundles them.
   */
  success: { status: number; schema: ViewName; description: string; contentType?: string };
  /** Error statuses answered as an HTML page for a person (the survey link) instead of problem+json. */
  errorPages?: readonly number[];
  /** Accepts Idempotency-Key, and If-Match when it acts on an existing case. */
  conditionalWrite?: boolean;
  /** Its function's grants and its throttling: every route must say (the type requires it). */
  needs: RouteNeeds;
}

/** The OpenAPI tags, in the order a reader meets them. */
export const TAGS = {
  cases: 'Create, read and list cases',
  actions: 'Change a case: escalate, transfer, comment, compensate, pause, resolve…',
  insight: 'Timeline, timer, customer history and metrics',
  survey: 'The customer\'s satisfaction answer from the signed survey link (no token)',
  meta: 'This API\'s description',
} as const;

/** The body the handler validates: the policy's constraints when the route has them. */
export function bodySchema(route: RouteSpec, policy: Policy): z.ZodMiniType | undefined {
  return route.policyBody ? route.policyBody(policy) : route.body;
}

/** A case action's entry: its body schema types the handler's input (functions/http/case-actions.ts). */
export interface CaseActionRoute<Id extends string, B extends z.ZodMiniType> extends RouteSpec {
  operationId: Id;
  body: B;
  policyBody?: (policy: Policy) => z.ZodMiniType<z.output<B>>;
}

/* @__NO_SIDE_EFFECTS__ */
function action<const Id extends string, B extends z.ZodMiniType>(
  operationId: Id,
  path: string,
  summary: string,
  body: B,
  scope: Scope = WRITE_SCOPE,
  policyBody?: (policy: Policy) => z.ZodMiniType<z.output<B>>,
): CaseActionRoute<Id, B> {
  return {
    operationId,
    method: 'POST',
    path,
    scope,
    summary,
    tag: 'actions',
    body,
    ...(policyBody ? { policyBody } : {}),
    success: { status: 200, schema: 'CaseView', description: 'the case after the change' },
    conditionalWrite: true,
    needs: CHANGE,
  };
}

/** Every state-changing action on an existing case, each typed by its body. */
export const escalateCase = action('escalateCase', '/cases/{id}/escalations', 'Escalate up a level (hierarchical) or transfer to a department (functional)', EscalationInput, WRITE_SCOPE, escalationInputFor);
export const commentOnCase = action('commentOnCase', '/cases/{id}/comments', 'Add an internal note or a public reply (emailed to the customer)', CommentInput);
export const offerCompensation = action('offerCompensation', '/cases/{id}/compensations', 'Offer compensation: approved within the level\'s authority, else pending a manager', CompensationInput, WRITE_SCOPE, compensationInputFor);
export const approveCompensation = action('approveCompensation', '/cases/{id}/compensations/{compensationId}/approve', 'Approve a pending compensation offer', NoFields, MANAGE_SCOPE);
export const pauseCase = action('pauseCase', '/cases/{id}/pause', 'Stop the SLA clock while waiting on the customer', ReasonInput);
export const resumeCase = action('resumeCase', '/cases/{id}/resume', 'Restart the SLA clock with the time that was left', ReasonInput);
export const resolveCase = action('resolveCase', '/cases/{id}/resolve', 'Resolve: timers end, the customer is told, the follow-up is scheduled', ResolveInput);
export const reopenCase = action('reopenCase', '/cases/{id}/reopen', 'Reopen a resolved or closed case at the level it had', ReasonInput);
export const closeCase = action('closeCase', '/cases/{id}/close', 'Close a resolved case', ReasonInput, MANAGE_SCOPE);
export const changePriority = action('changePriority', '/cases/{id}/priority', 'Change the priority; the current level\'s deadline moves', PriorityChangeInput);
export const adoptCurrentPolicy = action(
  'adoptCurrentPolicy',
  '/cases/{id}/policy',
  'Move the case to the current policy version: its deadlines are recomputed under the current budgets and calendars (recorded on the timeline)',
  ReasonInput,
  MANAGE_SCOPE,
);

export const CASE_ACTIONS = [escalateCase, commentOnCase, offerCompensation, approveCompensation, pauseCase, resumeCase, resolveCase, reopenCase, closeCase, changePriority, adoptCurrentPolicy] as const;
export type CaseActionId = (typeof CASE_ACTIONS)[number]['operationId'];

// Each contract is its own export, so a function's bundle holds only the contracts it imports: esbuild drops the
// rest, since nothing at their top level can have side effects (deferred schemas marked pure, no property reads or
// spreads; test/cdk/bundles.test.ts). Handlers import them as `routes.<operationId>`.
export const createCase = {
  operationId: 'createCase',
  needs: plus(CHANGE, { throttle: { rateLimit: 20, burstLimit: 40 } }),
  method: 'POST',
  path: '/cases',
  scope: WRITE_SCOPE,
  summary: 'Create a case; routing picks its starting level and department, and its timer starts',
  description: 'The policy\'s routing rules pick the starting level and department; the customer is acknowledged by email and the case\'s timer starts. The answer\'s Location names the case, its ETag carries the version.',
  tag: 'cases',
  body: CreateCaseInput,
  success: { status: 201, schema: 'CaseView', description: 'the new case (Location names it)' },
  conditionalWrite: true,
} as const satisfies RouteSpec;

export const listCases = {
  operationId: 'listCases',
  needs: READ,
  method: 'GET',
  path: '/cases',
  scope: READ_SCOPE,
  summary: 'List cases, newest first or (sort=nextDeadline) open cases by next deadline, filtered; follow nextCursor for the next page',
  description: 'Read from the most selective index the filters allow (never a scan). createdFrom and createdTo bound the creation time; createdFrom after createdTo is a 400.',
  tag: 'cases',
  query: ListCasesQuery,
  success: { status: 200, schema: 'CasePage', description: 'a page of cases' },
} as const satisfies RouteSpec;

export const getCase = {
  operationId: 'getCase',
  needs: READ,
  method: 'GET',
  path: '/cases/{id}',
  scope: READ_SCOPE,
  summary: 'Read one case (ETag carries its version)',
  description: 'Send the ETag back as If-Match to make a later write conditional on this version. An id that is not a ULID names no case (404).',
  tag: 'cases',
  success: { status: 200, schema: 'CaseView', description: 'the case' },
} as const satisfies RouteSpec;

export const getSla = {
  operationId: 'getSla',
  needs: READ,
  method: 'GET',
  path: '/cases/{id}/sla',
  scope: READ_SCOPE,
  summary: 'How each current deadline was computed: policy version, calendar, working windows counted, pauses, escalations, budget used and left',
  tag: 'insight',
  success: { status: 200, schema: 'SlaExplanationView', description: 'the explanation' },
} as const satisfies RouteSpec;

export const getTimeline = {
  operationId: 'getTimeline',
  needs: READ,
  method: 'GET',
  path: '/cases/{id}/timeline',
  scope: READ_SCOPE,
  summary: 'Every event on the case, oldest first, a page at a time: who, what, when, before/after; each followed by the emails it owed and their outcome',
  query: TimelineQuery,
  tag: 'insight',
  success: { status: 200, schema: 'Timeline', description: 'the timeline' },
} as const satisfies RouteSpec;

export const getCustomerHistory = {
  operationId: 'getCustomerHistory',
  needs: READ,
  method: 'GET',
  path: '/cases/{id}/customer-history',
  scope: READ_SCOPE,
  summary: 'The customer\'s other cases (newest first, at most 20) with their outcomes, and counts over all their cases',
  tag: 'insight',
  success: {
    status: 200,
    description: 'the customer\'s history',
    schema: 'CustomerHistoryView',
  },
} as const satisfies RouteSpec;

export const getWorkflow = {
  operationId: 'getWorkflow',
  needs: { table: 'read', workflow: ['describe', 'history', 'definition'] },
  method: 'GET',
  path: '/cases/{id}/workflow',
  scope: READ_SCOPE,
  summary: 'The case\'s workflow executions: status, current state, next wake-up, event history',
  description: 'Each execution is named `<caseId>-v<timerVersion>`; the newest ten are described, the current one with its event history.',
  tag: 'insight',
  success: { status: 200, schema: 'WorkflowView', description: 'the executions' },
} as const satisfies RouteSpec;

export const getMetrics = {
  operationId: 'getMetrics',
  needs: plus(READ, { throttle: { rateLimit: 5, burstLimit: 10 } }),
  method: 'GET',
  path: '/metrics',
  scope: READ_SCOPE,
  summary: 'Breach rate, resolution time, closed-within-30-days rate, repeat escalations, CSAT, open cases',
  description: 'Describes the cases created in [from, to) as they are now (asOf); from defaults to 30 days before to, to to now, and from must be before to. Ratios and averages of nothing are null.',
  tag: 'insight',
  query: MetricsQuery,
  success: { status: 200, schema: 'MetricsView', description: 'the figures for the window' },
} as const satisfies RouteSpec;

export const getQueueCounts = {
  operationId: 'getQueueCounts',
  needs: READ,
  tag: 'insight',
  method: 'GET',
  path: '/queue',
  scope: READ_SCOPE,
  summary: 'The ops queue\'s counts: open and paused cases by level, department and status (from the queue index)',
  success: {
    status: 200,
    description: 'the counts',
    schema: 'QueueCountsView',
  },
} as const satisfies RouteSpec;

export const listQuarantinedMail = {
  operationId: 'listQuarantinedMail',
  needs: READ,
  tag: 'insight',
  method: 'GET',
  path: '/inbound/quarantine',
  scope: MANAGE_SCOPE,
  summary: 'Inbound email kept aside instead of landing on a case (strangers, forged addresses, auto-replies, failed SES verdicts), newest first, with why',
  description: 'Never on a case\'s timeline: a reply lands only from the case\'s customer, to the case\'s signed reply address. Follow nextCursor for older entries.',
  query: QuarantineQuery,
  success: { status: 200, description: 'a page of kept-aside messages', schema: 'QuarantinePage' },
} as const satisfies RouteSpec;

export const simulatePolicy = {
  operationId: 'simulatePolicy',
  needs: plus(READ, { throttle: { rateLimit: 2, burstLimit: 4 } }),
  tag: 'insight',
  method: 'POST',
  path: '/policies/simulate',
  scope: MANAGE_SCOPE,
  summary:
    'What-if: replay the cases created in the window from their timelines against a draft policy; breach rate, escalations per level and kind, load per level and department, and the deadlines that would move, next to what really happened. Changes nothing.',
  body: SimulateInput,
  success: {
    status: 200,
    description: 'the comparison (functions/domain/simulate.ts defines every figure)',
    schema: 'SimulationView',
  },
} as const satisfies RouteSpec;

export const answerSurveyLink = {
  operationId: 'answerSurveyLink',
  needs: plus(CHANGE, { linkSigningKey: true, throttle: PUBLIC_THROTTLE }),
  method: 'GET',
  path: '/feedback/{token}',
  scope: null,
  summary: 'The one-click rating from the survey email; answers with a small thank-you page',
  description: 'A person follows this link from an email, so every answer the handler gives is an HTML page, errors included: a missing or bad rating (400), a tampered or expired link (403), an unknown case (404), a case already rated or reopened (409). Other query parameters (utm_*…) are ignored.',
  tag: 'survey',
  query: FeedbackQuery,
  success: { status: 200, schema: 'HtmlPage', description: 'a thank-you page', contentType: 'text/html' },
  errorPages: [400, 403, 404, 409],
} as const satisfies RouteSpec;

export const submitFeedback = {
  operationId: 'submitFeedback',
  needs: plus(CHANGE, { linkSigningKey: true, throttle: PUBLIC_THROTTLE }),
  method: 'POST',
  path: '/feedback/{token}',
  scope: null,
  summary: 'The customer\'s rating with an optional comment (signed link, single use per case)',
  description: 'A tampered or expired link is a 403; a case rated once already, or open again, a 409.',
  tag: 'survey',
  body: FeedbackInput,
  success: { status: 200, description: 'thanks', schema: 'FeedbackReceived' },
} as const satisfies RouteSpec;

export const getOpenApi = {
  operationId: 'getOpenApi',
  needs: { throttle: PUBLIC_THROTTLE },
  method: 'GET',
  path: '/openapi.json',
  scope: null,
  summary: 'This document',
  description: 'Generated from the same zod schemas that validate requests and build responses, with the policy in force (departments, currency).',
  tag: 'meta',
  success: { status: 200, schema: 'OpenApiDocumentView', description: 'OpenAPI 3.1' },
} as const satisfies RouteSpec;

/** Every route's contract, each with its literal type (routeOf). */
const CONTRACTS = [
  createCase,
  listCases,
  getCase,
  escalateCase,
  commentOnCase,
  offerCompensation,
  approveCompensation,
  pauseCase,
  resumeCase,
  resolveCase,
  reopenCase,
  closeCase,
  changePriority,
  adoptCurrentPolicy,
  getSla,
  getTimeline,
  getCustomerHistory,
  getWorkflow,
  getMetrics,
  getQueueCounts,
  listQuarantinedMail,
  simulatePolicy,
  answerSurveyLink,
  submitFeedback,
  getOpenApi,
] as const satisfies readonly RouteSpec[];

/** Every route's contract, in the order the OpenAPI document lists them. */
export const ROUTES: readonly RouteSpec[] = CONTRACTS;

export type RouteId = (typeof CONTRACTS)[number]['operationId'];
/** One route's contract, with its schemas' types (they type the handler's input). */
export type RouteOf<Id extends RouteId> = Extract<(typeof CONTRACTS)[number], { operationId: Id }>;

export function routeOf<Id extends RouteId>(operationId: Id): RouteOf<Id> {
  const r = CONTRACTS.find((x): x is RouteOf<Id> => x.operationId === operationId);
  if (!r) throw new Error(`no route ${operationId}`);
  return r;
}

