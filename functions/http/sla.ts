// Primary adapter: GET /cases/{id}/sla — why each of the case's deadlines is what it is (functions/domain/explain.ts).
import { eventsOf, getCase } from '../app/queries.ts';
import { getPolicy } from '../commons/config.ts';
import { json } from '../commons/http.ts';
import { explainSla } from '../domain/explain.ts';
import * as routes from '../routes.ts';
import { caseIdOf } from './case-response.ts';
import { route } from './route-handler.ts';

export const getSla = route(import.meta, routes.getSla, async ({ event }) => {
  const id = caseIdOf(event);
  const [c, events] = await Promise.all([getCase(id), eventsOf(id)]);
  return json(200, explainSla(c, events, getPolicy(), new Date()));
});
