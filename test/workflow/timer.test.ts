// The escalation timer end to end, in real time with a second-scale policy: a case climbs L0→L3 as budgets run
// out, breaches at the top, goes overdue at close-by; a resolved case never escalates and gets its follow-up; a
// manual escalation re-times the next deadline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { eventually, newCaseBody, policyFile, startTestStack, TestApi, uniformBudgets } from '../support/stack.ts';

let stack: LocalStack;
let api: TestApi;

beforeAll(async () => {
  ({ stack, api } = await startTestStack({
    policyPath: policyFile({ budgets: uniformBudgets(2), closeBy: 'PT12S', followUpAfter: 'PT2S', warnAt: null, departments: { support: { managers: {} }, billing: { managers: {} }, engineering: { managers: {} } } }),
  }));
});
afterAll(async () => {
  await stack?.stop();
});

const timeline = async (id: string) => (await api.get(`/cases/${id}/timeline`)).body.events as { type: string; at: string; data?: Record<string, unknown>; changes?: Record<string, { before: unknown; after: unknown }> }[];

describe('escalation timer', () => {
  it('climbs L0→L1→L2→L3 as budgets run out, breaches at the top, goes overdue at close-by', async () => {
    // Prepare
    const c = (await api.post('/cases', newCaseBody())).body;
    expect(c.level).toBe('L0');
    // Act + Assess: each level arrives in turn
    for (const level of ['L1', 'L2', 'L3']) {
      await eventually(async () => (await api.get(`/cases/${c.id}`)).body.level === level, 6_000);
    }
    const breached = await eventually(async () => {
      const r = (await api.get(`/cases/${c.id}`)).body;
      return r.sla.breached ? r : undefined;
    }, 6_000);
    expect(breached.sla.overdue).toBe(false);
    const overdue = await eventually(async () => {
      const r = (await api.get(`/cases/${c.id}`)).body;
      return r.sla.overdue ? r : undefined;
    }, 10_000);
    expect(overdue.level).toBe('L3');

    const events = await timeline(c.id);
    const escalations = events.filter((e) => e.type === 'escalated');
    expect(escalations.map((e) => e.changes?.['level']?.after)).toEqual(['L1', 'L2', 'L3']);
    expect(escalations.every((e) => e.data?.['automatic'] === true)).toBe(true);
    expect(events.filter((e) => e.type === 'sla.breached')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'sla.overdue')).toHaveLength(1);
    // Each escalation happened at its level's deadline: 2 s apart from creation.
    const created = Date.parse(c.createdAt);
    escalations.forEach((e, i) => expect(Date.parse(e.at) - created).toBe((i + 1) * 2_000));

    // Nothing is left to wait for: the execution finished.
    const wf = await eventually(async () => {
      const r = (await api.get(`/cases/${c.id}/workflow`)).body;
      return r.executions[0].status === 'SUCCEEDED' ? r : undefined;
    }, 5_000);
    expect(wf.nextWakeUp).toBeNull();
  }, 40_000);

  it('a resolved case never escalates again and gets its follow-up, then closes', async () => {
    const c = (await api.post('/cases', newCaseBody())).body;
    const resolved = await api.post(`/cases/${c.id}/resolve`, { resolution: 'Replacement shipped today.' });
    expect(resolved.status).toBe(200);
    expect(resolved.body.status).toBe('RESOLVED');
    const closed = await eventually(async () => {
      const r = (await api.get(`/cases/${c.id}`)).body;
      return r.status === 'CLOSED' ? r : undefined;
    }, 8_000);
    expect(closed.level).toBe('L0');
    const types = (await timeline(c.id)).map((e) => e.type);
    expect(types).not.toContain('escalated');
    expect(types.filter((t) => t === 'followed-up')).toHaveLength(1);
    // The follow-up execution finishes just after it closes the case.
    await eventually(async () => {
      const wf = (await api.get(`/cases/${c.id}/workflow`)).body;
      return wf.executions.map((e: { status: string }) => e.status).join() === 'SUCCEEDED,ABORTED';
    }, 5_000);
    // The follow-up came at the old L0 deadline (both 2 s): the timeline above shows no escalation with it.
    expect(Date.parse(closed.closedAt)).toBeGreaterThanOrEqual(Date.parse(c.sla.levelDueAt));
  }, 20_000);

  it('a manual escalation re-times the next deadline', async () => {
    const c = (await api.post('/cases', newCaseBody())).body;
    await new Promise((r) => setTimeout(r, 1_000)); // a second of the L0 budget passes, so the new deadline is later
    const up = await api.post(`/cases/${c.id}/escalations`, { kind: 'hierarchical', summary: 'Customer threatens to churn' });
    expect(up.status).toBe(200);
    expect(up.body.level).toBe('L1');
    const newDue = Date.parse(up.body.sla.levelDueAt);
    expect(newDue).toBeGreaterThan(Date.parse(c.sla.levelDueAt));
    // The old execution was stopped and the next one runs toward the new deadline.
    const wf = (await api.get(`/cases/${c.id}/workflow`)).body;
    expect(wf.timerVersion).toBe(2);
    expect(wf.nextWakeUp).toBe(up.body.sla.levelDueAt);
    // At the old L0 deadline nothing happens; at the new one the case goes to L2.
    await new Promise((r) => setTimeout(r, Date.parse(c.sla.levelDueAt) - Date.now() + 300));
    expect((await api.get(`/cases/${c.id}`)).body.level).toBe('L1');
    const l2 = await eventually(async () => {
      const r = (await api.get(`/cases/${c.id}`)).body;
      return r.level === 'L2' ? r : undefined;
    }, 5_000);
    const escalated = (await timeline(c.id)).filter((e) => e.type === 'escalated');
    expect(escalated).toHaveLength(2);
    expect(Date.parse(escalated[1]!.at)).toBe(newDue);
    expect(l2.version).toBeGreaterThan(up.body.version);
  }, 20_000);
});
