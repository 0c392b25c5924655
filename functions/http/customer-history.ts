// Primary adapter: GET /cases/{id}/customer-history — the customer's other cases and how they went, for the people
// handling this one. Read from the byCustomer index (its projection carries everything shown: no full reads).
import { findCases } from '../adapters/case-queries.ts';
import { getCase } from '../app/queries.ts';
import { json } from '../commons/http.ts';
import type { CaseRecord, Level, Priority, Status } from '../domain/model.ts';
import * as routes from '../routes.ts';
import { caseIdOf } from './case-response.ts';
import { route } from './route-handler.ts';

/** How many of the customer's other cases the answer lists (newest first); the counts cover them all. */
export const HISTORY_LIMIT = 20;

export interface PastCase {
  id: string;
  subject: string;
  status: Status;
  priority: Priority;
  level: Level;
  department: string;
  createdAt: string;
  resolvedAt: string | null;
  breached: boolean;
  overdue: boolean;
  reopenCount: number;
  /** The customer's survey answer for that case, or null when there is none. */
  rating: number | null;
}

export interface CustomerHistory {
  caseId: string;
  customerId: string;
  /** The customer's other cases (this one excluded), newest first, at most HISTORY_LIMIT. */
  cases: PastCase[];
  /** More other cases exist than `cases` lists. */
  truncated: boolean;
  /** Over every case of the customer, this one included. */
  counts: {
    total: number;
    /** OPEN or PAUSED. */
    open: number;
    /** Reopened at least once. */
    reopened: number;
    breached: number;
    /** Cases with a survey answer, and the mean of those answers (null when none). */
    rated: number;
    averageRating: number | null;
  };
}

function pastCase(c: CaseRecord): PastCase {
  return {
    id: c.id,
    subject: c.subject,
    status: c.status,
    priority: c.priority,
    level: c.level,
    department: c.department,
    createdAt: c.createdAt,
    resolvedAt: c.resolvedAt ?? null,
    breached: c.sla.breached,
    overdue: c.sla.overdue,
    reopenCount: c.reopenCount,
    rating: c.feedback?.rating ?? null,
  };
}

/** Every case of the customer, newest first (the index's own order), a page at a time. */
async function casesOf(customerId: string): Promise<CaseRecord[]> {
  const out: CaseRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await findCases({ customerId, limit: 100, cursor });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

export function customerHistory(current: CaseRecord, all: CaseRecord[]): CustomerHistory {
  // The index may lag a write by a moment: count the current case as it is now, whatever the index says.
  const everyCase = [current, ...all.filter((c) => c.id !== current.id)];
  const others = everyCase.slice(1).sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const ratings = everyCase.flatMap((c) => (c.feedback ? [c.feedback.rating] : []));
  return {
    caseId: current.id,
    customerId: current.customer.id,
    cases: others.slice(0, HISTORY_LIMIT).map(pastCase),
    truncated: others.length > HISTORY_LIMIT,
    counts: {
      total: everyCase.length,
      open: everyCase.filter((c) => c.status === 'OPEN' || c.status === 'PAUSED').length,
      reopened: everyCase.filter((c) => c.reopenCount > 0).length,
      breached: everyCase.filter((c) => c.sla.breached).length,
      rated: ratings.length,
      averageRating: ratings.length ? ratings.reduce((s, r) => s + r, 0) / ratings.length : null,
    },
  };
}

export const getCustomerHistory = route(import.meta, routes.getCustomerHistory, async ({ event }) => {
  const current = await getCase(caseIdOf(event));
  return json(200, customerHistory(current, await casesOf(current.customer.id)));
});
