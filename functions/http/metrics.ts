// Primary adapter: GET /metrics for a time window (cases created in it), from the cases themselves.
import { caseRepository, type CaseQuery } from '../adapters/case-repository.ts';
import { httpHandler, json, parseQuery, RequestError } from '../commons/http.ts';
import { computeMetrics } from '../domain/metrics.ts';
import type { CaseRecord } from '../domain/model.ts';
import { MetricsQuery } from '../routes.ts';

/** Timelines are needed (escalation counts), so cases are read in full, a page of ids at a time. */
async function all(q: Omit<CaseQuery, 'limit' | 'cursor'>): Promise<CaseRecord[]> {
  const out: CaseRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await caseRepository.list({ ...q, limit: 100, cursor });
    const full = await Promise.all(page.items.map((c) => caseRepository.get(c.id)));
    out.push(...full.filter((c): c is CaseRecord => c !== undefined));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

export const getMetrics = httpHandler(async (event) => {
  const q = parseQuery(event, MetricsQuery);
  const now = new Date();
  const to = q.to ?? now.toISOString();
  const from = q.from ?? new Date(Date.parse(to) - 30 * 86_400_000).toISOString();
  if (Date.parse(from) >= Date.parse(to)) throw new RequestError(400, 'Invalid request', 'from must be before to', [{ path: 'from', message: 'must be before to' }]);
  const [windowCases, open, paused] = await Promise.all([
    all({ createdFrom: from, createdTo: to, ascending: true }),
    all({ status: 'OPEN' }),
    all({ status: 'PAUSED' }),
  ]);
  return json(200, computeMetrics(windowCases, [...open, ...paused], { from, to }, now));
});
