// The SLA explanation: each deadline with the policy version, calendar, counted windows, pauses and escalations,
// in figures that add up and words an agent can check against a wall clock.
import { describe, expect, it } from 'vitest';
import { explainSla, formatDuration } from '../../functions/domain/explain.ts';
import { pause, resume } from '../../functions/domain/operations.ts';
import { applyDueTimers } from '../../functions/domain/sla.ts';
import { HOUR, makeCase, MINUTE, testPolicy, world } from '../support/domain-fixtures.ts';

const w5 = (x: string[]) => ({ mon: x, tue: x, wed: x, thu: x, fri: x, sat: [], sun: [] });
const office = (over: Record<string, unknown> = {}) =>
  testPolicy({ calendars: { 'berlin-office': { timeZone: 'Europe/Berlin', week: w5(['09:00-17:00']), holidays: ['2026-12-24'] } }, calendar: 'berlin-office', ...over }, 'PT4H');

describe('explainSla', () => {
  it('accounts for a weekend wait, an automatic escalation and a pause in the current level\'s budget', () => {
    // Prepare: created Friday 18:00 Berlin, escalated Monday 13:00, paused 14:00–14:30
    const policy = office();
    const w = world(policy);
    let c = makeCase(w, { createdAt: new Date('2026-03-06T17:00:00Z') });
    c = applyDueTimers(c, w.ctx(new Date('2026-03-09T12:00:00Z')));
    c = resume(pause(c, {}, w.ctx(new Date('2026-03-09T13:00:00Z'))), {}, w.ctx(new Date('2026-03-09T13:30:00Z')));

    // Act: at 15:00 Berlin
    const x = explainSla(c, c.newEvents, policy, new Date('2026-03-09T14:00:00Z'));

    // Assess
    expect(x.policy).toMatchObject({ pinned: true, upToDate: true, version: c.sla.policyVersion });
    expect(x.clock).toMatchObject({ calendar: 'berlin-office', timeZone: 'Europe/Berlin', week: 'Mon–Fri 09:00–17:00', holidays: ['2026-12-24'] });
    const level = x.deadlines.find((d) => d.kind === 'level')!;
    expect(level.at).toBe('2026-03-10T08:30:00.000Z');
    expect(level.budget).toMatchObject({ iso: 'PT4H', ms: 4 * HOUR, usedMs: 90 * MINUTE, leftMs: 150 * MINUTE, overrunMs: 0 });
    // the counted windows are the budget, with the pause cut out
    expect(level.windows!.map((s) => s.local)).toEqual(['Mon 9 Mar 2026 13:00–14:00 (1 h)', 'Mon 9 Mar 2026 14:30–17:00 (2 h 30 min)', 'Tue 10 Mar 2026 09:00–09:30 (30 min)']);
    expect(level.windows!.reduce((s, w) => s + w.ms, 0)).toBe(4 * HOUR);
    expect(level.explanation).toContain('It started Mon 9 Mar 2026 13:00 Europe/Berlin, when the previous level\'s budget ran out and the case escalated to L1.');
    expect(level.explanation).toContain('30 min of working time, which moved the deadline later by as much');
    expect(level.explanation).toContain('1 h 30 min used, 2 h 30 min left.');
    expect(x.escalations).toEqual([expect.objectContaining({ type: 'escalated', automatic: true, from: 'L0', to: 'L1', at: '2026-03-09T12:00:00.000Z' })]);
    expect(x.deadlines.find((d) => d.kind === 'warning')!.at).toBe('2026-03-09T15:42:00.000Z');
    expect(x.deadlines.find((d) => d.kind === 'closeBy')!.explanation).toContain('P30D (30 d) of calendar time after creation');
    expect(x.nextWakeUp).toBe('2026-03-09T15:42:00.000Z');
  });

  it('says when the first level\'s clock started later than the case, and when a case follows an older policy', () => {
    const old = office();
    const c = makeCase(world(old), { createdAt: new Date('2026-03-06T17:00:00Z') });
    const x = explainSla(c, c.newEvents, testPolicy({}, 'PT1H'), new Date('2026-03-07T10:00:00Z'));
    expect(x.deadlines[0]!.explanation).toContain('that was outside working hours, so the clock started Mon 9 Mar 2026 09:00 Europe/Berlin');
    expect(x.deadlines[0]!.budget).toMatchObject({ usedMs: 0, leftMs: 4 * HOUR });
    expect(x.policy.upToDate).toBe(false);
    expect(x.policy.explanation).toContain(`stay on ${c.sla.policyVersion} until a manager moves it`);
  });

  it('says that a warning may wait for a digest when the policy has a digest span', () => {
    const notifications = { from: 'help@example.com', publicBaseUrl: 'https://api.example.com', managers: { L0: ['l0@example.com'] } };
    const digest = testPolicy({ notifications: { ...notifications, warningDigest: 'PT5M' } }, 'PT1H');
    const plain = testPolicy({ notifications }, 'PT1H');
    const at = new Date('2026-03-09T10:00:00Z');
    const warningOf = (policy: typeof digest) => {
      const c = makeCase(world(policy), { createdAt: at });
      return explainSla(c, c.newEvents, policy, at).deadlines.find((d) => d.kind === 'warning')!.explanation;
    };
    expect(warningOf(digest)).toContain('Warnings to the same manager falling within 5 min of each other go out together as one digest, when that span closes.');
    expect(warningOf(plain)).not.toContain('digest');
  });

  it('formats durations in words', () => {
    expect([formatDuration(4 * HOUR), formatDuration(90 * MINUTE), formatDuration(12_000), formatDuration(0), formatDuration(27 * HOUR)]).toEqual(['4 h', '1 h 30 min', '12 s', '0 s', '1 d 3 h']);
  });
});
