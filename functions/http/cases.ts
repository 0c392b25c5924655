// Primary adapters: create, read and list cases.
import { ulid } from 'ulid';
import { caseRepository } from '../adapters/case-repository.ts';
import { requestHash } from '../app/idempotency.ts';
import { getCase as getCaseUseCase } from '../app/queries.ts';
import { cases } from '../app/wiring.ts';
import { callerOf, httpHandler, idempotencyKey, json, parseBody, parseQuery } from '../commons/http.ts';
import type { CaseRecord } from '../domain/model.ts';
import { CreateCaseInput } from '../domain/operations.ts';
import { ListCasesQuery } from '../routes.ts';
import { caseIdOf, caseResponse } from './case-response.ts';
import { toView } from './views.ts';

export const createCase = httpHandler(async (event) => {
  const input = parseBody(event, CreateCaseInput);
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

export const getCase = httpHandler(async (event) => caseResponse(200, await getCaseUseCase(caseIdOf(event))));

export const listCases = httpHandler(async (event) => {
  const q = parseQuery(event, ListCasesQuery);
  const page = await caseRepository.list(q);
  return json(200, { items: page.items.map(toView), nextCursor: page.nextCursor });
});
