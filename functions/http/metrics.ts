// Primary adapter: GET /metrics for a time window (cases created in it), from the cases themselves. Definitions of
// every figure: functions/domain/metrics.ts.
import { casesCreatedIn, listAll } from '../app/queries.ts';
import { json, RequestError } from '../commons/http.ts';
import { computeMetrics } from '../domain/metrics.ts';
import * as routes from '../routes.ts';
import { route } from './route-handler.ts';
import type { MetricsView } from './views.ts';

export const getMetrics = route(import.meta, routes.getMetrics, async ({ query: q }) => {
  const now = new Date();
  // Instants may carry an offset; the window is echoed in UTC like every other timestamp.
  const to = q.to ? new Date(q.to).toISOString() : now.toISOString();
  const from = q.from ? new Date(q.from).toISOString() : new Date(Date.parse(to) - 30 * 86_400_000).toISOString();
  if (Date.parse(from) >= Date.parse(to)) throw new RequestError(400, 'Invalid request', 'from must be before to', [{ path: 'from', message: 'must be before to' }]);
  // Index projections carry each case's stats: no history is read.
  const [inWindow, open, paused] = await Promise.all([casesCreatedIn(from, to), listAll({ status: 'OPEN' }), listAll({ status: 'PAUSED' })]);
  const body: MetricsView = { ...computeMetrics(inWindow, [...open, ...paused], { from, to }, now), asOf: now.toISOString() };
  return json(200, body);
});
