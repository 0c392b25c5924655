// The ops queue's API on the local stack: open cases by next deadline from their own index (sort=nextDeadline),
// the overdue and at-risk filters, paging, and the workflow route's end reasons and wake-up purposes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, newCaseBody, policyFile, startTestStack, TestApi, uniformBudgets } from '../support/stack.ts';
import type { LocalStack } from '../../local/stack.ts';

let stack: LocalStack;
let api: TestApi;

beforeAll(async () => {
  // P2–P4: budgets of hours (P2 shortest) so the queue's order is known; P1: two seconds, to watch the timer move.
  // One stack per file: the handlers' SDK clients are per process.
  const hours = (h: number) => ({ L0: `PT${h}H`, L1: `PT${h}H`, L2: `PT${h}H`, L3: `PT${h}H` });
  const budgets = { P1: uniformBudgets(2).P1, P2: hours(1), P3: hours(2), P4: hours(3) };
  ({ stack, api } = await startTestStack({
    policyPath: policyFile({ budgets, closeBy: 'P30D', warnAt: 0.5, routing: { rules: [], categories: {}, defaultLevel: 'L0', defaultDepartment: 'support' } }),
  }));
});
afterAll(async () => {
  await stack?.stop();
});

const queue = (query = '') => api.get(`/cases?sort=nextDeadline&limit=100${query}`);

describe('GET /cases?sort=nextDeadline', () => {
  it('lists open and paused cases, the deadline that falls first first, with nextDeadline and atRisk', async () => {
    // Prepare
    const p4 = await api.post('/cases', newCaseBody({ priority: 'P4', customer: { id: 'q-1', email: 'a@example.org' } }));
    const p2 = await api.post('/cases', newCaseBody({ priority: 'P2', customer: { id: 'q-1', email: 'a@example.org' } }));
    const p3 = await api.post('/cases', newCaseBody({ priority: 'P3', customer: { id: 'q-2', email: 'b@example.org' } }));
    const done = await api.post('/cases', newCaseBody({ priority: 'P2' }));
    await api.post(`/cases/${done.body.id}/resolve`, { resolution: 'Replaced the blender.' });
    const paused = await api.post('/cases', newCaseBody({ priority: 'P2' }));
    await api.post(`/cases/${paused.body.id}/pause`, {});
    // Act
    const r = await queue();
    // Assess
    expect(r.status).toBe(200);
    const ids = r.body.items.map((c: { id: string }) => c.id);
    expect(ids).toEqual([p2.body.id, p3.body.id, p4.body.id, paused.body.id]); // paused: only its close-by deadline runs
    expect(r.body.items[0]).toMatchObject({ nextDeadline: { at: p2.body.sla.levelDueAt, kind: 'level' }, atRisk: false });
    expect(r.body.items[3]).toMatchObject({ status: 'PAUSED', nextDeadline: { kind: 'close-by' } });
    expect((await api.get(`/cases/${done.body.id}`)).body.nextDeadline).toBeNull();
  });

  it('filters by customer, level, department and status on the queue index, and pages with a cursor', async () => {
    const r = await queue('&customerId=q-1&status=OPEN');
    expect(r.body.items.map((c: { priority: string }) => c.priority)).toEqual(['P2', 'P4']);
    expect((await queue('&customerId=q-1&priority=P4&level=L0&department=support')).body.items.map((c: { priority: string }) => c.priority)).toEqual(['P4']);
    const first = await api.get('/cases?sort=nextDeadline&limit=1&status=OPEN');
    const second = await api.get(`/cases?sort=nextDeadline&limit=1&status=OPEN&cursor=${first.body.nextCursor}`);
    expect(second.status).toBe(200);
    expect(second.body.items[0].id).not.toBe(first.body.items[0].id);
    expect(Date.parse(second.body.items[0].nextDeadline.at)).toBeGreaterThanOrEqual(Date.parse(first.body.items[0].nextDeadline.at));
    // A cursor from another index is refused, not misread.
    expect((await api.get(`/cases?limit=1&cursor=${first.body.nextCursor}`)).status).toBe(400);
  });

  it('finds at-risk cases: past the warning share of their budget, or breached', async () => {
    // Prepare: none is at risk yet; a P1 case (two-second levels) is warned after a second, then escalates.
    expect((await queue('&atRisk=true')).body.items).toEqual([]);
    const p1 = await api.post('/cases', newCaseBody({ priority: 'P1' }));
    // Act
    const risky = await eventually(async () => {
      const r = await queue('&atRisk=true');
      return r.body.items.length ? r : undefined;
    });
    // Assess
    expect(risky.body.items.map((c: { id: string }) => c.id)).toEqual([p1.body.id]);
    expect(risky.body.items[0].atRisk).toBe(true);
    expect((await queue('&atRisk=false')).body.items.map((c: { id: string }) => c.id)).not.toContain(p1.body.id);
    expect((await queue('&overdue=true')).body.items).toEqual([]);
  });

  it('counts open and paused cases by level, department and status (GET /queue)', async () => {
    const listed = (await queue()).body.items as { level: string; department: string; status: string }[];
    const r = await api.get('/queue');
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(listed.length);
    expect(r.body.byLevel).toEqual({ L0: listed.filter((c) => c.level === 'L0').length, L1: listed.filter((c) => c.level === 'L1').length, L2: listed.filter((c) => c.level === 'L2').length, L3: listed.filter((c) => c.level === 'L3').length });
    expect(r.body.byStatus).toEqual({ OPEN: listed.filter((c) => c.status === 'OPEN').length, PAUSED: 1 });
    expect(r.body.byDepartment).toEqual({ support: listed.length });
    expect((await api.get('/queue', { token: await api.token('cases/write') })).status).toBe(403);
  });

  it('refuses what the queue index cannot answer', async () => {
    expect((await api.get('/cases?sort=nextDeadline&status=RESOLVED')).status).toBe(400);
    expect((await api.get('/cases?sort=nextDeadline&createdFrom=2026-01-01T00:00:00Z')).status).toBe(400);
    expect((await api.get('/cases?atRisk=true')).status).toBe(400);
  });
});

