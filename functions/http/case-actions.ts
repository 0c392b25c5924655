// Primary adapters: every state-changing action on an existing case. Each is parse → one domain operation →
// one transaction (app/cases.ts), with Idempotency-Key and If-Match handled the same way for all.
import { z, type ZodType } from 'zod';
import { requestHash } from '../app/idempotency.ts';
import { cases } from '../app/wiring.ts';
import { callerOf, httpHandler, idempotencyKey, ifMatchVersion, parseBody } from '../commons/http.ts';
import type { ChangeContext } from '../domain/change.ts';
import type { CaseRecord } from '../domain/model.ts';
import * as ops from '../domain/operations.ts';
import { routeById } from '../routes.ts';
import { caseIdOf, caseResponse } from './case-response.ts';
import type { HttpEvent } from '../commons/http.ts';

const NO_BODY = z.strictObject({});

function caseAction<S extends ZodType>(
  operationId: string,
  apply: (c: CaseRecord, input: z.output<S>, ctx: ChangeContext, event: HttpEvent) => CaseRecord,
) {
  const route = routeById(operationId);
  return httpHandler(async (event) => {
    const id = caseIdOf(event);
    // A route without a body schema still parses what it is sent: anything but nothing (or {}) is refused.
    const schema = route.body ?? NO_BODY;
    const input = parseBody(event, schema, { optional: schema.safeParse({}).success }) as z.output<S>;
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

export const escalateCase = caseAction<typeof ops.EscalationInput>('escalateCase', (c, input, ctx) => ops.escalate(c, input, ctx));
export const commentOnCase = caseAction<typeof ops.CommentInput>('commentOnCase', (c, input, ctx) => ops.comment(c, input, ctx));
export const offerCompensation = caseAction<typeof ops.CompensationInput>('offerCompensation', (c, input, ctx) => ops.offerCompensation(c, input, ctx));
export const approveCompensation = caseAction('approveCompensation', (c, _input, ctx, event) =>
  ops.approveCompensation(c, event.pathParameters?.['compensationId'] ?? '', ctx),
);
export const pauseCase = caseAction<typeof ops.ReasonInput>('pauseCase', (c, input, ctx) => ops.pause(c, input, ctx));
export const resumeCase = caseAction<typeof ops.ReasonInput>('resumeCase', (c, input, ctx) => ops.resume(c, input, ctx));
export const resolveCase = caseAction<typeof ops.ResolveInput>('resolveCase', (c, input, ctx) => ops.resolve(c, input, ctx));
export const reopenCase = caseAction<typeof ops.ReasonInput>('reopenCase', (c, input, ctx) => ops.reopen(c, input, ctx));
export const closeCase = caseAction<typeof ops.ReasonInput>('closeCase', (c, input, ctx) => ops.close(c, input, ctx));
export const changePriority = caseAction<typeof ops.PriorityChangeInput>('changePriority', (c, input, ctx) => ops.changePriority(c, input, ctx));
export const adoptCurrentPolicy = caseAction<typeof ops.ReasonInput>('adoptCurrentPolicy', (c, input, ctx) => ops.adoptCurrentPolicy(c, input, ctx));
