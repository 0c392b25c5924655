// A customer's history on the case, for the people handling it: the customer's other cases (newest first, at most
// 20) with their outcomes, and counts over all of them. P1 budgets are a second (a P1 case breaches in seconds);
// the follow-up comes after a second so survey answers can be given from the email.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { eventually, newCaseBody, policyFile, startTestStack, TestApi, uniformBudgets, type ApiResponse } from '../support/stack.ts';

let stack: LocalStack;
let api: TestApi;

beforeAll(async () => {
  const budgets = uniformBudgets(3600);
  ({ stack, api } = await startTestStack({
    policyPath: policyFile({
      budgets: { ...budgets, P1: uniformBudgets(1).P1 },
      closeBy: 'P30D',
      followUpAfter: 'PT1S',
      warnAt: null,
      departments: { support: { managers: {} }, billing: { managers: {} }, engineering: { managers: {} } },
    }),
  }));
});
afterAll(async () => {
  await stack?.stop();
});

/** GET /cases/{id}/customer-history over HTTP. */
async function history(id: string, token?: string | null): Promise<ApiResponse> {
  return api.get(`/cases/${id}/customer-history`, token === undefined ? {} : { token });
}

async function newCase(customer: string, overrides: Record<string, unknown> = {}) {
  const r = await api.post('/cases', newCaseBody({ customer: { id: customer, email: `${customer}@example.org` }, ...overrides }));
  expect(r.status).toBe(201);
  return r.body;
}
async function ok(path: string, body: unknown = {}) {
  const r = await api.post(path, body);
  expect(r.status, `${path}: ${r.text}`).toBe(200);
  return r.body;
}
const getCase = async (id: string) => (await api.get(`/cases/${id}`)).body;

/** Resolve, let the follow-up close the case, and answer its survey from the email link. */
async function resolveAndRate(id: string, rating: number): Promise<void> {
  await ok(`/cases/${id}/resolve`, { resolution: 'Fixed.' });
  const token = await eventually(async () => {
    for (const m of await api.emails()) {
      for (const [, t] of (m.body.text ?? '').matchAll(/\/feedback\/([\w-]+\.[\w-]+)\?rating=\d/g)) {
        if (JSON.parse(Buffer.from(t!.split('.')[0]!, 'base64url').toString('utf8')).c === id) return t;
      }
    }
    return undefined;
  });
  expect((await fetch(`${api.url}/feedback/${token}?rating=${rating}`)).status).toBe(200);
}

describe('GET /cases/{id}/customer-history', () => {
  it('lists the customer\'s other cases, newest first, with outcomes, and counts over all of them', async () => {
    // Prepare: five cases of one customer in various states, and another customer's case
    const rated = await newCase('hist-1', { subject: 'Blender cracked' });
    await resolveAndRate(rated.id, 4);
    const reopened = await newCase('hist-1', { subject: 'Refund missing', category: 'refund' });
    await resolveAndRate(reopened.id, 1);
    await ok(`/cases/${reopened.id}/reopen`, { reason: 'Still no refund.' });
    const breached = await newCase('hist-1', { subject: 'Site down', priority: 'P1' });
    await eventually(async () => (await getCase(breached.id)).sla.breached);
    const paused = await newCase('hist-1', { subject: 'Waiting for photos' });
    await ok(`/cases/${paused.id}/pause`, {});
    const current = await newCase('hist-1', { subject: 'Wrong colour' });
    await newCase('hist-2', { subject: 'Someone else' });

    // Act
    const r = await history(current.id);

    // Assess
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ caseId: current.id, customerId: 'hist-1', truncated: false });
    expect(r.body.cases.map((c: { id: string }) => c.id)).toEqual([paused.id, breached.id, reopened.id, rated.id]);
    const [p, b, ro, ra] = await Promise.all([paused, breached, reopened, rated].map((c) => getCase(c.id)));
    expect(r.body.cases).toEqual([
      { id: p.id, subject: 'Waiting for photos', status: 'PAUSED', priority: 'P3', level: 'L0', department: 'support', createdAt: p.createdAt, resolvedAt: null, breached: false, overdue: false, reopenCount: 0, rating: null },
      { id: b.id, subject: 'Site down', status: 'OPEN', priority: 'P1', level: 'L3', department: 'support', createdAt: b.createdAt, resolvedAt: null, breached: true, overdue: false, reopenCount: 0, rating: null },
      { id: ro.id, subject: 'Refund missing', status: 'OPEN', priority: 'P3', level: 'L0', department: 'billing', createdAt: ro.createdAt, resolvedAt: null, breached: false, overdue: false, reopenCount: 1, rating: 1 },
      { id: ra.id, subject: 'Blender cracked', status: 'CLOSED', priority: 'P3', level: 'L0', department: 'support', createdAt: ra.createdAt, resolvedAt: ra.resolvedAt, breached: false, overdue: false, reopenCount: 0, rating: 4 },
    ]);
    expect(r.body.counts).toEqual({ total: 5, open: 4, reopened: 1, breached: 1, rated: 2, averageRating: 2.5 });

    // From another of the customer's cases, the current one is history.
    const fromPaused = await history(paused.id);
    expect(fromPaused.body.cases.map((c: { id: string }) => c.id)).toEqual([current.id, breached.id, reopened.id, rated.id]);
    expect(fromPaused.body.counts).toEqual(r.body.counts);
  }, 30_000);

  it('is empty for a first-time customer, and lists at most 20 cases', async () => {
    const first = await newCase('hist-new');
    const alone = await history(first.id);
    expect(alone.status).toBe(200);
    expect(alone.body).toMatchObject({ cases: [], truncated: false, counts: { total: 1, open: 1, reopened: 0, breached: 0, rated: 0, averageRating: null } });

    const many: string[] = [];
    for (let i = 0; i < 23; i++) many.push((await newCase('hist-many', { subject: `Order ${i}` })).id);
    const latest = many[many.length - 1]!;
    const r = await history(latest);
    expect(r.body.cases.map((c: { id: string }) => c.id)).toEqual(many.slice(0, -1).reverse().slice(0, 20));
    expect(r.body.truncated).toBe(true);
    expect(r.body.counts.total).toBe(23);
  }, 30_000);

  it('is 404 for an unknown case', async () => {
    expect((await history('01ARZ3NDEKTSV4RRFFQ69G5FAV')).status).toBe(404);
    expect((await history('not-a-case')).status).toBe(404);
  });

  it('needs a token with the read scope', async () => {
    const c = await newCase('hist-scope');
    expect((await history(c.id, null)).status).toBe(401);
    expect((await history(c.id, await api.token('cases/write'))).status).toBe(403);
    expect((await history(c.id, await api.token('cases/read'))).status).toBe(200);
  });
});
