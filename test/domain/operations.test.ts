import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '../../functions/domain/errors.ts';
import type { CaseRecord } from '../../functions/domain/model.ts';
import {
  approveCompensation,
  authorityLimit,
  changePriority,
  close,
  comment,
  CreateCaseInput,
  escalate,
  newCase,
  offerCompensation,
  pause,
  recordFeedback,
  reopen,
  resolve,
  resume,
  retimeIfNeeded,
} from '../../functions/domain/operations.ts';
import { applyDueTimers, nextWakeUp } from '../../functions/domain/sla.ts';
import {
  agent,
  at,
  customerActor,
  DAY,
  defaultPolicy,
  eventTypes,
  HOUR,
  iso,
  makeCase,
  manager,
  MINUTE,
  newEvents,
  newOutbox,
  testPolicy,
  world,
  type CaseOptions,
  type World,
} from '../support/domain-fixtures.ts';

// Default policy, P3 in support: L0 8 h, L1 1 d, L2 2 d, L3 3 d; close by 30 d; follow up after 3 d.

/** A case in each status, made through the operations themselves. */
function inStatus(w: World, status: CaseRecord['status'], opts: CaseOptions = {}): CaseRecord {
  const open = makeCase(w, opts);
  if (status === 'OPEN') return open;
  if (status === 'PAUSED') return pause(open, {}, w.ctx(at(1 * HOUR)));
  const resolved = resolve(open, { resolution: 'Replaced the device.' }, w.ctx(at(2 * HOUR)));
  if (status === 'RESOLVED') return resolved;
  return close(resolved, {}, w.ctx(at(3 * HOUR), manager));
}

