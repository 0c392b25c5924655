// The close-by deadline, end to end: when it passes, the customer gets one apology (and no separate status update
// for the move to the top level) and the top level's managers one overdue alert, even when a late timer applies
// several deadlines in one step.
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { eventually, newCaseBody, policyFile, startTestStack, TestApi, uniformBudgets } from '../support/stack.ts';
import { expectExactlyOwed, managers, settledTimeline, sleep, storeEmailsOf, SUBJECT, timeline } from './email-support.ts';

let stack: LocalStack;
let api: TestApi;

beforeAll(async () => {
  const policyPath = policyFile({
    budgets: uniformBudgets(60),
    closeBy: 'PT3S',
    followUpAfter: 'PT30S',
    warnAt: null,
    departments: {
      support: { managers: managers('support') },
      billing: { managers: managers('billing') },
      // a second-scale department: its levels run out before the close-by deadline
      engineering: { managers: managers('engineering'), budgets: uniformBudgets(1) },
    },
  });
  ({ stack, api } = await startTestStack({ policyPath }));
});
afterAll(async () => {
  await stack?.stop();
});

describe('overdue', () => {
  it('apologises to the customer and alerts the top level once when the close-by deadline passes', async () => {
    // Prepare
    const customer = 'late.e2e@example.org';
    const created = await api.post('/cases', newCaseBody({ customer: { id: 'late-1', email: customer, name: 'Bo Chen' } }));
    expect(created.status).toBe(201);
    const id: string = created.body.id;

    // Act: the 3 s close-by deadline passes
    const events = await eventually(() => settledTimeline(api, id, stack.policy, customer, (ev) => ev.some((e) => e.type === 'sla.overdue')), 15_000);

    // Assess
    const c = (await api.get(`/cases/${id}`)).body;
    expect(c.level).toBe('L3');
    expect(c.sla.overdue).toBe(true);
    const d = await expectExactlyOwed(api, id, stack.policy, customer, events);
    expect(d.sent.map((r) => `${r.template} ${r.to}`).sort()).toEqual([
      `acknowledgement ${customer}`,
      `overdue-alert support-l3@example.com`,
      `overdue-apology ${customer}`,
    ]);
    const apology = d.store.find((m) => SUBJECT['overdue-apology']!.test(m.subject));
    expect(apology?.body.text).toContain('We owe you an apology');
    expect(apology?.body.text).not.toMatch(/\bL[0-3]\b|SLA/);

    // Once: a reconciler pass and more time change nothing.
    await stack.reconcile();
    await sleep(1_000);
    expect(await storeEmailsOf(api, id)).toHaveLength(3);
    expect((await timeline(api, id)).filter((e) => e.type === 'sla.overdue')).toHaveLength(1);
  });

  it('sends one apology and no stale status updates when a late wake-up escalates twice and passes the deadline at once', async () => {
    // Prepare: an engineering case (1 s levels) whose timer never ran: L1 at 1 s, L2 at 2 s and overdue at 3 s are due
    const { caseStore } = await import('../../functions/adapters/case-store.ts');
    const { newCase, CreateCaseInput } = await import('../../functions/domain/operations.ts');
    const { handler: evaluate } = await import('../../functions/workflow/evaluate.ts');
    const customer = 'batch.e2e@example.org';
    const id = ulid();
    const input = CreateCaseInput.parse(newCaseBody({ customer: { id: 'late-2', email: customer }, category: 'bug' }));
    const c = newCase(id, input, { now: new Date(Date.now() - 5_000), actor: { kind: 'client', id: 'test' }, policy: stack.policy, newId: ulid });
    // Written as confirmed, so no execution of its own wakes it before the test does.
    await caseStore.commit({ case: { ...c, timer: { version: 1, pending: false } }, expectedVersion: null, events: c.newEvents, emails: c.owedEmails });

    // Act: the timer finally wakes
    await evaluate({ caseId: id, timerVersion: 1 });

    // Assess
    const events = await eventually(() => settledTimeline(api, id, stack.policy, customer));
    expect(events.filter((e) => e.type === 'escalated').map((e) => e.changes?.['level']?.after)).toEqual(['L1', 'L2']);
    expect(events.filter((e) => e.type === 'sla.overdue')).toHaveLength(1);
    const d = await expectExactlyOwed(api, id, stack.policy, customer, events);
    expect(d.store.filter((m) => m.destination.to.includes(customer)).map((m) => SUBJECT['acknowledgement']!.test(m.subject) || SUBJECT['overdue-apology']!.test(m.subject))).toEqual([true, true]);
    expect(d.records.filter((r) => r.template === 'status-update').map((r) => r.type)).toEqual(['email.suppressed', 'email.suppressed']);
    expect(d.count('escalation-alert', 'engineering-l1@example.com')).toBe(1);
    expect(d.count('escalation-alert', 'engineering-l2@example.com')).toBe(1);
    expect(d.count('escalation-alert', 'engineering-l2-deputy@example.com')).toBe(1);
    expect(d.count('overdue-alert', 'engineering-l3@example.com')).toBe(1);
    // The L1 managers' alert is about the move to L1, and says where the case is now.
    const l1 = d.store.find((m) => m.destination.to.includes('engineering-l1@example.com'));
    expect(l1?.subject).toMatch(/escalated to L1:/);
    expect(l1?.body.text).toContain('as a manager for L1 in engineering');
    expect(l1?.body.text).toContain('it is now at L3 (executive) in engineering');
  });
});
