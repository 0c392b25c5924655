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
import { getPolicy } from '../commons/config.ts';
import { isAtRisk, nextDeadline } from '../domain/queue.ts';

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
  nextDeadline: z
    .object({ at: z.string(), kind: z.enum(['level', 'close-by']).describe('level: the level\'s budget runs out; close-by: the 30-day rule') })
    .nullable()
    .describe('the deadline that falls first while the case is open (paused: close-by only); null once resolved'),
  atRisk: z.boolean().describe('open or paused and warned, breached, overdue or past the warning share of its level\'s budget'),
});
export type CaseView = z.infer<typeof CaseView>;

export const CasePage = z.object({ items: z.array(CaseView), nextCursor: z.string().nullable() });
export const Timeline = z.object({ caseId: z.string(), events: z.array(TimelineEvent) });
export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

export function toView(c: CaseRecord, now = new Date()): CaseView {
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
    nextDeadline: nextDeadline(c),
    atRisk: isAtRisk(c, getPolicy(), now),
  };
}