/** The error an action throws (or a failure when it does not). */
function errorOf(act: () => unknown): Error {
  try {
    act();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the action to throw');
}

const up = { kind: 'hierarchical', summary: 'Needs a senior agent.' } as const;

describe('newCase', () => {
  it('opens a routed case with its SLA, a created event, the acknowledgement owed and a pending timer', () => {
    // Prepare
    const w = world();
    const input = CreateCaseInput.parse({
      customer: { id: 'cust-9', email: 'grace@example.org', tier: 'platinum' },
      subject: 'Outage',
      description: 'Nothing works.',
      priority: 'P1',
      category: 'Bug',
    });

    // Act
    const c = newCase('case-9', input, w.ctx(at(0)));

    // Assess
    expect(c).toMatchObject({
      id: 'case-9',
      status: 'OPEN',
      priority: 'P1',
      level: 'L2',
      department: 'engineering',
      category: 'bug',
      createdAt: iso(0),
      updatedAt: iso(0),
      version: 1,
      reopenCount: 0,
      compensations: [],
      timer: { version: 1, pending: true },
    });
    expect(c.sla.levelDueAt).toBe(iso(2 * HOUR)); // engineering P1 L2
    expect(c.newEvents).toEqual([
      {
        id: 'ev-0001',
        at: iso(0),
        actor: agent,
        type: 'created',
        summary: 'Opened at L2 in engineering (P1 for a platinum customer starts with a specialist → L2; category bug → engineering).',
        data: { level: 'L2', department: 'engineering', priority: 'P1' },
      },
    ]);
    expect(c.owedEmails.map((o) => [o.template, o.to])).toEqual([['acknowledgement', 'grace@example.org']]);
  });

  it('applies the input defaults (P3, standard tier) and records the idempotency key on the event', () => {
    // Prepare
    const w = world();
    const input = CreateCaseInput.parse({ customer: { id: 'c', email: 'c@example.org' }, subject: 's', description: 'd' });

    // Act
    const c = newCase('case-1', input, w.ctx(at(0), agent, 'idem-1'));

    // Assess
    expect(c.priority).toBe('P3');
    expect(c.customer.tier).toBe('standard');
    expect(c.category).toBeUndefined();
    expect(c.newEvents[0]).toMatchObject({ summary: 'Opened at L0 in support.', idempotencyKey: 'idem-1' });
  });
});

describe('escalate (hierarchical)', () => {
  it('moves an OPEN case up one level with a fresh budget from now and the summary on the event', () => {
    // Prepare
    const w = world();
    const c = makeCase(w);

    // Act
    const after = escalate(c, up, w.ctx(at(2 * HOUR)));

    // Assess
    expect(after.level).toBe('L1');
    expect(after.sla).toMatchObject({ levelStartedAt: iso(2 * HOUR), levelDueAt: iso(2 * HOUR + 1 * DAY), warned: false });
    expect(after.sla.closeBy).toBe(c.sla.closeBy);
    expect(newEvents(c, after)).toEqual([
      expect.objectContaining({
        type: 'escalated',
        summary: 'Needs a senior agent.',
        actor: agent,
        at: iso(2 * HOUR),
        data: { kind: 'hierarchical', automatic: false },
        changes: { level: { before: 'L0', after: 'L1' }, 'sla.levelDueAt': { before: iso(8 * HOUR), after: iso(2 * HOUR + DAY) } },
      }),
    ]);
  });

  it('jumps to a named higher level', () => {
    // Prepare
    const w = world();
    const c = makeCase(w);

    // Act
    const after = escalate(c, { ...up, toLevel: 'L3' }, w.ctx(at(1 * HOUR)));

    // Assess
    expect(after.level).toBe('L3');
    expect(after.sla.levelDueAt).toBe(iso(1 * HOUR + 3 * DAY));
  });

  it('is allowed while PAUSED; the new level gets its whole budget from when the clock restarts', () => {
    // Prepare
    const w = world();
    const paused = pause(makeCase(w), {}, w.ctx(at(2 * HOUR)));

    // Act
    const escalated = escalate(paused, up, w.ctx(at(3 * HOUR)));
    const resumed = resume(escalated, {}, w.ctx(at(5 * HOUR)));

    // Assess
    expect(escalated.status).toBe('PAUSED');
    expect(escalated.level).toBe('L1');
    expect(resumed.sla).toMatchObject({ levelStartedAt: iso(5 * HOUR), levelDueAt: iso(5 * HOUR + 1 * DAY) });
  });

  it.each(['RESOLVED', 'CLOSED'] as const)('refuses a %s case (ConflictError)', (status) => {
    // Prepare
    const w = world();
    const c = inStatus(w, status);

    // Act
    const error = errorOf(() => escalate(c, up, w.ctx(at(4 * HOUR))));

    // Assess
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toContain(`cannot escalate a case that is ${status}`);
  });

  it.each([
    ['to the same level', 'L1'],
    ['down', 'L0'],
  ] as const)('refuses to escalate %s (ConflictError)', (_label, toLevel) => {
    // Prepare
    const w = world();
    const atL1 = escalate(makeCase(w), up, w.ctx(at(1 * HOUR)));

    // Act
    const error = errorOf(() => escalate(atL1, { ...up, toLevel }, w.ctx(at(2 * HOUR))));

    // Assess
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toContain('escalation goes up only');
  });

  it('refuses a case already at L3, with or without a target level', () => {
    // Prepare
    const w = world();
    const top = escalate(makeCase(w), { ...up, toLevel: 'L3' }, w.ctx(at(1 * HOUR)));

    // Act
    const implicit = errorOf(() => escalate(top, up, w.ctx(at(2 * HOUR))));
    const explicit = errorOf(() => escalate(top, { ...up, toLevel: 'L3' }, w.ctx(at(2 * HOUR))));

    // Assess
    expect(implicit).toBeInstanceOf(ConflictError);
    expect(implicit.message).toContain('already at the top level L3');
    expect(explicit).toBeInstanceOf(ConflictError);
  });
});

describe('escalate (functional: transfer)', () => {
  it("moves the case to another department with that department's budget from now", () => {
    // Prepare
    const w = world();
    const c = makeCase(w);

    // Act
    const after = escalate(c, { kind: 'functional', summary: 'It is a bug.', toDepartment: 'engineering' }, w.ctx(at(1 * HOUR)));

    // Assess
    expect(after.department).toBe('engineering');
    expect(after.level).toBe('L0');
    expect(after.sla).toMatchObject({ levelStartedAt: iso(1 * HOUR), levelDueAt: iso(1 * HOUR + 1 * DAY) }); // engineering P3 L0: 1 d
    expect(newEvents(c, after)).toEqual([
      expect.objectContaining({
        type: 'transferred',
        summary: 'It is a bug.',
        data: { kind: 'functional' },
        changes: { department: { before: 'support', after: 'engineering' }, 'sla.levelDueAt': { before: iso(8 * HOUR), after: iso(1 * HOUR + DAY) } },
      }),
    ]);
  });

  it('refuses a transfer to the department the case is already in (ConflictError)', () => {
    // Prepare
    const w = world();
    const c = makeCase(w);

    // Act
    const error = errorOf(() => escalate(c, { kind: 'functional', summary: 'x', toDepartment: 'support' }, w.ctx(at(1 * HOUR))));

    // Assess
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toContain('already in support');
  });

  it('refuses an unknown department with a ValidationError naming toDepartment', () => {
    // Prepare
    const w = world();
    const c = makeCase(w);

    // Act
    const error = errorOf(() => escalate(c, { kind: 'functional', summary: 'x', toDepartment: 'legal' }, w.ctx(at(1 * HOUR))));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors).toEqual([
      { path: 'toDepartment', message: 'unknown department "legal"; known: support, billing, engineering' },
    ]);
  });

  it('refuses a CLOSED case (ConflictError)', () => {
    // Prepare
    const w = world();
    const c = inStatus(w, 'CLOSED');

    // Act
    const error = errorOf(() => escalate(c, { kind: 'functional', summary: 'x', toDepartment: 'billing' }, w.ctx(at(4 * HOUR))));

    // Assess
    expect(error).toBeInstanceOf(ConflictError);
  });
});

