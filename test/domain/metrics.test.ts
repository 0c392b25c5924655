import { describe, expect, it } from 'vitest';
import { computeMetrics, percentile } from '../../functions/domain/metrics.ts';
import type { CaseRecord } from '../../functions/domain/model.ts';
import { comment, escalate, pause, recordFeedback, reopen, resolve } from '../../functions/domain/operations.ts';
import { applyDueTimers } from '../../functions/domain/sla.ts';
import { at, customerActor, DAY, HOUR, iso, makeCase, MINUTE, testPolicy, world } from '../support/domain-fixtures.ts';

describe('percentile (nearest rank)', () => {
  const tens = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];

  it.each([
    [50, 50],
    [90, 90],
    [91, 100],
    [100, 100],
    [1, 10],
    [0, 10],
    [10, 10],
    [11, 20],
  ])('p%d of 10..100 is %d', (p, expected) => {
    // Prepare (the sorted values above)
    // Act
    const value = percentile(tens, p);

    // Assess
    expect(value).toBe(expected);
  });

  it('takes the lower middle value for an even count (no interpolation)', () => {
    // Prepare
    const four = [1, 2, 3, 4];

    // Act
    const median = percentile(four, 50);

    // Assess
    expect(median).toBe(2);
  });

  it('is the only value of a single-value set, and null for an empty set', () => {
    // Prepare
    const one = [42];

    // Act
    const p90 = percentile(one, 90);
    const none = percentile([], 50);

    // Assess
    expect(p90).toBe(42);
    expect(none).toBeNull();
  });
});

