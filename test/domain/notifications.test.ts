import { describe, expect, it } from 'vitest';
import type { CaseRecord, TimelineEvent } from '../../functions/domain/model.ts';
import { notificationsFor } from '../../functions/domain/notifications.ts';
import {
  changePriority,
  comment,
  escalate,
  offerCompensation,
  pause,
  recordFeedback,
  reopen,
  resolve,
  resume,
} from '../../functions/domain/operations.ts';
import { applyDueTimers } from '../../functions/domain/sla.ts';
import { at, customerActor, DAY, HOUR, makeCase, manager, MINUTE, newOutbox, testPolicy, world, type World } from '../support/domain-fixtures.ts';

const CUSTOMER = 'ada@example.org';
const up = { kind: 'hierarchical', summary: 'Needs a senior agent.' } as const;

/** (template, recipient, audience) of outbox entries, in order. */
const sent = (entries: CaseRecord['owedEmails']) => entries.map((o) => [o.template, o.to, o.audience]);

/** A long, busy life of a case touching every kind of event; deterministic for a fresh world. */
function busyCase(w: World): CaseRecord {
  let c = makeCase(w, { customer: { email: 'Ada@Example.org' } });
  c = comment(c, { body: 'internal', visibility: 'internal' }, w.ctx(at(10 * MINUTE)));
  c = comment(c, { body: 'public', visibility: 'public' }, w.ctx(at(20 * MINUTE)));
  c = escalate(c, up, w.ctx(at(30 * MINUTE)));
  c = escalate(c, { kind: 'functional', summary: 'Billing issue.', toDepartment: 'billing' }, w.ctx(at(40 * MINUTE)));
  c = offerCompensation(c, { kind: 'refund', amount: 90, currency: 'USD' }, w.ctx(at(50 * MINUTE)));
  c = offerCompensation(c, { kind: 'refund', amount: 900, currency: 'USD' }, w.ctx(at(55 * MINUTE)));
  c = applyDueTimers(c, w.ctx(at(29 * DAY)));
  c = applyDueTimers(c, w.ctx(at(30 * DAY)));
  c = resolve(c, { resolution: 'Refunded.' }, w.ctx(at(30 * DAY + HOUR)));
  c = applyDueTimers(c, w.ctx(at(34 * DAY)));
  c = reopen(c, {}, w.ctx(at(35 * DAY)));
  return c;
}