describe('changePriority', () => {
  it('moves levelDueAt to the new budget measured from the same levelStartedAt', () => {
    // Prepare
    const w = world();
    const atL1 = escalate(makeCase(w), up, w.ctx(at(1 * HOUR))); // L1 P3: 1 d from 1 h

    // Act
    const after = changePriority(atL1, { priority: 'P1', summary: 'Customer is down.' }, w.ctx(at(2 * HOUR)));

    // Assess
    expect(after.priority).toBe('P1');
    expect(after.sla).toMatchObject({ levelStartedAt: iso(1 * HOUR), levelDueAt: iso(1 * HOUR + 2 * HOUR) }); // L1 P1: 2 h
    expect(after.level).toBe('L1');
    expect(newEvents(atL1, after)).toEqual([
      expect.objectContaining({
        type: 'priority.changed',
        summary: 'Customer is down.',
        changes: { priority: { before: 'P3', after: 'P1' }, 'sla.levelDueAt': { before: iso(1 * HOUR + DAY), after: iso(3 * HOUR) } },
      }),
    ]);
  });

  it('keeps the pre-breach warning state of the level', () => {
    // Prepare
    const w = world();
    const warned = applyDueTimers(makeCase(w), w.ctx(at(7 * HOUR)));

    // Act
    const after = changePriority(warned, { priority: 'P4', summary: 'Less urgent.' }, w.ctx(at(7 * HOUR)));

    // Assess
    expect(warned.sla.warned).toBe(true);
    expect(after.sla.warned).toBe(true);
    expect(after.sla.levelDueAt).toBe(iso(1 * DAY)); // P4 L0: 1 d from creation
  });

  it('while PAUSED counts the time the level used before the pause', () => {
    // Prepare (P3 L0 8 h from 0; paused at 2 h, so 2 h of the level's budget are used)
    const w = world();
    const paused = pause(makeCase(w), {}, w.ctx(at(2 * HOUR)));

    // Act
    const changed = changePriority(paused, { priority: 'P2', summary: 'More urgent.' }, w.ctx(at(3 * HOUR))); // P2 L0: 4 h
    const resumed = resume(changed, {}, w.ctx(at(5 * HOUR)));

    // Assess
    expect(changed.sla).toMatchObject({ levelStartedAt: iso(0), levelDueAt: iso(4 * HOUR), pausedAt: iso(2 * HOUR) });
    expect(resumed.sla.levelDueAt).toBe(iso(5 * HOUR + 2 * HOUR)); // 4 h budget − 2 h used = 2 h left
  });

  it('refuses the same priority and a resolved case (ConflictError)', () => {
    // Prepare
    const w = world();
    const open = makeCase(w);
    const resolved = inStatus(world(), 'RESOLVED');

    // Act
    const same = errorOf(() => changePriority(open, { priority: 'P3', summary: 'x' }, w.ctx(at(1 * HOUR))));
    const done = errorOf(() => changePriority(resolved, { priority: 'P1', summary: 'x' }, w.ctx(at(3 * HOUR))));

    // Assess
    expect(same).toBeInstanceOf(ConflictError);
    expect(done).toBeInstanceOf(ConflictError);
  });
});

