// The SLA timer on working calendars: a case opened on Friday evening waits for Monday, round-the-clock priorities,
// department calendars, warnings inside the recipients' hours, close-by in calendar or working time, the follow-up,
// pauses (never shortening a budget), and pinned policy versions.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../functions/domain/errors.ts';
import type { CaseRecord } from '../../functions/domain/model.ts';
import { pinTerms } from '../../functions/domain/policy.ts';
import { adoptCurrentPolicy, changePriority, escalate, pause, resolve, resume } from '../../functions/domain/operations.ts';
import { applyDueTimers, caseClock, nextWakeUp, warningAt } from '../../functions/domain/sla.ts';
import { eventTypes, HOUR, makeCase, MINUTE, testPolicy, world } from '../support/domain-fixtures.ts';

const weekdays = (w: string[]) => ({ mon: w, tue: w, wed: w, thu: w, fri: w, sat: [], sun: [] });
const CALENDARS = {
  'berlin-office': { timeZone: 'Europe/Berlin', week: weekdays(['09:00-17:00']), holidays: ['2026-12-24', '2026-12-25', '2026-12-26'] },
  'kolkata-office': { timeZone: 'Asia/Kolkata', week: weekdays(['09:30-18:30']) },
};
/** Every budget 4 hours of working time on the Berlin office's calendar unless `over` says otherwise. */
const officePolicy = (over: Record<string, unknown> = {}) => testPolicy({ calendars: CALENDARS, calendar: 'berlin-office', ...over }, 'PT4H');

const FRIDAY_EVENING = new Date('2026-03-06T17:00:00Z'); // 18:00 in Berlin
const caseAt = (policy = officePolicy(), createdAt = FRIDAY_EVENING, priority: 'P1' | 'P3' = 'P3', category?: string) => {
  const w = world(policy);
  return { w, c: makeCase(w, { createdAt, priority, ...(category ? { category } : {}) }) };
};

describe('a case on a working calendar', () => {
  it('opened on Friday evening waits over the weekend and escalates inside Monday\'s window', () => {
    // Prepare
    const { w, c } = caseAt();
    // Assess: the L0 budget starts Monday 09:00 Berlin (08:00Z) and runs 4 h
    expect(c.sla.levelDueAt).toBe('2026-03-09T12:00:00.000Z');
    expect(c.sla.policyVersion).toMatch(/^test@[0-9a-f]{12}$/);
    // Nothing happens over the weekend
    const sunday = applyDueTimers(c, w.ctx(new Date('2026-03-08T20:00:00Z')));
    expect(eventTypes(sunday)).toEqual(['created']);
    // Act: Monday 13:00 Berlin
    const monday = applyDueTimers(c, w.ctx(new Date('2026-03-09T12:00:00Z')));
    // Assess: escalated at the deadline; L1's 4 h end at 17:00 Berlin
    // Woken only after both fell due, the warning is out of date (issue 12: catch-up never warns about a level the
    // case has left): the escalation alone is applied.
    expect(eventTypes(monday)).toEqual(['created', 'escalated']);
    expect(monday.newEvents[1]!.at).toBe('2026-03-09T12:00:00.000Z');
    expect(monday.level).toBe('L1');
    expect(monday.sla.levelDueAt).toBe('2026-03-09T16:00:00.000Z');
  });

  it('keeps closeBy in calendar days by default, or in working time when the policy says so', () => {
    expect(caseAt().c.sla.closeBy).toBe('2026-04-05T17:00:00.000Z');
    // 24 h of working time = three 8-hour days: Mon, Tue, Wed → Wed 17:00 Berlin
    expect(caseAt(officePolicy({ closeBy: 'P1D', closeByCounts: 'working-time' })).c.sla.closeBy).toBe('2026-03-11T16:00:00.000Z');
  });

  it('holds a round-the-clock priority to wall time, on whatever calendar', () => {
    const { c } = caseAt(officePolicy({ roundTheClock: ['P1'] }), FRIDAY_EVENING, 'P1');
    expect(c.sla.levelDueAt).toBe('2026-03-06T21:00:00.000Z');
  });

  it('times a department on its own calendar, or round the clock when it names null', () => {
    const policy = officePolicy({
      departments: { support: { calendar: null }, billing: { calendar: 'kolkata-office', managers: {} } },
      routing: { defaultDepartment: 'support', categories: { refund: 'billing' } },
    });
    // billing in Kolkata: Friday 17:00Z is 22:30 IST, so Monday 09:30 IST (04:00Z) + 4 h
    expect(caseAt(policy, FRIDAY_EVENING, 'P3', 'refund').c.sla.levelDueAt).toBe('2026-03-09T08:00:00.000Z');
    expect(caseAt(policy).c.sla.levelDueAt).toBe('2026-03-06T21:00:00.000Z');
  });

  it('moves a transferred case onto the new department\'s calendar', () => {
    const policy = officePolicy({ departments: { support: {}, billing: { calendar: 'kolkata-office', managers: {} } } });
    const { w, c } = caseAt(policy, new Date('2026-03-09T10:00:00Z'));
    const moved = escalate(c, { kind: 'functional', toDepartment: 'billing', summary: 'refund' }, w.ctx(new Date('2026-03-09T10:00:00Z')));
    // 15:30 IST + 3 h = 18:30 IST (13:00Z), the end of Kolkata's day; the last hour on Tuesday 09:30–10:30 IST
    expect(moved.sla.levelDueAt).toBe('2026-03-10T05:00:00.000Z');
  });

  it('sends the follow-up after working time too', () => {
    const policy = officePolicy({ followUpAfter: 'PT2H' });
    const { w, c } = caseAt(policy, new Date('2026-03-06T09:00:00Z'));
    const resolved = resolve(c, { resolution: 'done' }, w.ctx(new Date('2026-03-06T15:30:00Z'))); // 16:30 Berlin
    // 30 min on Friday, 1 h 30 on Monday
    expect(nextWakeUp(resolved, policy)).toBe('2026-03-09T09:30:00.000Z');
  });

  it('measures a priority change from when the level started, on the new priority\'s clock', () => {
    const policy = officePolicy({ roundTheClock: ['P1'] });
    const { w, c } = caseAt(policy);
    const p1 = changePriority(c, { priority: 'P1', summary: 'outage' }, w.ctx(new Date('2026-03-06T17:30:00Z')));
    expect(p1.sla.levelDueAt).toBe('2026-03-06T21:00:00.000Z');
  });
});

