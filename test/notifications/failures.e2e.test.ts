// When SES says no: a permanent rejection is recorded on the timeline (`email.failed`) and never blocks or loses the
// case; throttling and 5xx are retried (by the SDK with backoff, then by the reconciler) and end up sent exactly once;
// an address that bounced or complained gets no further email (`email.suppressed`). SES is reached through a small
// "gate" server that answers SendEmail with SES's own query-protocol errors when told to, and forwards to the local
// SES otherwise.
import { loggedErrors } from '../support/logs.ts';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { eventually, newCaseBody, policyFile, startTestStack, TestApi, uniformBudgets } from '../support/stack.ts';
import { emailEvents, settledTimeline, startSesGate, storeEmailsOf, SUBJECT, timeline, type SesGate } from './email-support.ts';

const managers = (dept: string) => ({
  L0: [`${dept}-l0@example.com`],
  L1: [`${dept}-l1@example.com`],
  L2: [`${dept}-l2@example.com`],
  L3: [`${dept}-l3@example.com`],
});
const CONFIGURATION_SET = 'escalator-test-feedback';

let stack: LocalStack;
let api: TestApi;
let gate: SesGate;

beforeAll(async () => {
  const policyPath = policyFile({
    budgets: uniformBudgets(3),
    closeBy: 'PT60S',
    followUpAfter: 'PT60S',
    warnAt: 0.5,
    departments: {
      support: { managers: managers('support') },
      // slow deadlines: no timer wake-up drains a billing case's outbox during a test
      billing: { managers: managers('billing'), budgets: uniformBudgets(60) },
      engineering: { managers: managers('engineering') },
    },
  });
  ({ stack, api } = await startTestStack({ policyPath }));
  // Before any email is sent (the SDK resolves its endpoint once): every SendEmail goes through the gate. The
  // configuration set comes from the deployment's variable, as on AWS (the policy names none).
  gate = await startSesGate(() => stack.urls.ses);
  process.env['AWS_ENDPOINT_URL_SES'] = gate.url;
  process.env['SES_CONFIGURATION_SET'] = CONFIGURATION_SET;
});
afterAll(async () => {
  await stack?.stop();
  await gate?.close();
});

const acks = (to: string) => gate.requests.filter((f) => f['Destination.ToAddresses.member.1'] === to && SUBJECT['acknowledgement']!.test(f['Message.Subject.Data'] ?? '')).length;
const createFor = async (email: string, category?: string) => {
  const r = await api.post('/cases', newCaseBody({ customer: { id: email, email, name: 'Ines Park' }, ...(category ? { category } : {}) }));
  expect(r.status).toBe(201);
  return r.body.id as string;
};