describe('comment', () => {
  it.each(['OPEN', 'PAUSED', 'RESOLVED'] as const)('records a comment on a %s case without touching the SLA', (status) => {
    // Prepare
    const w = world();
    const c = inStatus(w, status);

    // Act
    const after = comment(c, { body: 'Called the customer.', visibility: 'internal' }, w.ctx(at(4 * HOUR)));

    // Assess
    expect(after.sla).toBe(c.sla);
    expect(after.status).toBe(status);
    expect(newEvents(c, after)).toEqual([
      expect.objectContaining({ type: 'commented', summary: 'Called the customer.', data: { visibility: 'internal' } }),
    ]);
  });

  it('refuses a CLOSED case (ConflictError)', () => {
    // Prepare
    const w = world();
    const c = inStatus(w, 'CLOSED');

    // Act
    const error = errorOf(() => comment(c, { body: 'x', visibility: 'public' }, w.ctx(at(4 * HOUR))));

    // Assess
    expect(error).toBeInstanceOf(ConflictError);
  });
});

describe('pause and resume', () => {
  it('pause stops the clock of an OPEN case', () => {
    // Prepare
    const w = world();
    const c = makeCase(w);

    // Act
    const paused = pause(c, { reason: 'Waiting for photos.' }, w.ctx(at(2 * HOUR)));

    // Assess
    expect(paused.status).toBe('PAUSED');
    expect(paused.sla).toMatchObject({ pausedAt: iso(2 * HOUR), levelDueAt: iso(8 * HOUR) });
    expect(newEvents(c, paused)).toEqual([
      expect.objectContaining({ type: 'paused', summary: 'Waiting for photos.', changes: { status: { before: 'OPEN', after: 'PAUSED' } } }),
    ]);
  });

  it.each(['PAUSED', 'RESOLVED', 'CLOSED'] as const)('pause refuses a %s case (ConflictError)', (status) => {
    // Prepare
    const w = world();
    const c = inStatus(w, status);

    // Act
    const error = errorOf(() => pause(c, {}, w.ctx(at(4 * HOUR))));

    // Assess
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toContain(`cannot pause a case that is ${status}`);
  });

  it.each(['OPEN', 'RESOLVED', 'CLOSED'] as const)('resume refuses a %s case (ConflictError)', (status) => {
    // Prepare
    const w = world();
    const c = inStatus(w, status);

    // Act
    const error = errorOf(() => resume(c, {}, w.ctx(at(4 * HOUR))));

    // Assess
    expect(error).toBeInstanceOf(ConflictError);
  });

  it('resume shifts the level deadline by exactly the paused time and keeps closeBy', () => {
    // Prepare
    const w = world();
    const paused = pause(makeCase(w), {}, w.ctx(at(2 * HOUR)));
    const pausedFor = 3 * HOUR + 17 * MINUTE + 123;

    // Act
    const resumed = resume(paused, {}, w.ctx(at(2 * HOUR + pausedFor)));

    // Assess
    expect(resumed.status).toBe('OPEN');
    expect(resumed.sla.pausedAt).toBeUndefined();
    expect('pausedAt' in resumed.sla).toBe(false);
    expect(resumed.sla).toMatchObject({ levelStartedAt: iso(pausedFor), levelDueAt: iso(8 * HOUR + pausedFor), closeBy: iso(30 * DAY) });
    expect(newEvents(paused, resumed)[0]!.changes).toEqual({
      status: { before: 'PAUSED', after: 'OPEN' },
      'sla.levelDueAt': { before: iso(8 * HOUR), after: iso(8 * HOUR + pausedFor) },
    });
  });
});

