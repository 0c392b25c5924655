// The route table: the one list of HTTP routes. The CDK API (lib/http-api.ts), the local gateway
// (local/gateway.ts) and the OpenAPI document (functions/http/openapi.ts) are all built from it.
import { z, type ZodType } from 'zod';
import { Level, Priority, Status } from './domain/model.ts';
import { PolicySchema } from './domain/policy.ts';
import {
  CommentInput,
  CompensationInput,
  CreateCaseInput,
  EscalationInput,
  FeedbackInput,
  PriorityChangeInput,
  ReasonInput,
  ResolveInput,
} from './domain/operations.ts';
import { CasePage, CaseView, SlaExplanationView, Timeline } from './http/views.ts';

export const SCOPES = {
  read: 'cases/read',
  write: 'cases/write',
  manage: 'cases/manage',
} as const;
export type Scope = (typeof SCOPES)[keyof typeof SCOPES];

export const ListCasesQuery = z.strictObject({
  status: Status.optional(),
  level: Level.optional(),
  department: z.string().max(40).optional(),
  customerId: z.string().max(128).optional(),
  breached: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  createdFrom: z.iso.datetime().optional().describe('cases created at or after this instant'),
  createdTo: z.iso.datetime().optional().describe('cases created before this instant'),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(2048).optional(),
});

export const MetricsQuery = z.strictObject({
  from: z.iso.datetime().optional().describe('window start (cases created at or after); default 30 days ago'),
  to: z.iso.datetime().optional().describe('window end (cases created before); default now'),
});

export const SimulateInput = z.strictObject({
  policy: PolicySchema.describe('the draft policy, in the same shape as a policy file (holidays inline: holidaysFile is read only when a file is loaded)'),
  from: z.iso.datetime().optional().describe('replay the cases created at or after this instant; default 30 days before to'),
  to: z.iso.datetime().optional().describe('… and before this instant; default now'),
});

export const TimelineQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(200).describe('entries per page (events and their emails)'),
  cursor: z.string().max(2048).optional().describe('nextCursor of the previous page'),
});

export const FeedbackQuery = z.strictObject({ rating: z.coerce.number().int().min(1).max(5).optional() });

export interface RouteSpec {
  /** Unique, also the Lambda's construct id and the OpenAPI operationId. */
  operationId: string;
  method: 'GET' | 'POST';
  /** API Gateway path template. */
  path: string;
  /** Scope the JWT must carry; null = public (signed link or document). */
  scope: Scope | null;
  /** Module (from the repo root) and exported function that handle the route. */
  handler: { file: string; export: string };
  summary: string;
  body?: ZodType;
  query?: ZodType;
  /** Success status and body schema. */
  success: { status: number; schema?: ZodType; description: string; contentType?: string };
  /** Accepts Idempotency-Key and If-Match. */
  conditionalWrite?: boolean;
}

const action = (operationId: string, path: string, summary: string, body: ZodType | undefined, scope: Scope = SCOPES.write): RouteSpec => ({
  operationId,
  method: 'POST',
  path,
  scope,
  handler: { file: 'functions/http/case-actions.ts', export: operationId },
  summary,
  ...(body ? { body } : {}),
  success: { status: 200, schema: CaseView, description: 'the case after the change' },
  conditionalWrite: true,
});