describe('computeMetrics', () => {
  /**
   * Seven hand-built cases (default policy, P3 in support unless said: L0 8 h, L1 1 d, L2 2 d, L3 3 d; close-by 30 d;
   * follow-up after 3 d), looked at on day 36:
   * - A (cust-1) manual escalation, resolved after 1 h, followed up and closed, rated 5.
   * - B (cust-1) transferred to billing, resolved / reopened twice, finally resolved after 5 h, followed up, rated 2.
   * - C (cust-2) neglected: three automatic escalations, breached, overdue, still open at L3.
   * - D (cust-3) neglected likewise, then resolved on day 35 (after its close-by deadline); not followed up yet.
   * - E (cust-4) a bug reported an hour ago: open at L0 in engineering.
   * - F (cust-5) resolved after 2 h, followed up and closed, never rated.
   * - G (cust-2) a P1 refund on day 35: L1 in billing, paused.
   */
  function scenario() {
    const w = world();
    const now = at(36 * DAY);
    let a = makeCase(w, { id: 'A', customer: { id: 'cust-1' } });
    a = escalate(a, { kind: 'hierarchical', summary: 'Senior please.' }, w.ctx(at(30 * MINUTE)));
    a = resolve(a, { resolution: 'Fixed.' }, w.ctx(at(1 * HOUR)));
    a = applyDueTimers(a, w.ctx(at(1 * HOUR + 3 * DAY)));
    a = recordFeedback(a, { rating: 5 }, w.ctx(at(4 * DAY), customerActor));

    let b = makeCase(w, { id: 'B', customer: { id: 'cust-1' } });
    b = escalate(b, { kind: 'functional', summary: 'Billing.', toDepartment: 'billing' }, w.ctx(at(1 * HOUR)));
    b = resolve(b, { resolution: 'Try 1.' }, w.ctx(at(3 * HOUR)));
    b = reopen(b, {}, w.ctx(at(4 * HOUR)));
    b = resolve(b, { resolution: 'Try 2.' }, w.ctx(at(4 * HOUR + 30 * MINUTE)));
    b = reopen(b, {}, w.ctx(at(4 * HOUR + 45 * MINUTE)));
    b = resolve(b, { resolution: 'Try 3.' }, w.ctx(at(5 * HOUR)));
    b = applyDueTimers(b, w.ctx(at(5 * HOUR + 3 * DAY)));
    b = recordFeedback(b, { rating: 2 }, w.ctx(at(5 * DAY), customerActor));

    const c = applyDueTimers(makeCase(w, { id: 'C', customer: { id: 'cust-2' } }), w.ctx(at(31 * DAY)));

    let d = applyDueTimers(makeCase(w, { id: 'D', customer: { id: 'cust-3' } }), w.ctx(at(35 * DAY)));
    d = resolve(d, { resolution: 'Late.' }, w.ctx(at(35 * DAY)));

    const e = makeCase(w, { id: 'E', customer: { id: 'cust-4' }, category: 'bug', createdAt: at(36 * DAY - 1 * HOUR) });

    let f = makeCase(w, { id: 'F', customer: { id: 'cust-5' } });
    f = comment(f, { body: 'On it.', visibility: 'public' }, w.ctx(at(1 * HOUR)));
    f = resolve(f, { resolution: 'Done.' }, w.ctx(at(2 * HOUR)));
    f = applyDueTimers(f, w.ctx(at(2 * HOUR + 3 * DAY)));

    let g = makeCase(w, { id: 'G', priority: 'P1', category: 'refund', customer: { id: 'cust-2' }, createdAt: at(35 * DAY) });
    g = pause(g, {}, w.ctx(at(35 * DAY + 1 * HOUR)));

    const all = [a, b, c, d, e, f, g];
    return { now, all, open: all.filter((x) => x.status === 'OPEN' || x.status === 'PAUSED'), byId: { a, b, c, d, e, f, g } };
  }

  it('builds the scenario it claims (guards the figures below)', () => {
    // Prepare
    // Act
    const { byId, open } = scenario();

    // Assess
    expect(Object.values(byId).map((x) => [x.id, x.status, x.level, x.department, x.sla.breached, x.sla.overdue])).toEqual([
      ['A', 'CLOSED', 'L1', 'support', false, false],
      ['B', 'CLOSED', 'L0', 'billing', false, false],
      ['C', 'OPEN', 'L3', 'support', true, true],
      ['D', 'RESOLVED', 'L3', 'support', true, true],
      ['E', 'OPEN', 'L0', 'engineering', false, false],
      ['F', 'CLOSED', 'L0', 'support', false, false],
      ['G', 'PAUSED', 'L1', 'billing', false, false],
    ]);
    expect(open.map((x) => x.id)).toEqual(['C', 'E', 'G']);
    expect(byId.b.reopenCount).toBe(2);
  });

  it('yields exactly the documented figures', () => {
    // Prepare
    const { now, all, open } = scenario();
    const window = { from: iso(0), to: now.toISOString() };

    // Act
    const m = computeMetrics(all, open, window, now);

    // Assess
    expect(m).toEqual({
      window,
      cases: 7,
      breachRate: 2 / 7, // C and D
      resolutionTimeSeconds: {
        median: 2 * 3600, // sorted: A 1 h, F 2 h, B 5 h, D 35 d → nearest rank 2
        p90: 35 * 86_400, // nearest rank 4
        count: 4,
      },
      closedWithinDeadlineRate: 3 / 5, // known: A, B, F, D (resolved) and C (deadline passed); in time: A, B, F
      escalations: { automatic: 6, manual: 1, transfers: 1 }, // C and D three each; A by hand; B to billing
      repeat: { customersWithMultipleCases: 2, customers: 5, reopenedCases: 1, reopenings: 2 },
      csat: { average: 3.5, responses: 2, surveyed: 3, responseRate: 2 / 3 },
      open: {
        total: 3,
        byLevel: { L0: 1, L1: 1, L2: 0, L3: 1 },
        byDepartment: { support: 1, engineering: 1, billing: 1 },
      },
    });
  });

  it('counts the close-by rule moving a case to the top as an automatic escalation', () => {
    // Prepare (20-day budgets: L0 → L1 at day 20, then the close-by rule moves L1 → L3 at day 30)
    const w = world(testPolicy({ warnAt: null }, 'P20D'));
    const c = applyDueTimers(makeCase(w), w.ctx(at(31 * DAY)));

    // Act
    const m = computeMetrics([c], [c], { from: iso(0), to: iso(31 * DAY) }, at(31 * DAY));

    // Assess
    expect(m.escalations).toEqual({ automatic: 2, manual: 0, transfers: 0 });
    expect(m.closedWithinDeadlineRate).toBe(0);
    expect(m.breachRate).toBe(0);
  });

  it('leaves an open case whose deadline has not passed out of the closed-within-deadline rate', () => {
    // Prepare
    const w = world();
    const c = makeCase(w);

    // Act
    const before = computeMetrics([c], [c], { from: iso(0), to: iso(DAY) }, at(30 * DAY - 1));
    const after = computeMetrics([c], [c], { from: iso(0), to: iso(DAY) }, at(30 * DAY));

    // Assess
    expect(before.closedWithinDeadlineRate).toBeNull();
    expect(after.closedWithinDeadlineRate).toBe(0);
  });

  it('answers null, not NaN, for ratios and averages of nothing', () => {
    // Prepare
    const window = { from: iso(0), to: iso(DAY) };

    // Act
    const m = computeMetrics([], [], window, at(DAY));

    // Assess
    expect(m).toEqual({
      window,
      cases: 0,
      breachRate: null,
      resolutionTimeSeconds: { median: null, p90: null, count: 0 },
      closedWithinDeadlineRate: null,
      escalations: { automatic: 0, manual: 0, transfers: 0 },
      repeat: { customersWithMultipleCases: 0, customers: 0, reopenedCases: 0, reopenings: 0 },
      csat: { average: null, responses: 0, surveyed: 0, responseRate: null },
      open: { total: 0, byLevel: { L0: 0, L1: 0, L2: 0, L3: 0 }, byDepartment: {} },
    });
  });

  it('does not mutate the cases it reads', () => {
    // Prepare
    const { now, all, open } = scenario();
    const snapshot = structuredClone(all) as CaseRecord[];

    // Act
    computeMetrics(all, open, { from: iso(0), to: now.toISOString() }, now);

    // Assess
    expect(all).toEqual(snapshot);
  });
});