describe('resolve, reopen, close', () => {
  it.each(['OPEN', 'PAUSED'] as const)('resolves a %s case', (status) => {
    // Prepare
    const w = world();
    const c = inStatus(w, status);

    // Act
    const after = resolve(c, { resolution: 'Refunded.' }, w.ctx(at(5 * HOUR)));

    // Assess
    expect(after).toMatchObject({ status: 'RESOLVED', resolution: 'Refunded.', resolvedAt: iso(5 * HOUR) });
    expect(after.sla.pausedAt).toBeUndefined();
    expect(eventTypes(after).at(-1)).toBe('resolved');
  });

  it.each(['RESOLVED', 'CLOSED'] as const)('resolve refuses a %s case (ConflictError)', (status) => {
    // Prepare
    const w = world();
    const c = inStatus(w, status);

    // Act
    const error = errorOf(() => resolve(c, { resolution: 'again' }, w.ctx(at(4 * HOUR))));

    // Assess
    expect(error).toBeInstanceOf(ConflictError);
  });

  it('reopen returns a resolved case to the level it had, with a fresh budget, and counts it', () => {
    // Prepare
    const w = world();
    const atL2 = escalate(makeCase(w), { ...up, toLevel: 'L2' }, w.ctx(at(1 * HOUR)));
    const resolved = resolve(atL2, { resolution: 'Fixed.' }, w.ctx(at(2 * HOUR)));

    // Act
    const reopened = reopen(resolved, { reason: 'It broke again.' }, w.ctx(at(1 * DAY)));

    // Assess
    expect(reopened).toMatchObject({ status: 'OPEN', level: 'L2', reopenCount: 1 });
    expect(reopened.resolution).toBeUndefined();
    expect(reopened.resolvedAt).toBeUndefined();
    expect(reopened.sla).toMatchObject({ levelStartedAt: iso(1 * DAY), levelDueAt: iso(1 * DAY + 2 * DAY), warned: false });
    expect(newEvents(resolved, reopened)).toEqual([
      expect.objectContaining({
        type: 'reopened',
        summary: 'It broke again.',
        changes: { status: { before: 'RESOLVED', after: 'OPEN' } },
        data: { reopenCount: 1 },
      }),
    ]);
  });

  it('reopen of a CLOSED case clears closedAt; a second reopening counts 2', () => {
    // Prepare
    const w = world();
    const closed = inStatus(w, 'CLOSED');

    // Act
    const first = reopen(closed, {}, w.ctx(at(1 * DAY)));
    const second = reopen(resolve(first, { resolution: 'Again.' }, w.ctx(at(2 * DAY))), {}, w.ctx(at(3 * DAY)));

    // Assess
    expect(first.closedAt).toBeUndefined();
    expect(first.newEvents.at(-1)!.summary).toBe('Reopened at L0.');
    expect(second.reopenCount).toBe(2);
  });

  it.each(['OPEN', 'PAUSED'] as const)('reopen refuses a %s case (ConflictError)', (status) => {
    // Prepare
    const w = world();
    const c = inStatus(w, status);

    // Act
    const error = errorOf(() => reopen(c, {}, w.ctx(at(4 * HOUR))));

    // Assess
    expect(error).toBeInstanceOf(ConflictError);
  });

  it('close closes a RESOLVED case', () => {
    // Prepare
    const w = world();
    const resolved = inStatus(w, 'RESOLVED');

    // Act
    const closed = close(resolved, {}, w.ctx(at(5 * HOUR), manager));

    // Assess
    expect(closed).toMatchObject({ status: 'CLOSED', closedAt: iso(5 * HOUR) });
    expect(closed.newEvents.at(-1)).toMatchObject({ type: 'closed', actor: manager, summary: 'Closed by a manager.' });
  });

  it.each(['OPEN', 'PAUSED', 'CLOSED'] as const)('close refuses a %s case: only RESOLVED may be closed (ConflictError)', (status) => {
    // Prepare
    const w = world();
    const c = inStatus(w, status);

    // Act
    const error = errorOf(() => close(c, {}, w.ctx(at(4 * HOUR), manager)));

    // Assess
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toContain('allowed when RESOLVED');
  });
});

