// Primary adapter: GET /inbound/quarantine — the inbound email that did not land on a case, newest first, with why
// (functions/app/inbound.ts keeps it aside), so ops can see a customer writing from another address or a forged reply.
import { inboundRepository } from '../adapters/inbound-repository.ts';
import { json } from '../commons/http.ts';
import * as routes from '../routes.ts';
import { route } from './route-handler.ts';

export const listQuarantinedMail = route(import.meta, routes.listQuarantinedMail, async ({ query: q }) => {
  return json(200, await inboundRepository.quarantined(q.limit, q.cursor));
});
