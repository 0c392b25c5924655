// Exactly once per (case, milestone, recipient): replaying a notification step — delivering stale copies of a case's
// owed emails again (as a redelivered stream record would), running the timer's evaluate step twice, restarting the
// whole stack mid-flight — never sends an email twice.
// The one documented limit: a sender that dies between claim and send leaves the email `email.unconfirmed`, never resent.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseRecord } from '../../functions/domain/model.ts';
import type { LocalStack } from '../../local/stack.ts';
import { eventually, newCaseBody, policyFile, startTestStack, TestApi, uniformBudgets, type SentEmail } from '../support/stack.ts';
import { emailEvents, expectExactlyOwed, settledTimeline, sleep, storeEmailsOf, timeline } from './email-support.ts';

const managers = (dept: string) => ({
  L0: [`${dept}-l0@example.com`],
  L1: [`${dept}-l1@example.com`],
  L2: [`${dept}-l2@example.com`],
  L3: [`${dept}-l3@example.com`],
});

const slowAfterL0 = { L0: 'PT3S', L1: 'PT60S', L2: 'PT60S', L3: 'PT60S' };
const dataDir = mkdtempSync(join(tmpdir(), 'escalator-exactly-once-'));
const policyPath = policyFile({
  budgets: uniformBudgets(3),
  closeBy: 'PT60S',
  followUpAfter: 'PT2S',
  warnAt: 0.5,
  departments: {
    support: { managers: managers('support') },
    billing: { managers: managers('billing') },
    // (b)'s department: its L0 runs out as everywhere, but its L1 lasts long enough that no wake-up falls due while
    // the two replays race, however slow the machine
    engineering: { managers: managers('engineering'), budgets: { P1: slowAfterL0, P2: slowAfterL0, P3: slowAfterL0, P4: slowAfterL0 } },
  },
});

let stack: LocalStack;
let api: TestApi;

beforeAll(async () => {
  ({ stack, api } = await startTestStack({ policyPath, dataDir }));
});
afterAll(async () => {
  await stack?.stop();
});

/** Modules imported after the stack started, so their SDK clients use the local endpoints. */
async function app() {
  const { caseStore } = await import('../../functions/adapters/case-store.ts');
  const { emailStore } = await import('../../functions/adapters/email-store.ts');
  const { emailItem } = await import('../../functions/adapters/case-items.ts');
  const { effectUseCases } = await import('../../functions/app/effects.ts');
  const { sesMailer } = await import('../../functions/adapters/ses-mailer.ts');
  const { workflowTimer } = await import('../../functions/adapters/workflow-timer.ts');
  const { emailComposer } = await import('../../functions/notifications/compose.ts');
  const { getPolicy } = await import('../../functions/commons/config.ts');
  const { newCase, CreateCaseInput } = await import('../../functions/domain/operations.ts');
  const { handler: evaluate } = await import('../../functions/workflow/evaluate.ts');
  const { ddb } = await import('../../functions/commons/clients/dynamodb.ts');
  const { PutCommand, QueryCommand } = await import('@aws-sdk/lib-dynamodb');
  const effects = effectUseCases({ store: caseStore, emails: emailStore, timer: workflowTimer, mailer: sesMailer, composer: emailComposer, policy: getPolicy });
  /** The case's email items as stored (their delivery records). */
  const emailRecords = async (id: string) => {
    const r = await ddb().send(
      new QueryCommand({ TableName: stack.tableName, KeyConditionExpression: 'pk = :pk', FilterExpression: 'itemType = :e', ExpressionAttributeValues: { ':pk': `CASE#${id}`, ':e': 'EMAIL' }, ConsistentRead: true }),
    );
    return (r.Items ?? []) as import('../../functions/app/ports.ts').EmailRecord[];
  };
  return { caseStore, emailItem, effects, emailRecords, newCase, CreateCaseInput, evaluate, ddb, PutCommand };
}

/**
 * A case written as a request would (created `agoMs` ago) whose timer never started: its timer is written as confirmed,
 * so the stream consumer leaves it alone. `withEmails: false` leaves its owed emails out, for the test to write.
 */
async function orphanCase(customer: string, agoMs: number, withEmails = true, body: Record<string, unknown> = {}): Promise<CaseRecord> {
  const { caseStore, newCase, CreateCaseInput } = await app();
  const input = CreateCaseInput.parse(newCaseBody({ customer: { id: customer, email: customer }, ...body }));
  const c = newCase(ulid(), input, { now: new Date(Date.now() - agoMs), actor: { kind: 'client', id: 'test' }, policy: stack.policy, newId: ulid });
  const unstarted = { ...c, timer: { version: 1, pending: false } };
  await caseStore.commit({ case: unstarted, expectedVersion: null, events: c.newEvents, emails: withEmails ? c.owedEmails : [] });
  await stack.drained();
  return c;
}

