// Primary adapter: what clients see of a case (the contract in API.md), as a zod schema for OpenAPI.
import { z } from 'zod';
import {
  Compensation,
  Customer,
  Feedback,
  Level,
  Priority,
  Sla,
  Status,
  TimelineEvent,
  type CaseRecord,
} from '../domain/model.ts';

export const CaseView = z.object({
  id: z.string().describe('ULID: sorts by creation time'),
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
  sla: Sla.omit({ levelStartedAt: true, warned: true }).extend({ levelStartedAt: z.string() }),
  resolution: z.string().optional(),
  resolvedAt: z.string().optional(),
  closedAt: z.string().optional(),
  feedback: Feedback.optional(),
  reopenCount: z.number().int(),
  compensations: z.array(Compensation),
});
export type CaseView = z.infer<typeof CaseView>;

const Deadline = z.object({
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
});

/** GET /cases/{id}/sla: how each current deadline was computed (functions/domain/explain.ts). */
export const SlaExplanationView = z.object({
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
});

export const CasePage = z.object({ items: z.array(CaseView), nextCursor: z.string().nullable() });
export const Timeline = z.object({
  caseId: z.string(),
  events: z.array(TimelineEvent),
  nextCursor: z.string().nullable().describe('pass as cursor for the next page; null on the last page'),
});
export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

export function toView(c: CaseRecord): CaseView {
  const { warned: _w, ...sla } = c.sla;
  return {
    id: c.id,
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
  };
}
