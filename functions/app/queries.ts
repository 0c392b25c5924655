// Application: reading cases. Kept apart from the write path so read-only routes bundle only the repository.
import { caseRepository, type CaseQuery } from '../adapters/case-repository.ts';
import { NotFoundError } from '../domain/errors.ts';
import type { CaseRecord } from '../domain/model.ts';

export async function getCase(id: string): Promise<CaseRecord> {
  const c = await caseRepository.get(id);
  if (!c) throw new NotFoundError(`no case ${id}`);
  return c;
}

/** Every case the query lists (index projections, without timelines), a page at a time. */
export async function listAll(q: Omit<CaseQuery, 'limit' | 'cursor'>): Promise<CaseRecord[]> {
  const out: CaseRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await caseRepository.list({ ...q, limit: 100, cursor });
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

/** The cases created in [from, to), read in full (timelines included), oldest first. */
export async function casesCreatedIn(from: string, to: string): Promise<CaseRecord[]> {
  const listed = await listAll({ createdFrom: new Date(Date.parse(from) - ID_CLOCK_SLACK_MS).toISOString(), createdTo: to, ascending: true });
  const [fromMs, toMs] = [Date.parse(from), Date.parse(to)];
  const inWindow = listed.filter((c) => Date.parse(c.createdAt) >= fromMs && Date.parse(c.createdAt) < toMs);
  return caseRepository.getMany(inWindow.map((c) => c.id));
}
