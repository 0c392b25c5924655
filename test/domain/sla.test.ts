import { describe, expect, it } from 'vitest';
import { systemActor } from '../../functions/domain/change.ts';
import type { CaseRecord } from '../../functions/domain/model.ts';
import { escalate, pause, resolve, resume } from '../../functions/domain/operations.ts';
import { applyDueTimers, initialSla, nextWakeUp } from '../../functions/domain/sla.ts';
import { at, DAY, defaultPolicy, eventTypes, HOUR, iso, makeCase, MINUTE, newEvents, testPolicy, world } from '../support/domain-fixtures.ts';

// Default policy, P3 in support: L0 8 h, L1 1 d, L2 2 d, L3 3 d; warnings at 80 %; close by 30 days.
const L0_DUE = 8 * HOUR;
const L1_DUE = L0_DUE + 1 * DAY;
const L2_DUE = L1_DUE + 2 * DAY;
const L3_DUE = L2_DUE + 3 * DAY; // 6 d 8 h: the top level's budget runs out → breached
const warnAfter = (budget: number) => Math.floor(budget * 0.8);

/** The events of a case without their (counter) ids, to compare two histories. */
const history = (c: CaseRecord) => c.newEvents.map(({ id: _id, ...e }) => e);

describe('initialSla', () => {
  it('gives the starting level its budget from creation and closes by 30 days after creation', () => {
    // Prepare
    const policy = defaultPolicy();
    const createdAt = iso(0);

    // Act
    const sla = initialSla(createdAt, 'P3', 'L0', 'support', policy);

    // Assess
    expect(sla).toEqual({
      levelStartedAt: createdAt,
      levelDueAt: iso(8 * HOUR),
      closeBy: iso(30 * DAY),
      warned: false,
      breached: false,
      overdue: false,
      policyVersion: expect.stringMatching(/^default@[0-9a-f]{12}$/),
    });
  });

  it("uses the department's own budget", () => {
    // Prepare
    const policy = defaultPolicy();

    // Act
    const sla = initialSla(iso(0), 'P1', 'L0', 'engineering', policy);

    // Assess
    expect(sla.levelDueAt).toBe(iso(30 * MINUTE));
    expect(sla.closeBy).toBe(iso(30 * DAY));
  });

  it('is what newCase stores', () => {
    // Prepare
    const w = world();

    // Act
    const c = makeCase(w, { priority: 'P2' });

    // Assess
    expect(c.sla).toEqual(initialSla(iso(0), 'P2', 'L0', 'support', w.policy));
    expect(c.sla.levelDueAt).toBe(iso(4 * HOUR));
  });
});

describe('nextWakeUp', () => {
  it('is the pre-breach warning first, at the warnAt share of the budget', () => {
    // Prepare
    const w = world();
    const c = makeCase(w);

    // Act
    const wake = nextWakeUp(c, w.policy);

    // Assess
    expect(wake).toBe(iso(warnAfter(L0_DUE))); // 6 h 24 min
  });

  it('is the level deadline once the warning is sent', () => {
    // Prepare
    const w = world();
    const warned = applyDueTimers(makeCase(w), w.ctx(at(7 * HOUR)));

    // Act
    const wake = nextWakeUp(warned, w.policy);

    // Assess
    expect(warned.sla.warned).toBe(true);
    expect(wake).toBe(iso(L0_DUE));
  });

  it('is the level deadline when warnings are off', () => {
    // Prepare
    const w = world(testPolicy({ warnAt: null }));
    const c = makeCase(w);

    // Act
    const wake = nextWakeUp(c, w.policy);

    // Assess
    expect(wake).toBe(iso(10 * DAY));
  });

  it('is the close-by deadline when it comes before the level deadline and its warning', () => {
    // Prepare (every budget 40 days: warning at 32 d, deadline at 40 d, close-by at 30 d)
    const w = world(testPolicy({}, 'P40D'));
    const c = makeCase(w);

    // Act
    const wake = nextWakeUp(c, w.policy);

    // Assess
    expect(wake).toBe(iso(30 * DAY));
  });

  it('is the close-by deadline while paused: level deadlines do not run', () => {
    // Prepare
    const w = world();
    const paused = pause(makeCase(w), {}, w.ctx(at(1 * HOUR)));

    // Act
    const wake = nextWakeUp(paused, w.policy);

    // Assess
    expect(wake).toBe(iso(30 * DAY));
  });

  it('is the follow-up after resolution', () => {
    // Prepare
    const w = world();
    const resolved = resolve(makeCase(w), { resolution: 'Replaced.' }, w.ctx(at(2 * HOUR)));

    // Act
    const wake = nextWakeUp(resolved, w.policy);

    // Assess
    expect(wake).toBe(iso(2 * HOUR + 3 * DAY));
  });

  it('is null when nothing is left to wait for (closed; or breached and overdue)', () => {
    // Prepare
    const w = world();
    const resolved = resolve(makeCase(w), { resolution: 'Replaced.' }, w.ctx(at(2 * HOUR)));
    const closed = applyDueTimers(resolved, w.ctx(at(4 * DAY)));
    const neglected = applyDueTimers(makeCase(w, { id: 'case-2' }), w.ctx(at(31 * DAY)));

    // Act
    const afterClose = nextWakeUp(closed, w.policy);
    const afterEverything = nextWakeUp(neglected, w.policy);

    // Assess
    expect(closed.status).toBe('CLOSED');
    expect(afterClose).toBeNull();
    expect(neglected.sla).toMatchObject({ breached: true, overdue: true });
    expect(afterEverything).toBeNull();
  });
});

