// The effects use cases against in-memory ports: timer hand-over, and each owed email claimed before it is sent, so a
// redelivery never sends twice and a failure is recorded, released or given up on as the outbox rules say.
import { describe, expect, it } from 'vitest';
import { caseUseCases } from '../../functions/app/cases.ts';
import { effectUseCases, UNCONFIRMED_AFTER_MS } from '../../functions/app/effects.ts';
import { PermanentMailError, TransientMailError, UnknownMailOutcomeError } from '../../functions/app/ports.ts';
import { CreateCaseInput, escalate, resolve } from '../../functions/domain/operations.ts';
import { applyDueTimers, nextWakeUp } from '../../functions/domain/sla.ts';
import { systemActor } from '../../functions/domain/change.ts';
import { agent, T0, testPolicy } from '../support/domain-fixtures.ts';
import { fakeComposer, FakeCaseStore, FakeMailer, FakeTimer } from '../support/fakes.ts';

const policy = testPolicy({ notifications: { from: 'help@example.com', managers: { L0: ['l0@example.com'], L1: ['l1@example.com'], L2: [], L3: [] }, publicBaseUrl: 'https://x.example' } });
const input = CreateCaseInput.parse({ customer: { id: 'c-1', email: 'ana@example.org' }, subject: 'Broken', description: 'It broke.' });
const ID = '01JD0000000000000000000000';

function setup(start = T0) {
  const clock = { now: start };
  const store = new FakeCaseStore();
  const timer = new FakeTimer();
  const mailer = new FakeMailer();
  const cases = caseUseCases({ store, policy: () => policy, now: () => clock.now });
  const effects = effectUseCases({ store, emails: store, timer, mailer, composer: fakeComposer, policy: () => policy, now: () => clock.now });
  return { clock, store, timer, mailer, cases, effects };
}
const owed = (store: FakeCaseStore) => [...store.emails.values()];

describe('handOverTimer', () => {
  it('starts the pending timer at its first deadline and confirms it; a re-timed case stops the one it replaces', async () => {
    // Prepare
    const { clock, store, timer, cases, effects } = setup();
    const { case: created } = await cases.createCase(ID, input, agent);
    // Act
    await effects.handOverTimer((await store.get(ID))!);
    clock.now = new Date(T0.getTime() + 3_600_000); // an hour later the case moves up: its deadlines move
    const { before, after } = await cases.changeCase(ID, (c, ctx) => escalate(c, { kind: 'hierarchical', summary: 'Up.' }, ctx), { actor: agent });
    await effects.handOverTimer(after, before);
    // Assess
    expect(timer.started).toEqual([
      { caseId: ID, timerVersion: 1, wakeAt: nextWakeUp(created!, policy) },
      { caseId: ID, timerVersion: 2, wakeAt: nextWakeUp(after, policy) },
    ]);
    expect(timer.stopped).toEqual([{ caseId: ID, timerVersion: 1 }]);
    expect((await store.get(ID))!.timer).toEqual({ version: 2, pending: false });
  });
});

