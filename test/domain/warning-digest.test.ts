// Many warnings falling together: one digest per recipient and window, sent at the window's close but never after
// the earliest deadline in it; deterministic keys.
import { describe, expect, it } from 'vitest';
import { planWarningDigests, type OwedWarning } from '../../functions/domain/warning-digest.ts';

const w = (caseId: string, to: string, at: string, dueAt: string): OwedWarning => ({ caseId, to, at: `2026-03-09T${at}:00.000Z`, level: 'L0', dueAt: `2026-03-09T${dueAt}:00.000Z` });

describe('planWarningDigests', () => {
  it('groups a recipient\'s warnings within the window and keeps recipients apart', () => {
    // Prepare: Monday morning after a weekend — three warnings to the leads within 10 minutes, a fourth later
    const warnings = [w('c3', 'Leads@example.com', '08:09', '08:48'), w('c1', 'leads@example.com', '08:00', '09:00'), w('c2', 'leads@example.com', '08:05', '08:40'), w('c4', 'leads@example.com', '08:30', '09:30'), w('c5', 'vp@example.com', '08:01', '12:00')];
    // Act
    const digests = planWarningDigests(warnings, 15 * 60_000);
    // Assess
    expect(digests.map((d) => [d.to, d.sendAt, d.warnings.map((x) => x.caseId), d.key])).toEqual([
      ['leads@example.com', '2026-03-09T08:15:00.000Z', ['c2', 'c3', 'c1'], 'digest/leads@example.com/2026-03-09T08:00:00.000Z'],
      ['vp@example.com', '2026-03-09T08:16:00.000Z', ['c5'], 'digest/vp@example.com/2026-03-09T08:01:00.000Z'],
      ['leads@example.com', '2026-03-09T08:45:00.000Z', ['c4'], 'digest/leads@example.com/2026-03-09T08:30:00.000Z'],
    ]);
  });

  it('never sends after the earliest deadline in the digest', () => {
    const [d] = planWarningDigests([w('c1', 'a@example.com', '08:00', '08:05'), w('c2', 'a@example.com', '08:02', '10:00')], 15 * 60_000);
    expect(d!.sendAt).toBe('2026-03-09T08:05:00.000Z');
  });
});
