// Keeping people informed, end to end on the local stack: a case's whole life (warned, escalated, transferred,
// commented publicly and internally, resolved, followed up) sends exactly the emails it owes, each once, to the
// right people, every one recorded on the timeline; internal notes reach nobody; the survey link records the rating.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { eventually, newCaseBody, policyFile, startTestStack, TestApi, uniformBudgets } from '../support/stack.ts';
import { emailEvents, expectExactlyOwed, managers, settledTimeline, storeEmailsOf, SUBJECT, timeline } from './email-support.ts';

let stack: LocalStack;
let api: TestApi;

beforeAll(async () => {
  const policyPath = policyFile({
    budgets: uniformBudgets(2),
    closeBy: 'PT30S',
    followUpAfter: 'PT2S',
    warnAt: 0.5,
    departments: {
      support: { managers: managers('support') },
      billing: { managers: managers('billing') },
      engineering: { managers: managers('engineering') },
    },
  });
  ({ stack, api } = await startTestStack({ policyPath }));
});
afterAll(async () => {
  await stack?.stop();
});

const customerOf = (email: string, id: string) => ({ id, email, name: 'Ana Lima', tier: 'standard', lifetimeValue: 1200 });

describe('the emails of a case', () => {
  it('sends exactly the owed emails, each once, to the right people, never an internal note, and the survey records the rating', async () => {
    // Prepare
    const customer = 'ana.e2e@example.org';
    const INTERNAL_NOTE = `NOTE-${Date.now()}-do-not-share`;
    const HANDOVER = `HANDOVER-${Date.now()}`;
    const created = await api.post('/cases', newCaseBody({ customer: customerOf(customer, 'e2e-life') }));
    expect(created.status).toBe(201);
    const id: string = created.body.id;

    // Act: let the timer warn (50% of the 2 s budget) and escalate (L0 → L1), and its emails go out
    await eventually(
      () => settledTimeline(api, id, stack.policy, customer, (ev) => ev.some((e) => e.type === 'escalated') && ev.some((e) => e.type === 'sla.warning')),
      20_000,
    );
    // …then a person takes over: transfer, a public reply, an internal note, the resolution.
    const transferred = await api.post(`/cases/${id}/escalations`, { kind: 'functional', toDepartment: 'billing', summary: `Refund needed. ${HANDOVER}` });
    expect(transferred.status).toBe(200);
    expect((await api.post(`/cases/${id}/comments`, { visibility: 'public', body: 'We found your order and a replacement is on its way.' })).status).toBe(200);
    expect((await api.post(`/cases/${id}/comments`, { visibility: 'internal', body: `Customer mentioned a chargeback. ${INTERNAL_NOTE}` })).status).toBe(200);
    expect((await api.post(`/cases/${id}/resolve`, { resolution: 'A replacement blender shipped today (tracking TRK-778).' })).status).toBe(200);
    // …and the follow-up runs 2 s after the resolution (and closes the case).
    const events = await eventually(() => settledTimeline(api, id, stack.policy, customer, (ev) => ev.some((e) => e.type === 'closed')), 20_000);

    // Assess: exactly what the timeline owes, each once, every one on the timeline and in the SES store
    const d = await expectExactlyOwed(api, id, stack.policy, customer, events);
    expect(d.count('acknowledgement', customer)).toBe(1);
    expect(d.count('status-update', customer)).toBeGreaterThanOrEqual(2); // the escalation and the transfer
    expect(d.count('public-comment', customer)).toBe(1);
    expect(d.count('resolution', customer)).toBe(1);
    expect(d.count('follow-up', customer)).toBe(1);
    expect(d.count('breach-warning', 'support-l0@example.com')).toBe(1);
    expect(d.count('escalation-alert', 'support-l1@example.com')).toBe(1);
    expect(d.count('escalation-alert', 'billing-l1@example.com')).toBe(1); // the transfer alerts the NEW department
    expect(d.count('escalation-alert', 'support-l0@example.com')).toBe(0);
    // Customer emails only to the customer; internal ones only to managers named by the policy.
    for (const r of d.sent) expect(r.to.endsWith('@example.com')).toBe(r.audience === 'internal');

    // The internal note reaches nobody; the hand-over summary reaches managers, never the customer.
    for (const m of await api.emails()) expect(`${m.subject}\n${m.body.text}\n${m.body.html}`).not.toContain(INTERNAL_NOTE);
    const toCustomer = d.store.filter((m) => m.destination.to.includes(customer));
    for (const m of toCustomer) expect(`${m.subject}\n${m.body.text}\n${m.body.html}`).not.toContain(HANDOVER);
    const transferAlert = d.store.find((m) => m.destination.to.includes('billing-l1@example.com') && /transferred/.test(m.subject));
    expect(transferAlert?.body.text).toContain(HANDOVER);
    expect(toCustomer.find((m) => SUBJECT['public-comment']!.test(m.subject))?.body.text).toContain('a replacement is on its way');

    // The survey: one click records the rating on the case; a second click changes nothing.
    const followUp = toCustomer.find((m) => SUBJECT['follow-up']!.test(m.subject));
    const link = /(https?:\/\/\S+\/feedback\/\S+\?rating=4)/.exec(followUp?.body.text ?? '')?.[1];
    expect(link).toBeDefined();
    const page = await fetch(link!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Thank you');
    expect((await api.get(`/cases/${id}`)).body.feedback.rating).toBe(4);
    const again = await fetch(link!.replace('rating=4', 'rating=1'));
    expect(again.status).toBe(409);
    expect((await api.get(`/cases/${id}`)).body.feedback.rating).toBe(4);

    // Nothing more goes out later (the reconciler finds nothing owed).
    const before = (await storeEmailsOf(api, id)).length;
    await stack.reconcile(); // awaited: whatever it sends is in the store when it returns
    expect(await storeEmailsOf(api, id)).toHaveLength(before);
    expect(emailEvents(await timeline(api, id)).filter((r) => r.type === 'email.sent')).toHaveLength(before);
  });

  it('tells the customer a reopened case is open again and alerts the managers of its level, once', async () => {
    // Prepare (resolved at once, reopened before the follow-up is due)
    const customer = 'reopen.e2e@example.org';
    const created = await api.post('/cases', newCaseBody({ customer: customerOf(customer, 'e2e-reopen') }));
    const id: string = created.body.id;
    expect((await api.post(`/cases/${id}/resolve`, { resolution: 'Reset your password.' })).status).toBe(200);

    // Act
    const reopened = await api.post(`/cases/${id}/reopen`, { reason: 'The customer says the reset link does not work.' });
    expect(reopened.status).toBe(200);
    expect((await api.post(`/cases/${id}/resolve`, { resolution: 'Sent a new reset link.' })).status).toBe(200);

    // Assess
    const events = await eventually(() => settledTimeline(api, id, stack.policy, customer, (ev) => ev.some((e) => e.type === 'closed')), 20_000);
    const d = await expectExactlyOwed(api, id, stack.policy, customer, events);
    expect(d.count('status-update', customer)).toBe(1);
    expect(d.count('resolution', customer)).toBe(2);
    expect(d.count('follow-up', customer)).toBe(1);
    expect(d.count('escalation-alert', 'support-l0@example.com')).toBe(1);
    const openAgain = d.store.find((m) => m.destination.to.includes(customer) && /^Your case is open again/.test(m.subject));
    expect(openAgain?.body.text).toContain("We've reopened your case");
    expect(openAgain?.body.text).not.toContain('reset link does not work'); // the reason is internal
  });
});
