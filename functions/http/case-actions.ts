// Primary adapters: every state-changing action on an existing case. Each is parse → one domain operation →
// one transaction (app/cases.ts), with Idempotency-Key and If-Match handled the same way for all.
import type * as z from '../domain/zod.ts';
import { requestHash } from '../app/idempotency.ts';
import { cases } from '../app/wiring.ts';
import { callerOf, idempotencyKey, ifMatchVersion } from '../commons/http.ts';
import type { ChangeContext } from '../domain/change.ts';
import type { CaseRecord } from '../domain/model.ts';
import * as ops from '../domain/operations.ts';
import * as routes from '../routes.ts';
import type { CaseActionId, CaseActionRoute } from '../routes.ts';
import { caseIdOf, caseResponse } from './case-response.ts';
import type { HttpEvent } from '../commons/http.ts';
import { route } from './route-handler.ts';

/**
 * One case action, bound to its contract: the contract's body schema (narrowed by the policy where it says so)
 * validates the request, and its output types `apply`'s input. Free of side effects, so each function's bundle
 * (lib/function-entry.ts) drops the actions it does not serve.
 */
/* @__NO_SIDE_EFFECTS__ */
function caseAction<const Id extends CaseActionId, B extends z.ZodMiniType>(
  spec: CaseActionRoute<Id, B>,
  apply: (c: CaseRecord, input: z.output<B>, ctx: ChangeContext, event: HttpEvent) => CaseRecord,
) {
  const { operationId } = spec;
  return route(import.meta, spec, async ({ body: input, event }) => {
    const id = caseIdOf(event);
    const actor = callerOf(event);
    const key = idempotencyKey(event);
    const { after, response } = await cases.changeCase(id, (c, ctx) => apply(c, input, ctx, event), {
      actor,
      ifMatch: ifMatchVersion(event),
      idempotency: key
        ? {
            clientId: actor.id,
            key,
            hash: requestHash({ op: operationId, id, path: event.pathParameters ?? {}, input }),
            respond: (c) => caseResponse(200, c),
          }
        : undefined,
    });
    return response ?? caseResponse(200, after);
  });
}

export const escalateCase = caseAction(routes.escalateCase, (c, input, ctx) => ops.escalate(c, input, ctx));
export const commentOnCase = caseAction(routes.commentOnCase, (c, input, ctx) => ops.comment(c, input, ctx));
export const offerCompensation = caseAction(routes.offerCompensation, (c, input, ctx) => ops.offerCompensation(c, input, ctx));
export const approveCompensation = caseAction(routes.approveCompensation, (c, _input, ctx, event) =>
  ops.approveCompensation(c, event.pathParameters?.['compensationId'] ?? '', ctx),
);
export const pauseCase = caseAction(routes.pauseCase, (c, input, ctx) => ops.pause(c, input, ctx));
export const resumeCase = caseAction(routes.resumeCase, (c, input, ctx) => ops.resume(c, input, ctx));
export const resolveCase = caseAction(routes.resolveCase, (c, input, ctx) => ops.resolve(c, input, ctx));
export const reopenCase = caseAction(routes.reopenCase, (c, input, ctx) => ops.reopen(c, input, ctx));
export const closeCase = caseAction(routes.closeCase, (c, input, ctx) => ops.close(c, input, ctx));
export const changePriority = caseAction(routes.changePriority, (c, input, ctx) => ops.changePriority(c, input, ctx));
export const adoptCurrentPolicy = caseAction(routes.adoptCurrentPolicy, (c, input, ctx) => ops.adoptCurrentPolicy(c, input, ctx));
