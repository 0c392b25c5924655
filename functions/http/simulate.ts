// Primary adapter: POST /policies/simulate — replay the window's cases against a draft policy (functions/domain/
// simulate.ts). Reads only: nothing is written, no timer or email is touched.
import { historiesCreatedIn } from '../app/queries.ts';
import { json, RequestError } from '../commons/http.ts';
import { simulate } from '../domain/simulate.ts';
import * as routes from '../routes.ts';
import { route } from './route-handler.ts';

export const simulatePolicy = route(import.meta, routes.simulatePolicy, async ({ body: input }) => {
  const now = new Date();
  const to = input.to ?? now.toISOString();
  const from = input.from ?? new Date(Date.parse(to) - 30 * 86_400_000).toISOString();
  if (Date.parse(from) >= Date.parse(to)) throw new RequestError(400, 'Invalid request', 'from must be before to', [{ path: 'from', message: 'must be before to' }]);
  const histories = await historiesCreatedIn(from, to);
  return json(200, { window: { from, to }, ...simulate(histories, input.policy, now) });
});