describe('SES failures', () => {
  it('sends through the configuration set named by SES_CONFIGURATION_SET, with the case\'s reply address, the thread headers and tags', async () => {
    // Act
    const id = await createFor('config.e2e@example.org');

    // Assess
    const sent = gate.requests.find((f) => f['Destination.ToAddresses.member.1'] === 'config.e2e@example.org');
    expect(sent).toMatchObject({
      ConfigurationSetName: CONFIGURATION_SET,
      Action: 'SendRawEmail',
      Source: stack.policy.notifications.from,
      // The customer replies to the case itself (functions/commons/signed-links.ts), in one thread per case.
      'ReplyToAddresses.member.1': expect.stringMatching(new RegExp(`^reply\\+ESC-[0-9A-Z]{6}\\.[0-9a-f]{20}@${stack.inboundDomain}$`)),
      'Header.In-Reply-To': `<case-${id}@${stack.inboundDomain}>`,
      'Header.References': `<case-${id}@${stack.inboundDomain}>`,
      'Tags.member.1.Name': 'case',
      'Tags.member.1.Value': id,
      'Tags.member.2.Value': 'acknowledgement',
    });
    // Forwarded to the local SES (the timer's own emails may follow: its budgets are seconds).
    expect((await storeEmailsOf(api, id)).filter((m) => SUBJECT['acknowledgement']!.test(m.subject))).toHaveLength(1);
  });

  it('records a permanent rejection as email.failed, never retries it, and the case and its timer carry on', async () => {
    // Prepare
    const customer = 'rejected.e2e@example.org';
    gate.fail(customer, 'reject', 1);

    // Act
    const id = await createFor(customer);

    // Assess: the change succeeded, the failure is on the timeline…
    const failed = emailEvents(await timeline(api, id)).find((r) => r.template === 'acknowledgement');
    expect(failed).toMatchObject({ type: 'email.failed', to: customer });
    expect(failed!.summary).toMatch(/MessageRejected: Email address is not verified/);
    const wf = (await api.get(`/cases/${id}/workflow`)).body;
    expect(wf.executions.find((e: { current: boolean }) => e.current)?.status).toBe('RUNNING');
    // …the timer still runs (warning at 1.5 s, escalation at 3 s) and the next customer email goes out…
    const events = await eventually(() => settledTimeline(api, id, stack.policy, customer, (ev) => ev.some((e) => e.type === 'escalated')), 15_000);
    const records = emailEvents(events);
    expect(records.filter((r) => r.template === 'status-update').map((r) => r.type)).toEqual(['email.sent']);
    expect(records.filter((r) => r.template === 'escalation-alert').map((r) => r.type)).toEqual(['email.sent']);
    // …and the rejected acknowledgement is never tried again.
    await stack.reconcile();
    expect(acks(customer)).toBe(1);
    expect((await storeEmailsOf(api, id)).filter((m) => SUBJECT['acknowledgement']!.test(m.subject))).toEqual([]);
    expect(emailEvents(await timeline(api, id)).filter((r) => r.template === 'acknowledgement').map((r) => r.type)).toEqual(['email.failed']);
    // …and ops hear of it once, in one ERROR line naming the case (captured, not printed: test/support/logs.ts).
    expect(loggedErrors().filter((l) => l.entry['caseId'] === id).map((l) => l.message)).toEqual(['email permanently failed']);
  });

  it('retries throttling (400 Throttling, 429) with backoff and sends once', async () => {
    // Prepare
    const throttled = 'throttled.e2e@example.org';
    const tooMany = 'too-many.e2e@example.org';
    gate.fail(throttled, 'throttle', 2);
    gate.fail(tooMany, '429', 1);

    // Act
    const [a, b] = await Promise.all([createFor(throttled), createFor(tooMany)]);

    // Assess
    expect(acks(throttled)).toBe(3);
    expect(acks(tooMany)).toBe(2);
    for (const [id, to] of [[a, throttled], [b, tooMany]] as const) {
      const sentAcks = emailEvents(await timeline(api, id)).filter((r) => r.template === 'acknowledgement');
      expect(sentAcks.map((r) => [r.type, r.to])).toEqual([['email.sent', to]]);
      expect((await storeEmailsOf(api, id)).filter((m) => SUBJECT['acknowledgement']!.test(m.subject))).toHaveLength(1);
    }
  });

  it('releases the email when SES stays unavailable beyond the SDK retries, and a later drain sends it once', async () => {
    // Prepare: 503 for every one of the SDK's 6 attempts (a billing case: no timer wake-up for a minute)
    const customer = 'unavailable.e2e@example.org';
    gate.fail(customer, '503', 6);

    // Act
    const id = await createFor(customer, 'refund');

    // Assess: the case exists, the email is still owed (queued, nothing sent)…
    expect(acks(customer)).toBe(6);
    expect(emailEvents(await timeline(api, id)).filter((r) => r.template === 'acknowledgement').map((r) => r.type)).toEqual(['email.queued']);
    // …and the reconciler sends it, once.
    const sent = await eventually(
      async () => {
        await stack.reconcile();
        const r = emailEvents(await timeline(api, id)).filter((x) => x.template === 'acknowledgement');
        return r.length && r.every((x) => x.type === 'email.sent') ? r : undefined;
      },
      20_000,
      500,
    );
    expect(sent).toHaveLength(1);
    await stack.reconcile(); // awaited: whatever it sends is in the store when it returns
    expect(acks(customer)).toBe(7);
    expect((await storeEmailsOf(api, id)).filter((m) => SUBJECT['acknowledgement']!.test(m.subject))).toHaveLength(1);
  });

  it('keeps an email owed when SES throttles past the drain\'s time budget, and never resends one whose request was cut off in flight', async () => {
    // Prepare: SES throttles one address for good and never answers for another (billing cases: no timer wake-ups)
    const throttled = 'throttled-for-long.e2e@example.org';
    const hanging = 'hanging.e2e@example.org';
    gate.fail(throttled, 'throttle', 1_000);
    gate.fail(hanging, 'hang', 1);

    // Act: the stream consumer gives up on each send after its 10 s budget; the changes themselves succeeded at once
    const [a, b] = await Promise.all([createFor(throttled, 'refund'), createFor(hanging, 'refund')]);

    // Assess: the throttled one is still owed (claim released between retries) and is sent once SES recovers…
    expect(emailEvents(await timeline(api, a)).map((r) => r.type)).toEqual(['email.queued']);
    gate.heal(throttled);
    await eventually(
      async () => {
        await stack.reconcile();
        return emailEvents(await timeline(api, a)).some((r) => r.type === 'email.sent');
      },
      20_000,
      500,
    );
    expect((await storeEmailsOf(api, a)).filter((m) => SUBJECT['acknowledgement']!.test(m.subject))).toHaveLength(1);
    // …the cut-off one may have reached SES: it is reported unconfirmed and never tried again.
    const cutOff = emailEvents(await timeline(api, b));
    expect(cutOff.map((r) => [r.type, r.template])).toEqual([['email.unconfirmed', 'acknowledgement']]);
    expect(cutOff[0]!.summary).toMatch(/not resent/);
    await stack.reconcile();
    expect(acks(hanging)).toBe(1);
  }, 60_000);

  it('sends nothing more to an address that bounced or complained, and says so on the timeline', async () => {
    // Prepare: two acknowledged customers, then SES reports a permanent bounce for one and a complaint for the other
    // (through the bounce handler the configuration set's SNS topic invokes on AWS)
    const bouncing = 'bouncing.e2e@example.org';
    const complaining = 'complaining.e2e@example.org';
    const [a, b] = await Promise.all([createFor(bouncing), createFor(complaining)]);
    const { handler: onSesFeedback } = await import('../../functions/notifications/bounces.ts');
    const { suppressionKey } = await import('../../functions/notifications/suppression.ts');
    const { ddb } = await import('../../functions/commons/clients/dynamodb.ts');
    const sns = (message: object) => ({ Records: [{ Sns: { MessageId: `m-${Math.random()}`, Message: JSON.stringify(message) } }] });
    await onSesFeedback(
      sns({ eventType: 'Bounce', bounce: { bounceType: 'Permanent', bounceSubType: 'General', bouncedRecipients: [{ emailAddress: 'Bouncing.E2E@example.org' }] }, mail: {} }) as never,
    );
    await onSesFeedback(sns({ eventType: 'Complaint', complaint: { complainedRecipients: [{ emailAddress: complaining }], complaintFeedbackType: 'abuse' }, mail: {} }) as never);
    const item = await ddb().send(new GetCommand({ TableName: process.env['TABLE_NAME']!, Key: suppressionKey(bouncing) }));
    expect(item.Item).toBeDefined();

    // Act: later emails to them
    expect((await api.post(`/cases/${a}/comments`, { visibility: 'public', body: 'We are looking into it.' })).status).toBe(200);
    expect((await api.post(`/cases/${b}/resolve`, { resolution: 'Refunded.' })).status).toBe(200);

    // Assess
    const bounced = emailEvents(await timeline(api, a)).find((r) => r.template === 'public-comment');
    expect(bounced).toMatchObject({ type: 'email.suppressed', to: bouncing });
    expect(bounced!.summary).toMatch(/suppressed \(bounce: Permanent\/General/);
    const complained = emailEvents(await timeline(api, b)).find((r) => r.template === 'resolution');
    expect(complained).toMatchObject({ type: 'email.suppressed', to: complaining });
    expect(complained!.summary).toMatch(/complaint: abuse/);
    for (const to of [bouncing, complaining]) {
      expect(gate.requests.filter((f) => f['Destination.ToAddresses.member.1'] === to)).toHaveLength(1); // the acknowledgement only
    }
    // The managers of those cases are still told what they need to know.
    const events = await eventually(() => settledTimeline(api, a, stack.policy, bouncing, (ev) => ev.some((e) => e.type === 'sla.warning')), 15_000);
    expect(emailEvents(events).find((r) => r.template === 'breach-warning')?.type).toBe('email.sent');
  });
});