export const ROUTES: readonly RouteSpec[] = [
  {
    operationId: 'createCase',
    method: 'POST',
    path: '/cases',
    scope: SCOPES.write,
    handler: { file: 'functions/http/cases.ts', export: 'createCase' },
    summary: 'Create a case; routing picks its starting level and department, and its timer starts',
    body: CreateCaseInput,
    success: { status: 201, schema: CaseView, description: 'the new case (Location names it)' },
    conditionalWrite: true,
  },
  {
    operationId: 'listCases',
    method: 'GET',
    path: '/cases',
    scope: SCOPES.read,
    handler: { file: 'functions/http/cases.ts', export: 'listCases' },
    summary: 'List cases, newest first, filtered; follow nextCursor for the next page',
    query: ListCasesQuery,
    success: { status: 200, schema: CasePage, description: 'a page of cases' },
  },
  {
    operationId: 'getCase',
    method: 'GET',
    path: '/cases/{id}',
    scope: SCOPES.read,
    handler: { file: 'functions/http/cases.ts', export: 'getCase' },
    summary: 'Read one case (ETag carries its version)',
    success: { status: 200, schema: CaseView, description: 'the case' },
  },
  action('escalateCase', '/cases/{id}/escalations', 'Escalate up a level (hierarchical) or transfer to a department (functional)', EscalationInput),
  action('commentOnCase', '/cases/{id}/comments', 'Add an internal note or a public reply (emailed to the customer)', CommentInput),
  action('offerCompensation', '/cases/{id}/compensations', 'Offer compensation: approved within the level\'s authority, else pending a manager', CompensationInput),
  action('approveCompensation', '/cases/{id}/compensations/{compensationId}/approve', 'Approve a pending compensation offer', undefined, SCOPES.manage),
  action('pauseCase', '/cases/{id}/pause', 'Stop the SLA clock while waiting on the customer', ReasonInput),
  action('resumeCase', '/cases/{id}/resume', 'Restart the SLA clock with the time that was left', ReasonInput),
  action('resolveCase', '/cases/{id}/resolve', 'Resolve: timers end, the customer is told, the follow-up is scheduled', ResolveInput),
  action('reopenCase', '/cases/{id}/reopen', 'Reopen a resolved or closed case at the level it had', ReasonInput),
  action('closeCase', '/cases/{id}/close', 'Close a resolved case', ReasonInput, SCOPES.manage),
  action('changePriority', '/cases/{id}/priority', 'Change the priority; the current level\'s deadline moves', PriorityChangeInput),
  action(
    'adoptCurrentPolicy',
    '/cases/{id}/policy',
    'Move the case to the current policy version: its deadlines are recomputed under the current budgets and calendars (recorded on the timeline)',
    ReasonInput,
    SCOPES.manage,
  ),
  {
    operationId: 'getSla',
    method: 'GET',
    path: '/cases/{id}/sla',
    scope: SCOPES.read,
    handler: { file: 'functions/http/sla.ts', export: 'getSla' },
    summary: 'How each current deadline was computed: policy version, calendar, working windows counted, pauses, escalations, budget used and left',
    success: { status: 200, schema: SlaExplanationView, description: 'the explanation' },
  },
  {
    operationId: 'getTimeline',
    method: 'GET',
    path: '/cases/{id}/timeline',
    scope: SCOPES.read,
    handler: { file: 'functions/http/timeline.ts', export: 'getTimeline' },
    summary: 'Every event on the case, oldest first, a page at a time: who, what, when, before/after; each followed by the emails it owed and their outcome',
    query: TimelineQuery,
    success: { status: 200, schema: Timeline, description: 'the timeline' },
  },
  {
    operationId: 'getCustomerHistory',
    method: 'GET',
    path: '/cases/{id}/customer-history',
    scope: SCOPES.read,
    handler: { file: 'functions/http/customer-history.ts', export: 'getCustomerHistory' },
    summary: 'The customer\'s other cases (newest first, at most 20) with their outcomes, and counts over all their cases',
    success: {
      status: 200,
      description: 'the customer\'s history',
      schema: z.object({
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
              resolvedAt: z.string().nullable(),
              breached: z.boolean(),
              overdue: z.boolean(),
              reopenCount: z.number().int(),
              rating: z.number().int().nullable().describe('the survey answer (1–5), null when none'),
            }),
          )
          .describe('the other cases, newest first, at most 20'),
        truncated: z.boolean().describe('the customer has more other cases than listed'),
        counts: z
          .object({
            total: z.number().int(),
            open: z.number().int().describe('OPEN or PAUSED'),
            reopened: z.number().int(),
            breached: z.number().int(),
            rated: z.number().int(),
            averageRating: z.number().nullable(),
          })
          .describe('over every case of the customer, this one included'),
      }),
    },
  },
  {
    operationId: 'getWorkflow',
    method: 'GET',
    path: '/cases/{id}/workflow',
    scope: SCOPES.read,
    handler: { file: 'functions/http/workflow.ts', export: 'getWorkflow' },
    summary: 'The case\'s workflow executions: status, current state, next wake-up, event history',
    success: { status: 200, description: 'the executions' },
  },
  {
    operationId: 'getMetrics',
    method: 'GET',
    path: '/metrics',
    scope: SCOPES.read,
    handler: { file: 'functions/http/metrics.ts', export: 'getMetrics' },
    summary: 'Breach rate, resolution time, closed-within-30-days rate, repeat escalations, CSAT, open cases',
    query: MetricsQuery,
    success: { status: 200, description: 'the figures for the window' },
  },
  {
    operationId: 'simulatePolicy',
    method: 'POST',
    path: '/policies/simulate',
    scope: SCOPES.manage,
    handler: { file: 'functions/http/simulate.ts', export: 'simulatePolicy' },
    summary:
      'What-if: replay the cases created in the window from their timelines against a draft policy; breach rate, escalations per level and kind, load per level and department, and the deadlines that would move, next to what really happened. Changes nothing.',
    body: SimulateInput,
    success: { status: 200, description: 'the comparison (functions/domain/simulate.ts defines every figure)' },
  },
  {
    operationId: 'answerSurveyLink',
    method: 'GET',
    path: '/feedback/{token}',
    scope: null,
    handler: { file: 'functions/http/feedback.ts', export: 'answerSurveyLink' },
    summary: 'The one-click rating from the survey email; answers with a small thank-you page',
    query: FeedbackQuery,
    success: { status: 200, description: 'a thank-you page', contentType: 'text/html' },
  },
  {
    operationId: 'submitFeedback',
    method: 'POST',
    path: '/feedback/{token}',
    scope: null,
    handler: { file: 'functions/http/feedback.ts', export: 'submitFeedback' },
    summary: 'The customer\'s rating with an optional comment (signed link, single use per case)',
    body: FeedbackInput,
    success: { status: 200, description: 'thanks', schema: z.object({ received: z.literal(true) }) },
  },
  {
    operationId: 'getOpenApi',
    method: 'GET',
    path: '/openapi.json',
    scope: null,
    handler: { file: 'functions/http/openapi.ts', export: 'getOpenApi' },
    summary: 'This document',
    success: { status: 200, description: 'OpenAPI 3.1' },
  },
];

export function routeById(operationId: string): RouteSpec {
  const r = ROUTES.find((x) => x.operationId === operationId);
  if (!r) throw new Error(`no route ${operationId}`);
  return r;
}