describe('authorityLimit', () => {
  it.each([
    // level, tier, lifetime value, limit
    ['L0', 'standard', undefined, 25],
    ['L1', 'gold', undefined, 150],
    ['L2', 'platinum', undefined, 1000],
    ['L3', 'platinum', 1_000_000, 10_000], // 5000 × 2, below 20 % of the value
    ['L2', 'platinum', 1_000, 200], // capped by 20 % of the value
    ['L3', 'standard', 10, 25], // 20 % of 10 is 2: never below the L0 authority
    ['L1', 'standard', 100, 25], // 20 % of 100 is 20 → L0 floor 25, below the level's 100
  ] as const)('at %s for a %s customer worth %s is %d', (level, tier, lifetimeValue, limit) => {
    // Prepare
    const w = world();
    const c: CaseRecord = { ...makeCase(w, { customer: { tier, ...(lifetimeValue === undefined ? {} : { lifetimeValue }) } }), level };

    // Act
    const result = authorityLimit(c, w.policy);

    // Assess
    expect(result).toBe(limit);
  });

  it('ignores the lifetime value when the policy sets no share', () => {
    // Prepare
    const w = world(testPolicy());
    const c = makeCase(w, { customer: { tier: 'gold', lifetimeValue: 1 } });

    // Act
    const result = authorityLimit(c, w.policy);

    // Assess
    expect(w.policy.compensation.lifetimeValueShare).toBeNull();
    expect(result).toBe(37.5);
  });
});