describe('GET /cases/{id}/workflow for the console', () => {
  it('says what the next wake-up is for, draws from the definition, and why the older execution ended', async () => {
    // Prepare
    const c = await api.post('/cases', newCaseBody({ priority: 'P2' }));
    const id = c.body.id as string;
    await eventually(async () => (await api.get(`/cases/${id}/workflow`)).body.executions[0].status === 'RUNNING');
    const before = await api.get(`/cases/${id}/workflow`);
    // Act
    await api.post(`/cases/${id}/resolve`, { resolution: 'Refund issued.' });
    const after = await eventually(async () => {
      const w = await api.get(`/cases/${id}/workflow`);
      return w.body.executions.find((e: { timerVersion: number }) => e.timerVersion === 1)?.status !== 'RUNNING' && w.body.executions[0].status === 'RUNNING' ? w : undefined;
    });
    // Assess
    expect(before.body).toMatchObject({ nextWakeUpPurpose: 'warning', definition: { StartAt: expect.any(String), States: expect.any(Object) } });
    expect(before.body.history.find((h: { type: string }) => h.type === 'WaitStateEntered').meaning).toMatch(/^waiting until /);
    expect(after.body.nextWakeUpPurpose).toBe('follow-up');
    const v1 = after.body.executions.find((e: { timerVersion: number }) => e.timerVersion === 1);
    expect(v1.endReason).toBe('superseded by v2: resolved');
    expect(v1.consoleUrl).toBe(`${api.url}/console/cases/${id}#workflow`);
  });

  it('links each wake-up to what it did', async () => {
    const c = await api.post('/cases', newCaseBody({ priority: 'P1' }));
    const w = await eventually(async () => {
      const r = await api.get(`/cases/${c.body.id}/workflow`);
      return r.body.history.some((h: { applied?: { type: string }[] }) => h.applied?.some((e) => e.type === 'escalated')) ? r : undefined;
    }, 20_000);
    type Wake = { meaning: string; applied: { type: string; summary: string }[] };
    const wakes = w.body.history.filter((h: { type: string }) => h.type === 'TaskStateExited') as Wake[];
    // On time, the first wake-up warns and the second escalates; a late one applies both at once, in order.
    expect(wakes[0]!.applied[0]!.type).toBe('sla.warning');
    const escalating = wakes.find((x) => x.applied.some((e) => e.type === 'escalated'))!;
    expect(escalating.meaning).toMatch(new RegExp(`^${escalating.applied.map((e) => e.type.replace('.', '\\.')).join(', ')}; next wake-up at `));
    expect(escalating.applied.find((e) => e.type === 'escalated')!.summary).toContain('escalated automatically from L0 to L1');
  });
});
