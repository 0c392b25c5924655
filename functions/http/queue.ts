// Primary adapter: GET /queue — the ops queue's counts (open and paused cases by level, department and status), from
// the queue index alone. The console shows them beside the queue; GET /metrics has the same figures but reads every
// case of its window in full, which does not fit a page that refreshes itself.
import { openCounts } from '../adapters/case-queries.ts';
import { json } from '../commons/http.ts';
import { LEVELS } from '../domain/model.ts';
import * as routes from '../routes.ts';
import { route } from './route-handler.ts';

export const getQueueCounts = route(import.meta, routes.getQueueCounts, async () => {
  const counts = await openCounts();
  // Every level is listed, with 0 where none is.
  const byLevel = Object.fromEntries(LEVELS.map((l) => [l, counts.byLevel[l] ?? 0]));
  return json(200, { ...counts, byLevel, asOf: new Date().toISOString() });
});
