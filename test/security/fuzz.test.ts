// Property-based hostile input over HTTP: more than 10,000 malformed or hostile requests across every write route
// (generated from the routes' zod schemas, then mutated). Every answer is a problem+json 4xx with the status the
// mutation calls for (a 400 naming the field), never a 5xx, and nothing is written: the cases used and the number
// of cases are the same before and after, and no prototype was polluted.
import fc from 'fast-check';
import * as z from '../../functions/domain/zod.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signLink } from '../../functions/commons/signed-links.ts';
import { FeedbackInput } from '../../functions/domain/operations.ts';
import { ROUTES, type RouteSpec } from '../../functions/routes.ts';
import type { LocalStack } from '../../local/stack.ts';
import { newCaseBody, startTestStack, type TestApi } from '../support/stack.ts';
import { describeHostile, hostileRequests, type Hostile, type Target } from './hostile.ts';
import { pool, rawClient, snapshot, stableSnapshot, type RawResponse } from './support.ts';

const IN_FLIGHT = 16; // requests in flight at once
const BATCH = 64; // requests per property run (fewer barriers than one run per 16)
const RUNS = 165; // 10,560 requests
const MIN_REQUESTS = 10_000;

let stack: LocalStack;
let api: TestApi;
let client: ReturnType<typeof rawClient>;
const WRITE_ROUTES = ROUTES.filter((r) => r.method === 'POST');
const fixtures = { open: '', paused: '', resolved: '', compensationId: '', surveyToken: '' };
let targets: Target[] = [];
let before: Awaited<ReturnType<typeof snapshot>>;

/** A route without a body schema accepts nothing but an empty body or `{}`. */
const NO_BODY = z.strictObject({});

function targetFor(route: RouteSpec, authorization: string): Target {
  const onCase = (id: string) => ({ id });
  switch (route.operationId) {
    case 'createCase':
      return { route, oracle: route.body, ids: {}, authorization };
    case 'approveCompensation':
      return { route, oracle: NO_BODY, ids: { id: fixtures.open, compensationId: fixtures.compensationId }, authorization };
    case 'resumeCase':
      return { route, oracle: route.body, ids: onCase(fixtures.paused), authorization };
    case 'reopenCase':
    case 'closeCase':
      return { route, oracle: route.body, ids: onCase(fixtures.resolved), authorization };
    case 'submitFeedback':
      return { route, oracle: FeedbackInput, ids: { token: fixtures.surveyToken }, authorization };
    case 'offerCompensation':
      return { route, oracle: route.body, ids: onCase(fixtures.open), authorization, refine: (b) => ({ ...b, currency: 'USD' }) };
    case 'escalateCase':
      // The open case is at L0 in support: up a level, or over to another department.
      return {
        route,
        oracle: route.body,
        ids: onCase(fixtures.open),
        authorization,
        refine: (b) => (b.kind === 'functional' ? { ...b, toDepartment: 'billing' } : b.toLevel ? { ...b, toLevel: b.toLevel === 'L0' ? 'L1' : b.toLevel } : b),
      };
    case 'simulatePolicy':
      // A random policy almost never passes the policy's own cross-checks: start from the stack's (valid) one.
      return { route, oracle: route.body, ids: {}, authorization, refine: (b) => ({ ...b, policy: structuredClone(stack.policy) }) };
    case 'changePriority':
      return { route, oracle: route.body, ids: onCase(fixtures.open), authorization, refine: (b) => ({ ...b, priority: b.priority === 'P3' ? 'P1' : b.priority }) };
    default:
      return { route, oracle: route.body, ids: onCase(fixtures.open), authorization };
  }
}

beforeAll(async () => {
  ({ stack, api } = await startTestStack());
  client = rawClient(api.url, IN_FLIGHT);
  // An open case (with a pending compensation), a paused one and a resolved one: each route's target is in a state
  // where a valid request WOULD write (shown by the last test), so "nothing changed" means every request was refused.
  const create = async (id: string) => (await api.post('/cases', newCaseBody({ customer: { id, email: `${id}@example.org`, lifetimeValue: 100 } }))).body.id as string;
  fixtures.open = await create('fuzz-open');
  fixtures.paused = await create('fuzz-paused');
  fixtures.resolved = await create('fuzz-resolved');
  const offered = await api.post(`/cases/${fixtures.open}/compensations`, { kind: 'refund', amount: 400, currency: 'USD' });
  fixtures.compensationId = offered.body.compensations.find((o: { status: string }) => o.status === 'PENDING_APPROVAL').id;
  expect((await api.post(`/cases/${fixtures.paused}/pause`, {})).status).toBe(200);
  expect((await api.post(`/cases/${fixtures.resolved}/resolve`, { resolution: 'fixed' })).status).toBe(200);
  fixtures.surveyToken = signLink(fixtures.resolved, 'feedback', new Date(Date.now() + 3_600_000), process.env['LINK_SIGNING_KEY']!);
  const authorization = `Bearer ${await api.token()}`;
  targets = WRITE_ROUTES.map((r) => targetFor(r, authorization));
  before = await stableSnapshot(api, [fixtures.open, fixtures.paused, fixtures.resolved]);
});
afterAll(async () => {
  client?.close();
  await stack?.stop();
});

const related = (a: string, b: string) => a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);

