// What-if replay on a scripted history, checked against a hand computation.
//
// What really happened (policy: every budget 4 h round the clock, warnings off), Monday 2 Mar 2026 onwards, UTC:
//   A  created Mon 09:00, resolved Mon 12:00                       → no escalation
//   B  created Mon 15:00, never touched                             → L1 19:00, L2 23:00, L3 Tue 03:00, breached Tue 07:00
//   C  created Mon 10:00, paused 11:00, resumed Tue 09:00 (3 h left → L0 due Tue 12:00), escalated by hand to L2
//      Tue 10:00                                                    → L2 due Tue 14:00
// The draft: every budget 2 h of working time, Mon–Fri 09:00–17:00 UTC. Replayed up to Tue 11:30:
//   A  L0 due 11:00 → automatic L1 at 11:00; resolved 12:00
//   B  L0 15:00–17:00 → L1 Mon 17:00; L1 Tue 09:00–11:00 → L2 Tue 11:00, due 13:00; not breached
//   C  L0 due 12:00; the pause covers Mon 11:00–17:00 (6 h of working time), so L0 is due Tue 10:00 → automatic L1
//      at Tue 10:00, then the manual escalation to L2 at 10:00 → due 12:00
// Figures:           actual                                simulated
//   breached         1 of 3                                0 of 3
//   automatic        L1 1, L2 1, L3 1                      L1 3, L2 1
//   manual           L2 1                                  L2 1
//   load by level    L0 3, L1 1, L2 2, L3 1                L0 3, L1 3, L2 2
//   open at the end  B at L3, C at L2                      B at L2, C at L2
//   deadlines        B levelDueAt Tue 07:00 → Tue 13:00 (+6 h); C Tue 14:00 → Tue 12:00 (−2 h); closeBy unchanged
import { describe, expect, it } from 'vitest';
import type { CaseRecord } from '../../functions/domain/model.ts';
import { escalate, pause, resolve, resume } from '../../functions/domain/operations.ts';
import { applyDueTimers } from '../../functions/domain/sla.ts';
import { figures, simulate, type History } from '../../functions/domain/simulate.ts';
import { HOUR, makeCase, testPolicy, world } from '../support/domain-fixtures.ts';

const at = (s: string) => new Date(`2026-03-0${s}Z`);
const ASOF = at('3T11:30:00');

function history(): History[] {
  const w = world(testPolicy({ warnAt: null }, 'PT4H'));
  const a0 = makeCase(w, { id: 'A', createdAt: at('2T09:00:00') });
  const a = resolve(applyDueTimers(a0, w.ctx(at('2T12:00:00'))), { resolution: 'Refund issued.' }, w.ctx(at('2T12:00:00')));
  const b = applyDueTimers(makeCase(w, { id: 'B', createdAt: at('2T15:00:00') }), w.ctx(ASOF));
  let c = makeCase(w, { id: 'C', createdAt: at('2T10:00:00') });
  c = pause(c, {}, w.ctx(at('2T11:00:00')));
  c = resume(applyDueTimers(c, w.ctx(at('3T09:00:00'))), {}, w.ctx(at('3T09:00:00')));
  c = escalate(applyDueTimers(c, w.ctx(at('3T10:00:00'))), { kind: 'hierarchical', toLevel: 'L2', summary: 'key account' }, w.ctx(at('3T10:00:00')));
  c = applyDueTimers(c, w.ctx(ASOF));
  return [a, b, c].map((x: CaseRecord) => ({ case: x, events: x.newEvents }));
}

const officeDraft = () =>
  testPolicy(
    {
      name: 'draft',
      warnAt: null,
      calendars: { office: { timeZone: 'UTC', week: { mon: ['09:00-17:00'], tue: ['09:00-17:00'], wed: ['09:00-17:00'], thu: ['09:00-17:00'], fri: ['09:00-17:00'] } } },
      calendar: 'office',
    },
    'PT2H',
  );

describe('simulate', () => {
  it('gives the figures of the hand computation, next to what really happened', () => {
    // Prepare
    const cases = history();
    // Act
    const r = simulate(cases, officeDraft(), ASOF);
    // Assess: what really happened
    expect(r.actual).toMatchObject({
      cases: 3,
      breached: 1,
      breachRate: 1 / 3,
      escalations: { automatic: { L0: 0, L1: 1, L2: 1, L3: 1 }, manual: { L0: 0, L1: 0, L2: 1, L3: 0 }, overdue: 0, transfers: {} },
      load: { byLevel: { L0: 3, L1: 1, L2: 2, L3: 1 }, byDepartment: { support: 3 } },
      open: { byLevel: { L0: 0, L1: 0, L2: 1, L3: 1 }, byDepartment: { support: 2 } },
    });
    // the draft
    expect(r.simulated).toMatchObject({
      cases: 3,
      breached: 0,
      breachRate: 0,
      escalations: { automatic: { L0: 0, L1: 3, L2: 1, L3: 0 }, manual: { L0: 0, L1: 0, L2: 1, L3: 0 } },
      load: { byLevel: { L0: 3, L1: 3, L2: 2, L3: 0 }, byDepartment: { support: 3 } },
      open: { byLevel: { L0: 0, L1: 0, L2: 2, L3: 0 }, byDepartment: { support: 2 } },
    });
    expect(r.deadlines).toEqual({
      compared: 4,
      moved: 2,
      earlier: 1,
      later: 1,
      changes: [
        { caseId: 'C', deadline: 'levelDueAt', actual: '2026-03-03T14:00:00.000Z', simulated: '2026-03-03T12:00:00.000Z', movedByMs: -2 * HOUR },
        { caseId: 'B', deadline: 'levelDueAt', actual: '2026-03-03T07:00:00.000Z', simulated: '2026-03-03T13:00:00.000Z', movedByMs: 6 * HOUR },
      ],
    });
    expect(r.skipped).toEqual([]);
    expect(r.draft.version).toMatch(/^draft@/);
  });

  it('is deterministic, and replaying against the policy the cases lived under reproduces what happened', () => {
    const cases = history();
    expect(simulate(cases, officeDraft(), ASOF)).toEqual(simulate(cases, officeDraft(), ASOF));
    const same = simulate(cases, testPolicy({ warnAt: null }, 'PT4H'), ASOF);
    expect(same.simulated).toEqual(same.actual);
    expect(same.deadlines.moved).toBe(0);
    expect(figures([])).toMatchObject({ cases: 0, breachRate: null });
  });

  it('reports recorded actions the draft world cannot take', () => {
    // Under 30-minute budgets, C is already past L2 when the manual escalation to L2 comes
    const r = simulate(history(), testPolicy({ warnAt: null }, 'PT30M'), ASOF);
    expect(r.skipped).toEqual([expect.objectContaining({ caseId: 'C', action: 'escalate', at: '2026-03-03T10:00:00.000Z' })]);
  });
});