describe('warnings people can act on', () => {
  it('a warning that falls outside the recipients\' hours waits for their next window', () => {
    // Prepare: P1 held round the clock, budget 4 h; the support managers work Berlin office hours
    const policy = officePolicy({ roundTheClock: ['P1'], budgets: { ...testPolicy().budgets, P1: { L0: 'PT24H', L1: 'PT24H', L2: 'PT24H', L3: 'PT24H' } } });
    const { c } = caseAt(policy, FRIDAY_EVENING, 'P1');
    // The 80 % mark is Saturday 12:12Z; the managers next work Monday 09:00 Berlin — after the deadline (Sat 17:00Z)
    expect(warningAt(c, policy)).toBeUndefined();
    expect(nextWakeUp(c, policy)).toBe('2026-03-07T17:00:00.000Z');
    // Created Friday morning (09:00Z): the 80 % mark is Saturday 04:12Z → still not inside their hours before the deadline
    // Created Thursday 12:00Z: the mark, Friday 07:12Z (08:12 Berlin), waits to 09:00 Berlin (08:00Z)
    const thursday = caseAt(policy, new Date('2026-03-05T12:00:00Z'), 'P1').c;
    expect(warningAt(thursday, policy)).toBe('2026-03-06T08:00:00.000Z');
  });

  it('a case already on the calendar warns inside its own windows', () => {
    const policy = officePolicy();
    const { c } = caseAt(policy);
    expect(warningAt(c, policy)).toBe('2026-03-09T11:12:00.000Z');
  });
});