describe('notificationsFor', () => {
  it('owes the customer an acknowledgement when a case is created', () => {
    // Prepare
    const w = world();

    // Act
    const c = makeCase(w);

    // Assess
    expect(c.owedEmails).toEqual([
      { key: `case-1/ev-0001/acknowledgement/${CUSTOMER}`, template: 'acknowledgement', to: CUSTOMER, audience: 'customer', eventId: 'ev-0001' },
    ]);
  });

  it('owes a status update to the customer and an alert to each manager of the NEW level on escalation', () => {
    // Prepare
    const w = world();
    const c = makeCase(w);

    // Act
    const toL1 = escalate(c, up, w.ctx(at(1 * HOUR)));
    const toL3 = escalate(toL1, { ...up, toLevel: 'L3' }, w.ctx(at(2 * HOUR)));

    // Assess
    expect(sent(newOutbox(c, toL1))).toEqual([
      ['status-update', CUSTOMER, 'customer'],
      ['escalation-alert', 'support-leads@example.com', 'internal'],
    ]);
    expect(sent(newOutbox(toL1, toL3))).toEqual([
      ['status-update', CUSTOMER, 'customer'],
      ['escalation-alert', 'vp-customer@example.com', 'internal'],
    ]);
  });

  it('alerts the managers of the NEW department on a transfer', () => {
    // Prepare
    const w = world();
    const atL1 = escalate(makeCase(w), up, w.ctx(at(1 * HOUR)));

    // Act
    const moved = escalate(atL1, { kind: 'functional', summary: 'Refund.', toDepartment: 'billing' }, w.ctx(at(2 * HOUR)));

    // Assess
    expect(sent(newOutbox(atL1, moved))).toEqual([
      ['status-update', CUSTOMER, 'customer'],
      ['escalation-alert', 'billing-leads@example.com', 'internal'],
    ]);
  });

  it('alerts every policy-wide manager of the level when the department names none', () => {
    // Prepare (test policy: support names no managers; L3 falls back to two policy-wide recipients)
    const w = world(testPolicy());
    const c = makeCase(w);

    // Act
    const top = escalate(c, { ...up, toLevel: 'L3' }, w.ctx(at(1 * HOUR)));

    // Assess
    expect(sent(newOutbox(c, top))).toEqual([
      ['status-update', CUSTOMER, 'customer'],
      ['escalation-alert', 'exec@example.com', 'internal'],
      ['escalation-alert', 'vp@example.com', 'internal'],
    ]);
  });

  it('alerts the managers of the new level on an automatic escalation', () => {
    // Prepare
    const w = world(testPolicy({ warnAt: null }, 'PT1H'));
    const c = makeCase(w);

    // Act
    const after = applyDueTimers(c, w.ctx(at(1 * HOUR)));

    // Assess
    expect(sent(newOutbox(c, after))).toEqual([
      ['status-update', CUSTOMER, 'customer'],
      ['escalation-alert', 'leads@example.com', 'internal'],
    ]);
  });

  it('sends nothing for an internal comment and the comment to the customer for a public one', () => {
    // Prepare
    const w = world();
    const c = makeCase(w);

    // Act
    const internal = comment(c, { body: 'Customer seems upset.', visibility: 'internal' }, w.ctx(at(1 * HOUR)));
    const pub = comment(internal, { body: 'We are on it.', visibility: 'public' }, w.ctx(at(2 * HOUR)));

    // Assess
    expect(newOutbox(c, internal)).toEqual([]);
    expect(sent(newOutbox(internal, pub))).toEqual([['public-comment', CUSTOMER, 'customer']]);
  });

  it('tells the customer the resolution, then follows up with the survey', () => {
    // Prepare
    const w = world();
    const c = makeCase(w);

    // Act
    const resolved = resolve(c, { resolution: 'Replaced.' }, w.ctx(at(1 * HOUR)));
    const followedUp = applyDueTimers(resolved, w.ctx(at(4 * DAY)));

    // Assess
    expect(sent(newOutbox(c, resolved))).toEqual([['resolution', CUSTOMER, 'customer']]);
    expect(sent(newOutbox(resolved, followedUp))).toEqual([['follow-up', CUSTOMER, 'customer']]);
  });

  it('sends no survey to a customer who already answered', () => {
    // Prepare
    const w = world();
    const resolved = resolve(makeCase(w), { resolution: 'Replaced.' }, w.ctx(at(1 * HOUR)));
    const rated = recordFeedback(resolved, { rating: 5 }, w.ctx(at(2 * HOUR), customerActor));

    // Act
    const closed = applyDueTimers(rated, w.ctx(at(4 * DAY)));

    // Assess
    expect(newOutbox(resolved, rated)).toEqual([]);
    expect(closed.status).toBe('CLOSED');
    expect(newOutbox(rated, closed)).toEqual([]);
  });

  it('apologises to the customer and alerts the top level when the close-by deadline passes', () => {
    // Prepare (P4: already at L3 and breached before the deadline)
    const w = world();
    const almost = applyDueTimers(makeCase(w, { priority: 'P4' }), w.ctx(at(29 * DAY)));

    // Act
    const overdue = applyDueTimers(almost, w.ctx(at(30 * DAY)));

    // Assess
    expect(sent(newOutbox(almost, overdue))).toEqual([
      ['overdue-apology', CUSTOMER, 'customer'],
      ['overdue-alert', 'vp-customer@example.com', 'internal'],
    ]);
  });

  it('alerts the managers of L3 (the level the overdue rule moved the case to)', () => {
    // Prepare (20-day budgets: at L1 when the deadline passes)
    const w = world(testPolicy({ warnAt: null }, 'P20D'));
    const atL1 = applyDueTimers(makeCase(w), w.ctx(at(25 * DAY)));

    // Act
    const overdue = applyDueTimers(atL1, w.ctx(at(30 * DAY)));

    // Assess
    expect(atL1.level).toBe('L1');
    expect(sent(newOutbox(atL1, overdue))).toEqual([
      ['overdue-apology', CUSTOMER, 'customer'],
      ['overdue-alert', 'exec@example.com', 'internal'],
      ['overdue-alert', 'vp@example.com', 'internal'],
    ]);
  });

  it("warns the level's managers before a breach and alerts them at the breach", () => {
    // Prepare (at L3 in support from the start)
    const w = world();
    const top = escalate(makeCase(w), { ...up, toLevel: 'L3' }, w.ctx(at(0)));

    // Act
    const warned = applyDueTimers(top, w.ctx(at(3 * DAY * 0.8)));
    const breached = applyDueTimers(warned, w.ctx(at(3 * DAY)));

    // Assess
    expect(sent(newOutbox(top, warned))).toEqual([['breach-warning', 'vp-customer@example.com', 'internal']]);
    expect(sent(newOutbox(warned, breached))).toEqual([['breach-alert', 'vp-customer@example.com', 'internal']]);
  });

  it('asks the managers of the level to approve an offer above its authority, and only then', () => {
    // Prepare
    const w = world();
    const atL1 = escalate(makeCase(w), up, w.ctx(at(0)));

    // Act
    const within = offerCompensation(atL1, { kind: 'credit', amount: 100, currency: 'USD' }, w.ctx(at(1 * HOUR)));
    const above = offerCompensation(within, { kind: 'refund', amount: 101, currency: 'USD' }, w.ctx(at(1 * HOUR)));

    // Assess
    expect(newOutbox(atL1, within)).toEqual([]);
    expect(sent(newOutbox(within, above))).toEqual([['approval-request', 'support-leads@example.com', 'internal']]);
  });

  it('tells the customer and alerts the level on a reopening', () => {
    // Prepare
    const w = world();
    const resolved = resolve(escalate(makeCase(w), up, w.ctx(at(0))), { resolution: 'Done.' }, w.ctx(at(1 * HOUR)));

    // Act
    const reopened = reopen(resolved, {}, w.ctx(at(1 * DAY)));

    // Assess
    expect(sent(newOutbox(resolved, reopened))).toEqual([
      ['status-update', CUSTOMER, 'customer'],
      ['escalation-alert', 'support-leads@example.com', 'internal'],
    ]);
  });

  it('owes nothing for pause, resume, a priority change or feedback', () => {
    // Prepare
    const w = world();
    const c = makeCase(w);

    // Act
    const paused = pause(c, {}, w.ctx(at(1 * HOUR)));
    const resumed = resume(paused, {}, w.ctx(at(2 * HOUR)));
    const reprioritised = changePriority(resumed, { priority: 'P2', summary: 'More urgent.' }, w.ctx(at(3 * HOUR)));
    const resolved = resolve(reprioritised, { resolution: 'Done.' }, w.ctx(at(4 * HOUR)));
    const rated = recordFeedback(resolved, { rating: 3 }, w.ctx(at(5 * HOUR), customerActor));

    // Assess
    expect(reprioritised.owedEmails).toEqual(c.owedEmails);
    expect(newOutbox(resolved, rated)).toEqual([]);
  });

  it('returns nothing for an event type it does not know', () => {
    // Prepare
    const w = world();
    const c = makeCase(w);
    const e: TimelineEvent = { id: 'x', at: c.createdAt, actor: manager, type: 'email.sent' };

    // Act
    const owed = notificationsFor(e, c, c, w.policy);

    // Assess
    expect(owed).toEqual([]);
  });
});

