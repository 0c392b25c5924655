// Primary adapter: GET /cases/{id}/sla — why each of the case's deadlines is what it is (functions/domain/explain.ts).
import { getCase } from '../app/queries.ts';
import { getPolicy } from '../commons/config.ts';
import { httpHandler, json } from '../commons/http.ts';
import { explainSla } from '../domain/explain.ts';
import { caseIdOf } from './case-response.ts';

export const getSla = httpHandler(async (event) => {
  const c = await getCase(caseIdOf(event));
  return json(200, explainSla(c, c.timeline, getPolicy(), new Date()));
});