describe('pausing never shortens a budget', () => {
  it('a pause over the weekend costs no working time', () => {
    const policy = officePolicy();
    const { w, c } = caseAt(policy, new Date('2026-03-06T14:00:00Z')); // Fri 15:00 Berlin: 2 h today, 2 h Monday
    const paused = pause(c, {}, w.ctx(new Date('2026-03-06T15:30:00Z'))); // 16:30 Berlin
    const resumed = resume(paused, {}, w.ctx(new Date('2026-03-07T10:00:00Z'))); // Saturday
    // 30 min of the pause fell in Friday's window: the deadline moves by those 30 min of working time
    expect(c.sla.levelDueAt).toBe('2026-03-09T10:00:00.000Z');
    expect(resumed.sla.levelDueAt).toBe('2026-03-09T10:30:00.000Z');
  });

  it('holds for any calendar, creation time and pause (property)', () => {
    const policy = officePolicy({ budgets: testPolicy({}, 'PT20H').budgets });
    const start = Date.parse('2026-01-01T00:00:00Z');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 360 * 86_400_000 }),
        fc.integer({ min: 0, max: 5 * 86_400_000 }),
        fc.integer({ min: 0, max: 5 * 86_400_000 }),
        (created, pauseAfter, pauseFor) => {
          const { w, c } = caseAt(policy, new Date(start + created));
          const pausedAt = start + created + pauseAfter;
          const resumedAt = pausedAt + pauseFor;
          const resumed = resume(pause(c, {}, w.ctx(new Date(pausedAt))), {}, w.ctx(new Date(resumedAt)));
          const clock = caseClock(c, policy);
          const [due, dueAfter] = [Date.parse(c.sla.levelDueAt), Date.parse(resumed.sla.levelDueAt)];
          expect(dueAfter).toBeGreaterThanOrEqual(due);
          // what was left when the pause began is what is left when it ends
          expect(clock.between(resumedAt, dueAfter)).toBeGreaterThanOrEqual(clock.between(pausedAt, due));
          // and the level's whole budget is still 20 h of working time
          expect(clock.between(Date.parse(resumed.sla.levelStartedAt), dueAfter)).toBe(20 * HOUR);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('pinned policy versions', () => {
  const MONDAY = new Date('2026-03-09T08:00:00Z');
  it('an open case keeps the terms it was created under when the policy changes', () => {
    // Prepare: created under the office policy (4 h working budgets); the new policy has 1-hour round-the-clock budgets
    const old = officePolicy();
    const { c } = caseAt(old, MONDAY);
    const current = testPolicy({}, 'PT1H');
    const w = world(current);
    // Act: the timer wakes under the new policy
    const woke = applyDueTimers(c, w.ctx(new Date('2026-03-09T12:00:00Z')));
    // Assess: still the old deadline, and the next level's budget is the old one too
    expect(nextWakeUp(c, current)).toBe(nextWakeUp(c, old));
    expect(woke.level).toBe('L1');
    expect(woke.sla.levelDueAt).toBe('2026-03-09T16:00:00.000Z');
    expect(woke.sla.policyVersion).toBe(c.sla.policyVersion);
  });

  it('a manager moves a case to the current policy explicitly, on the timeline', () => {
    const { c } = caseAt(officePolicy(), MONDAY);
    const current = testPolicy({}, 'PT1H');
    const w = world(current);
    const moved = adoptCurrentPolicy(c, {}, w.ctx(new Date('2026-03-09T08:30:00Z')));
    expect(moved.sla.levelDueAt).toBe('2026-03-09T09:00:00.000Z');
    expect(moved.sla.policyVersion).not.toBe(c.sla.policyVersion);
    const e = moved.newEvents.at(-1)!;
    expect(e.type).toBe('policy.adopted');
    expect(e.changes?.['sla.policyVersion']).toEqual({ before: c.sla.policyVersion, after: moved.sla.policyVersion });
    const again = adoptCurrentPolicy(moved, {}, w.ctx(new Date('2026-03-09T08:31:00Z')));
    expect(again).toBe(moved); // already on the current policy: nothing to move, nothing recorded
  });

  it('pinned terms carry no empty maps (the case item must stream through DynamoDB Local unchanged)', () => {
    const emptyMaps = (v: unknown, path = 'slaTerms'): string[] =>
      v && typeof v === 'object' && !Array.isArray(v)
        ? Object.keys(v).length === 0
          ? [path]
          : Object.entries(v).flatMap(([k, x]) => emptyMaps(x, `${path}.${k}`))
        : [];
    expect(emptyMaps(pinTerms(testPolicy()))).toEqual([]);
    expect(emptyMaps(pinTerms(officePolicy({ departments: { support: { calendar: null }, billing: {} } })))).toEqual([]);
  });

  it('the same terms give the same version; any change to them a new one', () => {
    const a = caseAt(officePolicy(), MONDAY).c.sla.policyVersion;
    expect(caseAt(officePolicy(), MONDAY).c.sla.policyVersion).toBe(a);
    // recipients are not terms: changing them keeps the version
    expect(caseAt(officePolicy({ notifications: { ...testPolicy().notifications, managers: {} } }), MONDAY).c.sla.policyVersion).toBe(a);
    const holidays = { ...CALENDARS, 'berlin-office': { ...CALENDARS['berlin-office'], holidays: ['2026-12-31'] } };
    expect(caseAt(officePolicy({ calendars: holidays }), MONDAY).c.sla.policyVersion).not.toBe(a);
  });
});

// Keep the typed helper honest: a case record has the pinned terms it was created with.
it('pins the SLA terms on the case record', () => {
  const { c }: { c: CaseRecord } = caseAt();
  expect(c.slaTerms?.calendar).toBe('berlin-office');
  expect(c.slaTerms?.version).toBe(c.sla.policyVersion);
  expect(MINUTE).toBe(60_000);
});