describe('applyDueTimers', () => {
  it('returns the SAME object when nothing is due (the workflow skips the write on identity)', () => {
    // Prepare
    const w = world();
    const c = makeCase(w);

    // Act
    const just = applyDueTimers(c, w.ctx(at(warnAfter(L0_DUE) - 1)));
    const atCreation = applyDueTimers(c, w.ctx(at(0)));

    // Assess
    expect(just).toBe(c);
    expect(atCreation).toBe(c);
  });

  it('moves a case whose L0 budget ran out to L1, the next budget starting at the previous due time', () => {
    // Prepare (the timer wakes 90 minutes late)
    const w = world(testPolicy({ warnAt: null }, 'PT8H'));
    const c = makeCase(w);

    // Act
    const after = applyDueTimers(c, w.ctx(at(8 * HOUR + 90 * MINUTE)));

    // Assess
    expect(after.level).toBe('L1');
    expect(after.sla).toMatchObject({ levelStartedAt: iso(8 * HOUR), levelDueAt: iso(16 * HOUR), warned: false, breached: false });
    const events = newEvents(c, after);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'escalated',
      at: iso(8 * HOUR),
      actor: systemActor,
      data: { kind: 'hierarchical', automatic: true, reason: 'sla' },
      changes: { level: { before: 'L0', after: 'L1' }, 'sla.levelDueAt': { before: iso(8 * HOUR), after: iso(16 * HOUR) } },
    });
    expect(after.updatedAt).toBe(iso(8 * HOUR));
  });

  it('fires exactly at the due instant, not a millisecond before', () => {
    // Prepare
    const w = world(testPolicy({ warnAt: null }, 'PT8H'));
    const c = makeCase(w);

    // Act
    const early = applyDueTimers(c, w.ctx(at(8 * HOUR - 1)));
    const onTime = applyDueTimers(c, w.ctx(at(8 * HOUR)));

    // Assess
    expect(early).toBe(c);
    expect(onTime.level).toBe('L1');
  });

  it('after a long downtime escalates level by level to L3, then flags the breach, each event once at its due time', () => {
    // Prepare
    const w = world();
    const c = makeCase(w);

    // Act
    const after = applyDueTimers(c, w.ctx(at(10 * DAY)));

    // Assess: no pre-breach warning for a level the case has already left (they would be out of date when sent)
    expect(after.level).toBe('L3');
    expect(after.sla).toMatchObject({ breached: true, overdue: false, levelStartedAt: iso(L2_DUE), levelDueAt: iso(L3_DUE) });
    expect(newEvents(c, after).map((e) => [e.type, e.at, e.data?.['level'] ?? e.changes?.['level']?.after])).toEqual([
      ['escalated', iso(L0_DUE), 'L1'],
      ['escalated', iso(L1_DUE), 'L2'],
      ['escalated', iso(L2_DUE), 'L3'],
      ['sla.breached', iso(L3_DUE), undefined],
    ]);
    expect(newEvents(c, after).every((e) => e.actor.kind === 'system')).toBe(true);
    expect(after.status).toBe('OPEN');
  });

  it('is idempotent: applying again at the same instant changes nothing', () => {
    // Prepare
    const w = world();
    const once = applyDueTimers(makeCase(w), w.ctx(at(10 * DAY)));

    // Act
    const twice = applyDueTimers(once, w.ctx(at(10 * DAY)));

    // Assess
    expect(twice).toBe(once);
  });

  it('reaches the same state whether the timer woke on time at every deadline or once, late; late events say so', () => {
    // Prepare
    const onTime = world();
    const late = world();
    let stepwise = makeCase(onTime);
    for (const t of [warnAfter(L0_DUE), L0_DUE, L0_DUE + warnAfter(DAY), L1_DUE, L2_DUE, L3_DUE, 10 * DAY]) {
      stepwise = applyDueTimers(stepwise, onTime.ctx(at(t)));
    }

    // Act
    const atOnce = applyDueTimers(makeCase(late), late.ctx(at(10 * DAY)));

    // Assess: the same level, deadlines and moves at the same instants; the out-of-date warnings left out
    expect(atOnce.sla).toEqual(stepwise.sla);
    expect(atOnce.level).toBe(stepwise.level);
    const moves = (c: CaseRecord) => history(c).filter((e) => e.type !== 'sla.warning').map((e) => [e.type, e.at, e.changes]);
    expect(moves(atOnce)).toEqual(moves(stepwise));
    expect(history(atOnce).filter((e) => e.type === 'sla.warning')).toEqual([]);
    // Each event applied on catch-up keeps its due time and says when it was applied.
    const catchUp = atOnce.newEvents.slice(1);
    for (const e of catchUp) {
      expect(e.data).toMatchObject({ late: true, dueAt: e.at, appliedAt: iso(10 * DAY) });
      expect(e.summary).toContain(`(due at ${e.at}, applied late at ${iso(10 * DAY)})`);
    }
    expect(stepwise.newEvents.some((e) => e.data?.['late'])).toBe(false);
  });

  it('a wake-up within a minute of the deadline is on time; a later one still warns while the warning is true', () => {
    // Prepare
    const w = world();
    const c = makeCase(w);

    // Act
    const prompt = applyDueTimers(c, w.ctx(at(warnAfter(L0_DUE) + 59_000)));
    const late = applyDueTimers(c, w.ctx(at(warnAfter(L0_DUE) + HOUR)));

    // Assess
    expect(newEvents(c, prompt).map((e) => [e.type, e.data?.['late']])).toEqual([['sla.warning', undefined]]);
    expect(newEvents(c, late).map((e) => [e.type, e.data?.['late'], e.data?.['appliedAt']])).toEqual([['sla.warning', true, iso(warnAfter(L0_DUE) + HOUR)]]);
  });

  it('at the close-by deadline moves an unresolved case to L3 and flags it overdue', () => {
    // Prepare (every budget 20 days: L0 ends at 20 d, L1 would end at 40 d)
    const w = world(testPolicy({}, 'P20D'));
    const c = makeCase(w);

    // Act
    const after = applyDueTimers(c, w.ctx(at(30 * DAY)));

    // Assess
    expect(eventTypes(after)).toEqual(['created', 'escalated', 'sla.overdue']);
    expect(after.level).toBe('L3');
    expect(after.sla).toMatchObject({ overdue: true, breached: false, levelStartedAt: iso(30 * DAY), levelDueAt: iso(50 * DAY), warned: false });
    const overdue = after.newEvents.at(-1)!;
    expect(overdue).toMatchObject({
      at: iso(30 * DAY),
      actor: systemActor,
      changes: { 'sla.overdue': { before: false, after: true }, level: { before: 'L1', after: 'L3' } },
      data: { automatic: true },
    });
  });

  it('lets the close-by rule win a tie with a level deadline (one move straight to L3, no extra escalation)', () => {
    // Prepare (10-day budgets: L2 ends exactly at the 30-day close-by deadline)
    const w = world(testPolicy({ warnAt: null }, 'P10D'));
    const c = makeCase(w);

    // Act
    const after = applyDueTimers(c, w.ctx(at(30 * DAY)));

    // Assess
    expect(eventTypes(after)).toEqual(['created', 'escalated', 'escalated', 'sla.overdue']);
    expect(after.newEvents.at(-1)!.changes?.['level']).toEqual({ before: 'L2', after: 'L3' });
    expect(after.sla).toMatchObject({ levelStartedAt: iso(30 * DAY), levelDueAt: iso(40 * DAY), breached: false, overdue: true });
  });

  it('does not fire the 30-day deadline at 29 days 23:59, and fires it at 30 days', () => {
    // Prepare (P4: 1 + 2 + 3 + 5 days, so the case is already breached at L3 well before)
    const w = world();
    const c = makeCase(w, { priority: 'P4' });
    const almost = applyDueTimers(c, w.ctx(at(30 * DAY - 1 * MINUTE)));

    // Act
    const stillAlmost = applyDueTimers(almost, w.ctx(at(30 * DAY - 1)));
    const due = applyDueTimers(almost, w.ctx(at(30 * DAY)));

    // Assess
    expect(almost.sla).toMatchObject({ breached: true, overdue: false });
    expect(almost.level).toBe('L3');
    expect(stillAlmost).toBe(almost);
    expect(newEvents(almost, due).map((e) => [e.type, e.at])).toEqual([['sla.overdue', iso(30 * DAY)]]);
    expect(due.sla.overdue).toBe(true);
    expect(due.level).toBe('L3');
    expect(due.newEvents.at(-1)!.changes).toEqual({ 'sla.overdue': { before: false, after: true } }); // already at the top: no level change
  });

  it('does not run level deadlines while paused, but the close-by deadline still fires (pauses do not extend it)', () => {
    // Prepare
    const w = world(testPolicy({}, 'P10D'));
    const paused = pause(makeCase(w), {}, w.ctx(at(1 * HOUR)));

    // Act
    const longAfterBudget = applyDueTimers(paused, w.ctx(at(29 * DAY)));
    const atCloseBy = applyDueTimers(paused, w.ctx(at(30 * DAY)));

    // Assess
    expect(longAfterBudget).toBe(paused);
    expect(atCloseBy.status).toBe('PAUSED');
    expect(atCloseBy.sla.closeBy).toBe(iso(30 * DAY));
    expect(newEvents(paused, atCloseBy).map((e) => [e.type, e.at])).toEqual([['sla.overdue', iso(30 * DAY)]]);
    expect(atCloseBy.level).toBe('L3');
    expect(atCloseBy.sla.overdue).toBe(true);
  });

  it('keeps the close-by deadline through pause and resume', () => {
    // Prepare
    const w = world();
    const paused = pause(makeCase(w), {}, w.ctx(at(1 * HOUR)));

    // Act
    const resumed = resume(paused, {}, w.ctx(at(5 * DAY)));

    // Assess
    expect(resumed.sla.closeBy).toBe(iso(30 * DAY));
    expect(resumed.sla.levelDueAt).toBe(iso(L0_DUE + 5 * DAY - 1 * HOUR));
  });

  it('gives the top level a fresh budget from the resume when the close-by deadline fired during a pause', () => {
    // Prepare
    const w = world(testPolicy({}, 'P10D'));
    const paused = pause(makeCase(w), {}, w.ctx(at(1 * HOUR)));
    const overdue = applyDueTimers(paused, w.ctx(at(30 * DAY)));

    // Act
    const resumed = resume(overdue, {}, w.ctx(at(31 * DAY)));

    // Assess
    expect(resumed.sla).toMatchObject({ levelStartedAt: iso(31 * DAY), levelDueAt: iso(41 * DAY), overdue: true });
    expect(resumed.sla.pausedAt).toBeUndefined();
    expect(nextWakeUp(resumed, w.policy)).toBe(iso(31 * DAY + 8 * DAY)); // 80 % warning of the L3 budget
  });

  it('follows up a RESOLVED case at resolvedAt + followUpAfter and closes it', () => {
    // Prepare
    const w = world();
    const resolved = resolve(makeCase(w), { resolution: 'Sent a new device.' }, w.ctx(at(2 * HOUR)));
    const dueAt = 2 * HOUR + 3 * DAY;

    // Act
    const before = applyDueTimers(resolved, w.ctx(at(dueAt - 1)));
    const after = applyDueTimers(resolved, w.ctx(at(dueAt + 5 * HOUR)));

    // Assess
    expect(before).toBe(resolved);
    expect(after.status).toBe('CLOSED');
    expect(after.closedAt).toBe(iso(dueAt));
    expect(newEvents(resolved, after).map((e) => [e.type, e.at, e.actor.kind])).toEqual([
      ['followed-up', iso(dueAt), 'system'],
      ['closed', iso(dueAt), 'system'],
    ]);
    expect(applyDueTimers(after, w.ctx(at(40 * DAY)))).toBe(after);
  });

  it('runs no level deadline or close-by rule on a resolved case', () => {
    // Prepare (follow-up far away so only SLA rules could fire)
    const w = world(testPolicy({ followUpAfter: 'P60D' }, 'PT1H'));
    const resolved = resolve(makeCase(w), { resolution: 'Done.' }, w.ctx(at(30 * MINUTE)));

    // Act
    const after = applyDueTimers(resolved, w.ctx(at(45 * DAY)));

    // Assess
    expect(after).toBe(resolved);
  });

  it('sends the pre-breach warning once per level and resets it on escalation', () => {
    // Prepare
    const w = world();
    const c = makeCase(w);

    // Act
    const warned = applyDueTimers(c, w.ctx(at(warnAfter(L0_DUE))));
    const again = applyDueTimers(warned, w.ctx(at(7 * HOUR)));
    const escalated = applyDueTimers(warned, w.ctx(at(L0_DUE)));

    // Assess
    expect(newEvents(c, warned)).toEqual([
      expect.objectContaining({ type: 'sla.warning', at: iso(warnAfter(L0_DUE)), data: { level: 'L0', startedAt: iso(0), dueAt: iso(L0_DUE) } }),
    ]);
    expect(warned.sla.warned).toBe(true);
    expect(again).toBe(warned);
    expect(eventTypes(escalated).filter((t) => t === 'sla.warning')).toHaveLength(1);
    expect(escalated.level).toBe('L1');
    expect(escalated.sla.warned).toBe(false);
    expect(nextWakeUp(escalated, w.policy)).toBe(iso(L0_DUE + warnAfter(DAY)));
  });

  it('resets the warning on a manual escalation too', () => {
    // Prepare
    const w = world();
    const warned = applyDueTimers(makeCase(w), w.ctx(at(7 * HOUR)));

    // Act
    const escalated = escalate(warned, { kind: 'hierarchical', summary: 'Needs a senior agent.' }, w.ctx(at(7 * HOUR + 30 * MINUTE)));

    // Assess
    expect(warned.sla.warned).toBe(true);
    expect(escalated.sla.warned).toBe(false);
    expect(nextWakeUp(escalated, w.policy)).toBe(iso(7 * HOUR + 30 * MINUTE + warnAfter(DAY)));
  });

  it('sends no warnings when warnAt is null', () => {
    // Prepare
    const w = world(testPolicy({ warnAt: null }, 'P1D'));
    const c = makeCase(w);

    // Act
    const after = applyDueTimers(c, w.ctx(at(5 * DAY)));

    // Assess
    expect(eventTypes(after)).toEqual(['created', 'escalated', 'escalated', 'escalated', 'sla.breached']);
  });

  it('stamps timer events with the system actor and the due time even when the caller is someone else', () => {
    // Prepare
    const w = world(testPolicy({ warnAt: null }, 'PT8H'));
    const c = makeCase(w);

    // Act
    const after = applyDueTimers(c, w.ctx(at(9 * HOUR), { kind: 'client', id: 'someone' }));

    // Assess
    expect(after.newEvents.at(-1)).toMatchObject({ actor: systemActor, at: iso(8 * HOUR) });
  });
});