const sentRecords = async (id: string) =>
  emailEvents(await timeline(api, id))
    .filter((r) => r.type === 'email.sent')
    .map((r) => `${r.forEvent}/${r.template}/${r.to}#${r.messageId}`)
    .sort();

describe('replaying a notification step', () => {
  it('(a) delivering stale copies of emails that were already delivered sends nothing', async () => {
    // Prepare: a case that was acknowledged, warned and escalated (L0 → L1 after 3 s), all its emails sent
    const { effects, emailRecords } = await app();
    const customer = 'stale.e2e@example.org';
    const id: string = (await api.post('/cases', newCaseBody({ customer: { id: 'stale', email: customer } }))).body.id;
    await eventually(() => settledTimeline(api, id, stack.policy, customer, (ev) => ev.some((e) => e.type === 'escalated')), 15_000);
    await api.post(`/cases/${id}/resolve`, { resolution: 'Done.' });
    // The follow-up (2 s after the resolution) is the case's last email: after it, no timer email comes while we replay.
    await eventually(() => settledTimeline(api, id, stack.policy, customer, (ev) => ev.some((e) => e.type === 'followed-up')), 15_000);
    const records = await emailRecords(id);
    // The stale copies: every email item as the stream first delivered it (OWED), as a redelivery would bring it again.
    const stale = records.map((r) => ({ ...r, state: 'OWED' as const }));
    const storeBefore = await storeEmailsOf(api, id);
    const sentBefore = await sentRecords(id);
    expect(storeBefore.length).toBeGreaterThanOrEqual(5); // ack, warning, status update, alert, resolution

    // Act: replay it, sequentially and concurrently
    for (const e of stale) expect(await effects.deliverEmail(e)).toBe('SKIPPED');
    await Promise.all([...stale, ...stale, ...[...stale].reverse()].map((e) => effects.deliverEmail(e, stale)));

    // Assess
    expect(await storeEmailsOf(api, id)).toEqual(storeBefore);
    expect(await sentRecords(id)).toEqual(sentBefore);
    await expectExactlyOwed(api, id, stack.policy, customer);
  });

  it('(b) running the evaluate step twice with the same input adds no event and sends no email twice', async () => {
    // Prepare: a case whose L0 warning (1.5 s) and escalation (3 s) are due, its timer never run: the warning is
    // out of date by then (the L0 budget ran out too), so only the escalation is applied; its L1 lasts a minute
    const { evaluate } = await app();
    const customer = 'evaluate.e2e@example.org';
    const c = await orphanCase(customer, 3_500, true, { category: 'bug' });
    const input = { caseId: c.id, timerVersion: 1 };

    // Act: two concurrent runs, then a third
    const [first, second] = await Promise.all([evaluate(input), evaluate(input)]);
    const eventsAfterTwo = (await timeline(api, c.id)).filter((e) => !e.type.startsWith('email.'));
    const third = await evaluate(input);

    // Assess
    expect(second.wakeAt).toBe(first.wakeAt);
    expect(third.wakeAt).toBe(first.wakeAt);
    const events = await eventually(() => settledTimeline(api, c.id, stack.policy, customer));
    const caseEvents = events.filter((e) => !e.type.startsWith('email.'));
    expect(caseEvents).toEqual(eventsAfterTwo);
    expect(caseEvents.map((e) => e.type)).toEqual(['created', 'escalated']);
    const d = await expectExactlyOwed(api, c.id, stack.policy, customer, events);
    expect(d.sent.map((r) => `${r.template} ${r.to}`).sort()).toEqual([
      `acknowledgement ${customer}`,
      'escalation-alert engineering-l1@example.com',
      `status-update ${customer}`,
    ]);
  });

  it('(d) a claim whose sender died before sending is reported unconfirmed and never resent; a fresh one is left to its sender', async () => {
    // Prepare: two orphaned cases whose acknowledgement is claimed (SENDING) by a sender that is gone — one long ago,
    // one just now (still within the time a live sender may take)
    const { effects, emailRecords, emailItem, ddb, PutCommand } = await app();
    const oldCustomer = 'crashed-sender.e2e@example.org';
    const freshCustomer = 'busy-sender.e2e@example.org';
    const crashed = await orphanCase(oldCustomer, 0, false);
    const busy = await orphanCase(freshCustomer, 0, false);
    const claim = (c: CaseRecord, claimedAt: string) =>
      ddb().send(new PutCommand({ TableName: stack.tableName, Item: { ...emailItem(c.id, c.owedEmails[0]!, c.updatedAt), state: 'SENDING', claimedAt } }));
    await claim(crashed, new Date(Date.now() - 10 * 60_000).toISOString());
    await claim(busy, new Date().toISOString());
    await stack.drained(); // the stream consumer sees both claims first

    // Act: and so does any later sender (a redelivery, the reconciler)
    const [crashedEmail] = await emailRecords(crashed.id);
    const [busyEmail] = await emailRecords(busy.id);
    await effects.deliverEmail(crashedEmail!);
    expect(await effects.deliverEmail(busyEmail!)).toBe('SKIPPED');

    // Assess
    const crashedEmails = emailEvents(await timeline(api, crashed.id));
    expect(crashedEmails.map((r) => [r.type, r.template])).toEqual([['email.unconfirmed', 'acknowledgement']]);
    expect(crashedEmails[0]!.summary).toMatch(/not resent/);
    // Still owed until its sender confirms or is given up on.
    expect((await emailRecords(busy.id)).map((r) => r.state)).toEqual(['SENDING']);
    const all = await api.emails();
    expect(all.filter((m) => m.destination.to.includes(oldCustomer) || m.destination.to.includes(freshCustomer))).toEqual([]);
  });

  it('(c) a restart of the stack mid-flight sends nothing again that was sent before it, and the timer carries on', async () => {
    // Prepare: a case acknowledged and escalated once (3 s) before the stop
    const customer = 'restart.e2e@example.org';
    const id: string = (await api.post('/cases', newCaseBody({ customer: { id: 'restart', email: customer } }))).body.id;
    const createdAt = Date.now();
    await eventually(() => settledTimeline(api, id, stack.policy, customer, (ev) => ev.some((e) => e.type === 'escalated')), 15_000);
    const sentBefore = await sentRecords(id);
    const storeBefore: SentEmail[] = await storeEmailsOf(api, id);
    expect(sentBefore.length).toBe(storeBefore.length);

    // Act: stop in the middle of the case's life, stay down across its next deadlines (4.5 s warning, 6 s escalation),
    // restart on the same data and ports
    await stack.stop();
    await sleep(Math.max(0, createdAt + 7_000 - Date.now()));
    ({ stack, api } = await startTestStack({ policyPath, dataDir, ports: stack.ports }));
    const events = await eventually(
      () => settledTimeline(api, id, stack.policy, customer, (ev) => ev.filter((e) => e.type === 'escalated').length >= 2),
      20_000,
    );
    await api.post(`/cases/${id}/resolve`, { resolution: 'Fixed after the restart.' });
    const final = await eventually(() => settledTimeline(api, id, stack.policy, customer, (ev) => ev.some((e) => e.type === 'resolved')));

    // Assess: every email sent before the restart is still recorded once with the same SES message; nothing was sent
    // again (no email the new process sent duplicates one sent before); the deadlines missed while down happened once.
    expect(events.filter((e) => e.type === 'escalated').map((e) => e.changes?.['level']?.after).slice(0, 2)).toEqual(['L1', 'L2']);
    const sentAfter = await sentRecords(id);
    for (const s of sentBefore) expect(sentAfter).toContain(s);
    const storeAfter = await storeEmailsOf(api, id);
    const newInStore = storeAfter.filter((m) => !storeBefore.some((b) => b.messageId === m.messageId));
    const recordedBefore = new Set(sentBefore.map((s) => s.split('#')[1]));
    const newRecords = sentAfter.filter((s) => !sentBefore.includes(s));
    // Every email the new process sent belongs to a record made after the restart…
    expect(newInStore.map((m) => m.messageId).sort()).toEqual(newRecords.map((s) => s.split('#')[1]).sort());
    for (const m of newInStore) expect(recordedBefore.has(m.messageId)).toBe(false);
    // …and none of those records is for a milestone notified before the restart.
    const keyOf = (s: string) => s.split('#')[0];
    for (const r of newRecords) expect(sentBefore.map(keyOf)).not.toContain(keyOf(r));
    expect(newRecords.length).toBeGreaterThan(0); // the timer carried on after the restart (L2 escalation, resolution)
    await expectExactlyOwed(api, id, stack.policy, customer, final);
  });
});
