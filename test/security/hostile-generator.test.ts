// The hostile-request generator's own judgement: what it expects must match the bytes it really sends. A fuzz run in CI
// once expected a 400 for a request the server rightly accepted: a body mutated to `0`, then truncated to nothing, on a
// route that takes no body (an empty body there is `{}`, a valid approval).
import * as z from '../../functions/domain/zod.ts';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/routes.ts';
import { build, type Draft, type Target } from './hostile.ts';

const route = (operationId: string) => ROUTES.find((r) => r.operationId === operationId)!;
const approve: Target = { route: route('approveCompensation'), oracle: z.strictObject({}), ids: { id: 'C', compensationId: 'P' }, authorization: 'Bearer t' };
const resolve: Target = { route: route('resolveCase'), oracle: route('resolveCase').body, ids: { id: 'C' }, authorization: 'Bearer t' };
const draft = (over: Partial<Draft>): Draft => ({ base: {}, values: [], raw: null, headers: [], path: null, ...over });

describe('hostile request generator', () => {
  it('expects nothing of a body that a raw mutation turned into no body on a route that needs none (nothing to refuse)', () => {
    const h = build(approve, draft({ values: [{ kind: 'root', value: 0 }], raw: { kind: 'truncate', at: 0.5 } }));
    expect(h).toBeUndefined();
  });

  it('still expects a 400 naming the body when the route needs one', () => {
    const h = build(resolve, draft({ base: { resolution: 'fixed' }, values: [{ kind: 'root', value: 0 }], raw: { kind: 'truncate', at: 0.5 } }));
    expect(h?.request.body?.length).toBe(0);
    expect(h?.statuses).toEqual([400]);
    expect(h?.paths).toEqual(['(body)']);
  });

  it('judges a truncated number that is still JSON by its value (refused, naming the body)', () => {
    const h = build(approve, draft({ values: [{ kind: 'root', value: 123 }], raw: { kind: 'truncate', at: 0.7 } }));
    expect(h?.request.body?.toString()).toBe('12');
    expect(h?.statuses).toEqual([400]);
  });

  it('expects 415 for a wrong content type, and 400 as well when the body itself is invalid', () => {
    expect(build(approve, draft({ raw: { kind: 'contentType', value: 'text/plain' } }))?.statuses).toEqual([415]);
    expect(build(approve, draft({ values: [{ kind: 'root', value: [] }], raw: { kind: 'contentType', value: 'text/plain' } }))?.statuses).toEqual([400, 415]);
  });
});