describe('compensation', () => {
  it('approves an offer within the level authority at once, by the offering actor', () => {
    // Prepare
    const w = world();
    const c = makeCase(w);

    // Act
    const after = offerCompensation(c, { kind: 'credit', amount: 25, currency: 'USD', note: 'Sorry.' }, w.ctx(at(1 * HOUR)));

    // Assess
    expect(after.compensations).toEqual([
      {
        id: 'ev-0002',
        kind: 'credit',
        amount: 25,
        currency: 'USD',
        note: 'Sorry.',
        status: 'APPROVED',
        offeredBy: agent,
        offeredAt: iso(1 * HOUR),
        authorityLimit: 25,
        approvedBy: agent,
        approvedAt: iso(1 * HOUR),
      },
    ]);
    expect(newEvents(c, after)[0]).toMatchObject({ type: 'compensation.offered', data: { compensationId: 'ev-0002', status: 'APPROVED' } });
  });

  it('holds an offer above the authority for a manager, who approves it', () => {
    // Prepare
    const w = world();
    const c = makeCase(w);
    const offered = offerCompensation(c, { kind: 'refund', amount: 25.01, currency: 'USD' }, w.ctx(at(1 * HOUR)));
    const id = offered.compensations[0]!.id;

    // Act
    const approved = approveCompensation(offered, id, w.ctx(at(2 * HOUR), manager));

    // Assess
    expect(offered.compensations[0]).toMatchObject({ status: 'PENDING_APPROVAL', authorityLimit: 25 });
    expect(offered.compensations[0]!.approvedBy).toBeUndefined();
    expect(approved.compensations[0]).toMatchObject({ status: 'APPROVED', approvedBy: manager, approvedAt: iso(2 * HOUR), offeredBy: agent });
    expect(newEvents(offered, approved)[0]).toMatchObject({
      type: 'compensation.approved',
      changes: { [`compensations.${id}.status`]: { before: 'PENDING_APPROVAL', after: 'APPROVED' } },
    });
  });

  it('refuses to approve twice, or an offer that was approved at once (ConflictError)', () => {
    // Prepare
    const w = world();
    const pending = offerCompensation(makeCase(w), { kind: 'refund', amount: 500, currency: 'USD' }, w.ctx(at(1 * HOUR)));
    const both = offerCompensation(pending, { kind: 'credit', amount: 5, currency: 'USD' }, w.ctx(at(1 * HOUR)));
    const [big, small] = both.compensations.map((o) => o.id);
    const approved = approveCompensation(both, big!, w.ctx(at(2 * HOUR), manager));

    // Act
    const twice = errorOf(() => approveCompensation(approved, big!, w.ctx(at(3 * HOUR), manager)));
    const instant = errorOf(() => approveCompensation(approved, small!, w.ctx(at(3 * HOUR), manager)));

    // Assess
    expect(twice).toBeInstanceOf(ConflictError);
    expect(twice.message).toContain('already APPROVED');
    expect(instant).toBeInstanceOf(ConflictError);
  });

  it('refuses to approve an unknown offer (NotFoundError)', () => {
    // Prepare
    const w = world();
    const c = makeCase(w);

    // Act
    const error = errorOf(() => approveCompensation(c, 'no-such-offer', w.ctx(at(1 * HOUR), manager)));

    // Assess
    expect(error).toBeInstanceOf(NotFoundError);
  });

  it('refuses an offer in another currency than the policy (ValidationError naming currency)', () => {
    // Prepare
    const w = world();
    const c = makeCase(w);

    // Act
    const error = errorOf(() => offerCompensation(c, { kind: 'refund', amount: 10, currency: 'EUR' }, w.ctx(at(1 * HOUR))));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors.map((e) => e.path)).toEqual(['currency']);
  });

  it('refuses an offer on a CLOSED case (ConflictError)', () => {
    // Prepare
    const w = world();
    const c = inStatus(w, 'CLOSED');

    // Act
    const error = errorOf(() => offerCompensation(c, { kind: 'refund', amount: 10, currency: 'USD' }, w.ctx(at(4 * HOUR))));

    // Assess
    expect(error).toBeInstanceOf(ConflictError);
  });

  it('weighs the offer against the current level: the same amount is approved after escalation', () => {
    // Prepare
    const w = world();
    const c = makeCase(w, { customer: { tier: 'gold' } });
    const escalated = escalate(c, up, w.ctx(at(1 * HOUR)));
    const offer = { kind: 'replacement', amount: 120, currency: 'USD' } as const;

    // Act
    const atL0 = offerCompensation(c, offer, w.ctx(at(1 * HOUR)));
    const atL1 = offerCompensation(escalated, offer, w.ctx(at(1 * HOUR)));

    // Assess
    expect(atL0.compensations[0]).toMatchObject({ status: 'PENDING_APPROVAL', authorityLimit: 37.5 });
    expect(atL1.compensations[0]).toMatchObject({ status: 'APPROVED', authorityLimit: 150 });
  });
});

describe('recordFeedback', () => {
  it.each(['RESOLVED', 'CLOSED'] as const)('records the rating of a %s case', (status) => {
    // Prepare
    const w = world();
    const c = inStatus(w, status);

    // Act
    const after = recordFeedback(c, { rating: 4, comment: 'Quick.' }, w.ctx(at(1 * DAY), customerActor));

    // Assess
    expect(after.feedback).toEqual({ rating: 4, comment: 'Quick.', at: iso(1 * DAY) });
    expect(after.newEvents.at(-1)).toMatchObject({ type: 'feedback.received', actor: customerActor, data: { rating: 4, comment: 'Quick.' } });
  });

  it('refuses a second rating (ConflictError)', () => {
    // Prepare
    const w = world();
    const rated = recordFeedback(inStatus(w, 'RESOLVED'), { rating: 5 }, w.ctx(at(1 * DAY), customerActor));

    // Act
    const error = errorOf(() => recordFeedback(rated, { rating: 1 }, w.ctx(at(2 * DAY), customerActor)));

    // Assess
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toContain('already been rated');
  });

  it.each(['OPEN', 'PAUSED'] as const)('refuses a rating on a %s case (ConflictError)', (status) => {
    // Prepare
    const w = world();
    const c = inStatus(w, status);

    // Act
    const error = errorOf(() => recordFeedback(c, { rating: 3 }, w.ctx(at(4 * HOUR), customerActor)));

    // Assess
    expect(error).toBeInstanceOf(ConflictError);
  });
});

