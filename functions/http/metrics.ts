// Primary adapter: GET /metrics for a time window (cases created in it), from the cases themselves. Definitions of
// every figure: functions/domain/metrics.ts.
import { caseRepository, type CaseQuery } from '../adapters/case-repository.ts';
import { httpHandler, json, parseQuery, RequestError } from '../commons/http.ts';
import { computeMetrics } from '../domain/metrics.ts';
import type { CaseRecord } from '../domain/model.ts';
import { MetricsQuery } from '../routes.ts';
import type { MetricsView } from './views.ts';

/**
 * Case ids are ULIDs minted a moment before the case's createdAt (an Idempotency-Key retry that takes over a dead
 * request reuses an id minted up to a take-over period earlier), so the id range is widened by this much and the
 * window is then applied to createdAt exactly.
 */
const ID_CLOCK_SLACK_MS = 5 * 60_000;

/** Every case the query lists (index projections carry each case's stats: no history is read), a page at a time. */
async function listAll(q: Omit<CaseQuery, 'limit' | 'cursor'>): Promise<CaseRecord[]> {
  const out: CaseRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await caseRepository.list({ ...q, limit: 100, cursor });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

export const getMetrics = httpHandler(async (event) => {
  const q = parseQuery(event, MetricsQuery);
  const now = new Date();
  // Instants may carry an offset; the window is echoed in UTC like every other timestamp.
  const to = q.to ? new Date(q.to).toISOString() : now.toISOString();
  const from = q.from ? new Date(q.from).toISOString() : new Date(Date.parse(to) - 30 * 86_400_000).toISOString();
  if (Date.parse(from) >= Date.parse(to)) throw new RequestError(400, 'Invalid request', 'from must be before to', [{ path: 'from', message: 'must be before to' }]);
  const [listed, open, paused] = await Promise.all([
    listAll({ createdFrom: new Date(Date.parse(from) - ID_CLOCK_SLACK_MS).toISOString(), createdTo: to, ascending: true }),
    listAll({ status: 'OPEN' }),
    listAll({ status: 'PAUSED' }),
  ]);
  const [fromMs, toMs] = [Date.parse(from), Date.parse(to)];
  const inWindow = listed.filter((c) => Date.parse(c.createdAt) >= fromMs && Date.parse(c.createdAt) < toMs);
  const body: MetricsView = { ...computeMetrics(inWindow, [...open, ...paused], { from, to }, now), asOf: now.toISOString() };
  return json(200, body);
});