describe('deliverEmail', () => {
  it('sends an owed email once, however often it is delivered again', async () => {
    // Prepare
    const { store, mailer, cases, effects } = setup();
    await cases.createCase(ID, input, agent);
    const [ack] = owed(store);
    // Act
    const outcomes = [await effects.deliverEmail(ack!), ...(await Promise.all([effects.deliverEmail(ack!), effects.deliverEmail(ack!)]))];
    // Assess
    expect(outcomes).toEqual(['SENT', 'SKIPPED', 'SKIPPED']);
    expect(mailer.sent.map((m) => m.subject)).toEqual([`acknowledgement ${ID}`]);
    expect(owed(store)[0]).toMatchObject({ state: 'SENT', messageId: 'msg-1' });
  });

  it('records a permanent failure, releases a transient one for a later attempt, and never resends an unknown outcome', async () => {
    // Prepare
    const { store, mailer, cases, effects } = setup();
    await cases.createCase(ID, input, agent);
    const [ack] = owed(store);
    // Act / Assess: transient → still owed, then sent
    mailer.failures.push(new TransientMailError('Throttling'));
    expect(await effects.deliverEmail(ack!)).toBe('OWED');
    expect(owed(store)[0]!.state).toBe('OWED');
    expect(await effects.deliverEmail(owed(store)[0]!)).toBe('SENT');
    // permanent → FAILED; unknown → UNCONFIRMED; neither is tried again
    await cases.changeCase(ID, (c, ctx) => resolve(c, { resolution: 'Done.' }, ctx), { actor: agent });
    const resolution = owed(store).find((e) => e.template === 'resolution')!;
    mailer.failures.push(new PermanentMailError('MessageRejected'));
    expect(await effects.deliverEmail(resolution)).toBe('FAILED');
    expect(await effects.deliverEmail(resolution)).toBe('SKIPPED');
    expect(mailer.sent).toHaveLength(1);
    mailer.failures.push(new UnknownMailOutcomeError('cut off'));
    const fresh = { ...resolution, key: 'other', state: 'OWED' as const };
    store.emails.set('other', fresh);
    expect(await effects.deliverEmail(fresh)).toBe('UNCONFIRMED');
    expect(await effects.deliverEmail(store.emails.get('other')!)).toBe('SKIPPED');
  });

  it('gives up on a claim whose sender is gone (unconfirmed, never resent) but leaves a fresh one to its sender', async () => {
    // Prepare: the acknowledgement claimed by a sender that then died
    const { store, mailer, cases, effects } = setup(new Date(T0.getTime() + UNCONFIRMED_AFTER_MS + 1));
    await cases.createCase(ID, input, agent);
    const [ack] = owed(store);
    store.emails.set(ack!.key, { ...ack!, state: 'SENDING', claimedAt: T0.toISOString() });
    const fresh = setup();
    await fresh.cases.createCase(ID, input, agent);
    const [busy] = owed(fresh.store);
    fresh.store.emails.set(busy!.key, { ...busy!, state: 'SENDING', claimedAt: T0.toISOString() });
    // Act / Assess
    expect(await effects.deliverEmail(store.emails.get(ack!.key)!)).toBe('UNCONFIRMED');
    expect(await fresh.effects.deliverEmail(fresh.store.emails.get(busy!.key)!)).toBe('SKIPPED');
    expect(mailer.sent).toEqual([]);
    expect(fresh.store.emails.get(busy!.key)!.state).toBe('SENDING');
  });

  it('suppresses an email to an address that bounced, and one overtaken by a later email to the same person', async () => {
    // Prepare
    const { store, mailer, cases, effects } = setup();
    await cases.createCase(ID, input, agent);
    store.suppressed.set('ana@example.org', 'bounce: Permanent/General');
    const [ack] = owed(store);
    // Act
    const suppressed = await effects.deliverEmail(ack!);
    const older = { ...ack!, key: 'a', template: 'status-update', eventId: '01A', state: 'OWED' as const };
    const newer = { ...ack!, key: 'b', template: 'status-update', eventId: '01B', state: 'OWED' as const };
    store.emails.set('a', older);
    const overtaken = await effects.deliverEmail(older, [newer]);
    // Assess
    expect([suppressed, overtaken]).toEqual(['SUPPRESSED', 'SUPPRESSED']);
    expect(store.emails.get(ack!.key)!.error).toMatch(/suppressed \(bounce/);
    expect(store.emails.get('a')!.error).toMatch(/covers it/);
    expect(mailer.sent).toEqual([]);
  });
});

describe('sendWarningDigests', () => {
  const DAY = 86_400_000;
  // Budget 10 days at every level, warnings at 80 % (day 8), a 10-minute digest span.
  const digestPolicy = testPolicy({
    notifications: { from: 'help@example.com', managers: { L0: ['l0@example.com'], L1: ['l1@example.com'] }, publicBaseUrl: 'https://x.example', warningDigest: 'PT10M' },
  });
  const ids = ['01JD0000000000000000000001', '01JD0000000000000000000002', '01JD0000000000000000000003'];

  function digestSetup() {
    const clock = { now: T0 };
    const store = new FakeCaseStore();
    const mailer = new FakeMailer();
    const cases = caseUseCases({ store, policy: () => digestPolicy, now: () => clock.now });
    const effects = effectUseCases({ store, emails: store, timer: new FakeTimer(), mailer, composer: fakeComposer, policy: () => digestPolicy, now: () => clock.now });
    return { clock, store, mailer, cases, effects };
  }
  /** Create the cases `minutesApart` apart, then let each one's warning fall due (as its timer would). */
  async function warnedCases(minutesApart: number) {
    const w = digestSetup();
    for (const [n, id] of ids.entries()) {
      w.clock.now = new Date(T0.getTime() + n * minutesApart * 60_000);
      await w.cases.createCase(id, input, agent);
    }
    for (const [n, id] of ids.entries()) {
      w.clock.now = new Date(T0.getTime() + 8 * DAY + n * minutesApart * 60_000);
      await w.cases.changeCase(id, (c, ctx) => applyDueTimers(c, ctx), { actor: systemActor, retime: false });
    }
    const warnings = () => owed(w.store).filter((e) => e.template === 'breach-warning');
    return { ...w, warnings };
  }

  it('holds warnings for the digest span, then sends the ones to one manager as one email, once', async () => {
    // Prepare: three warnings to l0@ within 4 minutes
    const { clock, store, mailer, effects, warnings } = await warnedCases(2);
    expect(warnings()).toHaveLength(3);
    // Act: the stream consumer sees each one; the reconciler runs inside the span, then after it, then again
    const held = await Promise.all(warnings().map((e) => effects.deliverEmail(e)));
    const early = await effects.sendWarningDigests(warnings());
    clock.now = new Date(T0.getTime() + 8 * DAY + 10 * 60_000);
    const due = await effects.sendWarningDigests(warnings());
    const again = await effects.sendWarningDigests(warnings());
    // Assess
    expect(held).toEqual(['OWED', 'OWED', 'OWED']);
    expect([early, due, again]).toEqual([0, 1, 0]);
    const digests = mailer.sent.filter((m) => m.tags['template'] === 'breach-warning-digest');
    expect(mailer.sent).toHaveLength(1); // nothing else was delivered here (not even the acknowledgements)
    expect(digests).toHaveLength(1);
    expect(digests[0]!.to).toBe('l0@example.com');
    expect(digests[0]!.subject).toBe(`digest ${ids.join(' ')}`);
    for (const e of warnings()) expect(store.emails.get(e.key)).toMatchObject({ state: 'SENT', digest: 'sent in one digest of 3 warnings', messageId: 'msg-1' });
  });

  it('sends a warning alone when no other falls in its span, and drops one whose case moved on while it waited', async () => {
    // Prepare: warnings 30 minutes apart (each alone in its span); the second case is resolved before its span closes
    const { clock, store, mailer, cases, effects, warnings } = await warnedCases(30);
    await cases.changeCase(ids[1]!, (c, ctx) => resolve(c, { resolution: 'Fixed meanwhile.' }, ctx), { actor: agent });
    // Act
    clock.now = new Date(T0.getTime() + 8 * DAY + 2 * 30 * 60_000 + 10 * 60_000);
    const sent = await effects.sendWarningDigests(warnings());
    // Assess
    expect(sent).toBe(2);
    const alerts = mailer.sent.filter((m) => m.to === 'l0@example.com');
    expect(alerts.map((m) => m.subject)).toEqual([`breach-warning ${ids[0]}`, `breach-warning ${ids[2]}`]);
    const stale = warnings().find((e) => e.caseId === ids[1])!;
    expect(store.emails.get(stale.key)).toMatchObject({ state: 'SUPPRESSED', error: expect.stringMatching(/moved on \(RESOLVED/) });
  });
});
