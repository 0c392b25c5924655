// Primary adapters: create, read and list cases.
import { ulid } from 'ulid';
import { findCases } from '../adapters/case-queries.ts';
import { requestHash } from '../app/idempotency.ts';
import { getCase as getCaseUseCase } from '../app/queries.ts';
import { cases } from '../app/wiring.ts';
import { callerOf, idempotencyKey, json } from '../commons/http.ts';
import type { CaseRecord } from '../domain/model.ts';
import * as routes from '../routes.ts';
import { caseIdOf, caseResponse } from './case-response.ts';
import { route } from './route-handler.ts';
import { toView } from './views.ts';

// Each route is marked pure: a function's bundle holds only its own (lib/function-entry.ts).
export const createCase = /* @__PURE__ */ route(import.meta, routes.createCase, async ({ body: input, event }) => {
  const actor = callerOf(event);
  const key = idempotencyKey(event);
  const created = (c: CaseRecord) => caseResponse(201, c, { location: `/cases/${c.id}` });
  const result = await cases.createCase(
    ulid(),
    input,
    actor,
    key ? { clientId: actor.id, key, hash: requestHash({ op: 'createCase', input }), respond: created } : undefined,
  );
  return result.response ?? created(result.case!);
});

export const getCase = /* @__PURE__ */ route(import.meta, routes.getCase, async ({ event }) => caseResponse(200, await getCaseUseCase(caseIdOf(event))));

export const listCases = /* @__PURE__ */ route(import.meta, routes.listCases, async ({ query: q }) => {
  const now = new Date();
  const page = await findCases({ ...q, now });
  return json(200, { items: page.items.map((c) => toView(c, now)), nextCursor: page.nextCursor });
});