describe('outbox keys', () => {
  it('are unique per (case, event, template, recipient) over a whole case life', () => {
    // Prepare
    const w = world();

    // Act
    const c = busyCase(w);

    // Assess
    const keys = c.owedEmails.map((o) => o.key);
    expect(keys.length).toBeGreaterThan(10);
    expect(new Set(keys).size).toBe(keys.length);
    for (const o of c.owedEmails) expect(o.key).toBe(`${c.id}/${o.eventId}/${o.template}/${o.to.toLowerCase()}`);
    expect(c.owedEmails.every((o) => c.newEvents.some((e) => e.id === o.eventId))).toBe(true);
  });

  it('are deterministic: the same history in a fresh world owes exactly the same emails', () => {
    // Prepare
    const first = busyCase(world());

    // Act
    const second = busyCase(world());

    // Assess
    expect(second.owedEmails).toEqual(first.owedEmails);
    expect(second).toEqual(first);
  });

  it('lower-case the recipient address', () => {
    // Prepare
    const w = world();

    // Act
    const c = makeCase(w, { customer: { email: 'Ada@Example.ORG' } });

    // Assess
    expect(c.owedEmails[0]).toMatchObject({ to: 'Ada@Example.ORG', key: 'case-1/ev-0001/acknowledgement/ada@example.org' });
  });
});
