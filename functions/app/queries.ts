// Application: reading cases. Kept apart from the write path so read-only routes bundle only the repository.
import { findCases, timelinePage, type CaseQuery } from '../adapters/case-queries.ts';
import { caseStore } from '../adapters/case-store.ts';
import { NotFoundError } from '../domain/errors.ts';
import type { CaseRecord, TimelineEvent } from '../domain/model.ts';

export async function getCase(id: string): Promise<CaseRecord> {
  const c = await caseStore.get(id);
  if (!c) throw new NotFoundError(`no case ${id}`);
  return c;
}

/** Every case the query lists (index projections carry each case's stats: no history is read), a page at a time. */
export async function listAll(q: Omit<CaseQuery, 'limit' | 'cursor'>): Promise<CaseRecord[]> {
  const out: CaseRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await findCases({ ...q, limit: 100, cursor });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

/**
 * Case ids are ULIDs minted a moment before the case's createdAt (an Idempotency-Key retry that takes over a dead
 * request reuses an id minted up to a take-over period earlier), so the id range is widened by this much and the
 * window is then applied to createdAt exactly.
 */
const ID_CLOCK_SLACK_MS = 5 * 60_000;

/** The cases created in [from, to), as the index lists them (projections with stats), oldest first. */
export async function casesCreatedIn(from: string, to: string): Promise<CaseRecord[]> {
  const listed = await listAll({ createdFrom: new Date(Date.parse(from) - ID_CLOCK_SLACK_MS).toISOString(), createdTo: to, ascending: true });
  const [fromMs, toMs] = [Date.parse(from), Date.parse(to)];
  return listed.filter((c) => Date.parse(c.createdAt) >= fromMs && Date.parse(c.createdAt) < toMs);
}

/** A case's recorded events, oldest first (every page of its timeline; the emails left out). */
export async function eventsOf(caseId: string): Promise<TimelineEvent[]> {
  const events: TimelineEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await timelinePage(caseId, 1000, cursor);
    for (const e of page.entries) if (e.kind === 'event') events.push(e.event);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return events;
}

/** How many cases' timelines are read at once. */
const HISTORY_READS_IN_FLIGHT = 16;

/** The cases created in [from, to), each in full with its events: what a replay of history needs. */
export async function historiesCreatedIn(from: string, to: string): Promise<{ case: CaseRecord; events: TimelineEvent[] }[]> {
  // The list indexes project the whole case item (it holds no history): the listing is already the cases in full.
  const full = await casesCreatedIn(from, to);
  const out: { case: CaseRecord; events: TimelineEvent[] }[] = [];
  for (let i = 0; i < full.length; i += HISTORY_READS_IN_FLIGHT) {
    const batch = full.slice(i, i + HISTORY_READS_IN_FLIGHT);
    const events = await Promise.all(batch.map((c) => eventsOf(c.id)));
    batch.forEach((c, j) => out.push({ case: c, events: events[j]! }));
  }
  return out;
}
