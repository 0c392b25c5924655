// Primary adapters: create, read and list cases.
import { caseRepository } from '../adapters/case-repository.ts';
import { createCase as createCaseUseCase, settle } from '../app/cases.ts';
import { getCase as getCaseUseCase } from '../app/queries.ts';
import { idempotent, requestHash } from '../app/idempotency.ts';
import { callerOf, httpHandler, idempotencyKey, json, parseBody, parseQuery } from '../commons/http.ts';
import type { CaseRecord } from '../domain/model.ts';
import { CreateCaseInput } from '../domain/operations.ts';
import { ListCasesQuery } from '../routes.ts';
import { ulid } from 'ulid';
import { caseIdOf, caseResponse } from './case-response.ts';
import { toView } from './views.ts';

export const createCase = httpHandler(async (event) => {
  const input = parseBody(event, CreateCaseInput);
  const actor = callerOf(event);
  const key = idempotencyKey(event);
  const created = (c: CaseRecord) => caseResponse(201, c, { location: `/cases/${c.id}` });
  if (!key) return created(await createCaseUseCase(ulid(), input, actor));
  return idempotent({
    clientId: actor.id,
    key,
    hash: requestHash({ op: 'createCase', input }),
    run: async (id) => created(await createCaseUseCase(id, input, actor, key)),
    recover: async (id) => {
      const c = await caseRepository.get(id);
      if (!c) return undefined;
      await settle(c);
      return created(c);
    },
  });
});

export const getCase = httpHandler(async (event) => caseResponse(200, await getCaseUseCase(caseIdOf(event))));

export const listCases = httpHandler(async (event) => {
  const q = parseQuery(event, ListCasesQuery);
  const now = new Date();
  const page = await caseRepository.list({ ...q, now });
  return json(200, { items: page.items.map((c) => toView(c, now)), nextCursor: page.nextCursor });
});