describe('retimeIfNeeded', () => {
  it('keeps the timer when the next wake-up does not move (a comment)', () => {
    // Prepare
    const w = world();
    const c = { ...makeCase(w), timer: { version: 3, pending: false } };
    const commented = comment(c, { body: 'Noted.', visibility: 'public' }, w.ctx(at(1 * HOUR)));

    // Act
    const after = retimeIfNeeded(c, commented, w.policy);

    // Assess
    expect(after).toBe(commented);
    expect(after.timer).toEqual({ version: 3, pending: false });
  });

  it('hands the timer to a new version when an escalation moves the next wake-up', () => {
    // Prepare
    const w = world();
    const c = { ...makeCase(w), timer: { version: 3, pending: false } };
    const escalated = escalate(c, up, w.ctx(at(1 * HOUR)));

    // Act
    const after = retimeIfNeeded(c, escalated, w.policy);

    // Assess
    expect(nextWakeUp(escalated, w.policy)).not.toBe(nextWakeUp(c, w.policy));
    expect(after.timer).toEqual({ version: 4, pending: true });
    expect(after.level).toBe('L1');
  });

  it('hands the timer to a new version on resolve (the follow-up replaces the SLA deadlines)', () => {
    // Prepare
    const w = world();
    const c = { ...makeCase(w), timer: { version: 1, pending: false } };
    const resolved = resolve(c, { resolution: 'Done.' }, w.ctx(at(1 * HOUR)));

    // Act
    const after = retimeIfNeeded(c, resolved, w.policy);

    // Assess
    expect(after.timer).toEqual({ version: 2, pending: true });
  });

  it('re-times on pause (the wake-up becomes the close-by deadline)', () => {
    // Prepare
    const w = world();
    const c = { ...makeCase(w), timer: { version: 1, pending: false } };
    const paused = pause(c, {}, w.ctx(at(1 * HOUR)));

    // Act
    const after = retimeIfNeeded(c, paused, w.policy);

    // Assess
    expect(after.timer).toEqual({ version: 2, pending: true });
  });

  it('sets pending false when nothing is left to wait for (a manager closes a resolved case)', () => {
    // Prepare
    const w = world();
    const resolved = { ...inStatus(w, 'RESOLVED'), timer: { version: 2, pending: false } };
    const closed = close(resolved, {}, w.ctx(at(5 * HOUR), manager));

    // Act
    const after = retimeIfNeeded(resolved, closed, w.policy);

    // Assess
    expect(nextWakeUp(closed, w.policy)).toBeNull();
    expect(after.timer).toEqual({ version: 3, pending: false });
  });

  it('restarts the timer when a closed case is reopened', () => {
    // Prepare
    const w = world();
    const closed = { ...inStatus(w, 'CLOSED'), timer: { version: 3, pending: false } };
    const reopened = reopen(closed, {}, w.ctx(at(1 * DAY)));

    // Act
    const after = retimeIfNeeded(closed, reopened, w.policy);

    // Assess
    expect(after.timer).toEqual({ version: 4, pending: true });
  });
});

describe('every change', () => {
  it('appends to the timeline (never rewrites it) and moves updatedAt', () => {
    // Prepare
    const w = world(defaultPolicy());
    const c = makeCase(w);

    // Act
    const a = comment(c, { body: 'one', visibility: 'internal' }, w.ctx(at(1 * HOUR)));
    const b = escalate(a, up, w.ctx(at(2 * HOUR)));

    // Assess
    expect(b.newEvents.slice(0, a.newEvents.length)).toEqual(a.newEvents);
    expect(b.newEvents.map((e) => e.id)).toEqual(['ev-0001', 'ev-0002', 'ev-0003']);
    expect(b.updatedAt).toBe(iso(2 * HOUR));
    expect(b.owedEmails.slice(0, a.owedEmails.length)).toEqual(a.owedEmails);
    expect(newOutbox(a, b).length).toBeGreaterThan(0);
    expect(c.newEvents).toHaveLength(1); // the input is not mutated
  });
});