/** The contract for a refused request; throws (so fast-check reports and shrinks) when the answer breaks it. */
function check(h: Hostile, r: RawResponse): void {
  const fail = (why: string) => {
    throw new Error(`${why}\n${describeHostile(h)}\n→ ${r.status} ${r.headers['content-type']} ${r.text.slice(0, 600)}`);
  };
  if (r.status >= 500) fail('a 5xx for bad input');
  if (r.status < 400) fail('a hostile request was accepted');
  if (!h.statuses.includes(r.status)) fail(`status ${r.status}, expected ${h.statuses.join(' or ')}`);
  if (!String(r.headers['content-type'] ?? '').startsWith('application/problem+json')) fail('not application/problem+json');
  const p = r.json as { status?: unknown; title?: unknown; detail?: unknown; errors?: { path?: unknown; message?: unknown }[] } | undefined;
  if (!p || p.status !== r.status || typeof p.title !== 'string' || typeof p.detail !== 'string') fail('the problem body does not match the status');
  if (r.status === 400) {
    const errors = p!.errors;
    if (!Array.isArray(errors) || errors.length === 0) fail('a 400 without errors[]');
    if (!errors!.every((e) => typeof e.path === 'string' && e.path.length > 0 && typeof e.message === 'string')) fail('an error without a path');
    if (h.paths.length && !errors!.some((e) => h.paths.some((path) => related(e.path as string, path)))) fail('no error names a mutated field');
  }
}

describe('hostile input on every write route', () => {
  it('covers every POST route of the table', () => {
    expect(targets.map((t) => t.route.operationId).sort()).toEqual(WRITE_ROUTES.map((r) => r.operationId).sort());
  });

  it(`refuses ${MIN_REQUESTS.toLocaleString('en')}+ generated requests: no 5xx, problem+json with the right status, 400s naming the field`, async () => {
    const stats = { sent: 0, byRoute: new Map<string, number>(), byStatus: new Map<number, number>(), byLabel: new Map<string, number>() };
    const bump = <K>(m: Map<K, number>, k: K) => m.set(k, (m.get(k) ?? 0) + 1);
    const requests = fc.oneof(...targets.map(hostileRequests));
    const seed = process.env['FUZZ_SEED'] ? Number(process.env['FUZZ_SEED']) : undefined;
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(fc.array(requests, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        const answers = await pool(batch, IN_FLIGHT, (h) => client.send(h.request));
        batch.forEach((h, i) => {
          stats.sent++;
          bump(stats.byRoute, h.operationId);
          bump(stats.byStatus, answers[i]!.status);
          for (const l of h.labels) bump(stats.byLabel, l);
          check(h, answers[i]!);
        });
      }),
      { numRuns: RUNS, ...(seed !== undefined ? { seed } : {}) },
    );
    const seconds = (Date.now() - started) / 1000;
    console.info(
      `hostile requests: ${stats.sent} in ${seconds.toFixed(1)} s\n  by status ${JSON.stringify(Object.fromEntries(stats.byStatus))}\n  by route ${JSON.stringify(Object.fromEntries(stats.byRoute))}\n  by mutation ${JSON.stringify(Object.fromEntries([...stats.byLabel].sort()))}`,
    );
    expect(stats.sent).toBeGreaterThanOrEqual(MIN_REQUESTS);
    for (const r of WRITE_ROUTES) expect(stats.byRoute.get(r.operationId) ?? 0, r.operationId).toBeGreaterThan(MIN_REQUESTS / WRITE_ROUTES.length / 2);
    for (const s of [400, 403, 404, 409, 413, 415]) expect(stats.byStatus.get(s) ?? 0, `status ${s}`).toBeGreaterThan(0);
    for (const l of ['value:wrong type', 'value:remove', 'value:unknownField', 'value:protoKey', 'value:deep nesting', 'value:huge string', 'value:lone surrogate', 'value:root', 'value:manyKeys', 'raw:badUtf8', 'raw:contentType', 'raw:truncate', 'raw:empty', 'header:ifMatch', 'header:idempotencyKey', 'path:caseId', 'path:token']) {
      expect(stats.byLabel.get(l) ?? 0, l).toBeGreaterThan(0);
    }
  }, 180_000); // 10,000+ requests: about a minute on two busy cores

  it('wrote nothing: the cases used, their timelines and the number of cases are unchanged', async () => {
    expect(await snapshot(api, [fixtures.open, fixtures.paused, fixtures.resolved])).toEqual(before);
  });

  it('polluted no prototype in the process that ran the handlers', () => {
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  });

  it('the same targets do accept a valid request (so "nothing written" above means "everything refused")', async () => {
    const ok = async (path: string, body: unknown, status = 200) => {
      const r = await api.post(path, body);
      expect(r.status, `${path} ${r.text.slice(0, 300)}`).toBe(status);
    };
    await ok('/cases', newCaseBody(), 201);
    await ok(`/cases/${fixtures.open}/comments`, { body: 'valid', visibility: 'internal' });
    await ok(`/cases/${fixtures.open}/compensations`, { kind: 'credit', amount: 5, currency: 'USD' });
    await ok(`/cases/${fixtures.open}/compensations/${fixtures.compensationId}/approve`, undefined);
    await ok(`/cases/${fixtures.open}/escalations`, { kind: 'hierarchical', summary: 'valid' });
    await ok(`/cases/${fixtures.open}/priority`, { priority: 'P1', summary: 'valid' });
    await ok(`/cases/${fixtures.open}/pause`, {});
    await ok(`/cases/${fixtures.open}/resolve`, { resolution: 'valid' });
    await ok(`/cases/${fixtures.paused}/resume`, {});
    const feedback = await api.post(`/feedback/${fixtures.surveyToken}`, { rating: 4 }, { token: null });
    expect(feedback.status).toBe(200);
    await ok(`/cases/${fixtures.resolved}/close`, {});
    await ok(`/cases/${fixtures.resolved}/reopen`, {});
  });
});
