// Primary adapter: GET /inbound/quarantine — the inbound email that did not land on a case, newest first, with why
// (functions/app/inbound.ts keeps it aside), so ops can see a customer writing from another address or a forged reply.
import { inboundRepository } from '../adapters/inbound-repository.ts';
import { httpHandler, json, parseQuery } from '../commons/http.ts';
import { QuarantineQuery } from '../routes.ts';

export const listQuarantinedMail = httpHandler(async (event) => {
  const q = parseQuery(event, QuarantineQuery);
  return json(200, await inboundRepository.quarantined(q.limit, q.cursor));
});
