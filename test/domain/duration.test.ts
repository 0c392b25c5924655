import { describe, expect, it } from 'vitest';
import { addMs, durationMs, isExactDuration } from '../../functions/domain/duration.ts';
import { DAY, HOUR } from '../support/domain-fixtures.ts';

describe('durationMs', () => {
  it.each([
    ['PT4H', 4 * HOUR],
    ['P30D', 30 * DAY],
    ['P1W', 7 * DAY],
    ['PT30M', 30 * 60_000],
    ['PT10S', 10_000],
    ['P1DT2H30M', DAY + 2.5 * HOUR],
    ['P1W2D', 9 * DAY],
    ['PT1.5H', 1.5 * HOUR],
  ])('converts %s to %d ms', (iso, expected) => {
    // Prepare (the table row)
    // Act
    const ms = durationMs(iso);

    // Assess
    expect(ms).toBe(expected);
  });

  it('rounds fractional seconds to whole milliseconds', () => {
    // Prepare
    const half = 'PT0.5S';
    const awkward = 'PT0.0004S'; // 0.4 ms

    // Act
    const halfMs = durationMs(half);
    const awkwardMs = durationMs(awkward);

    // Assess
    expect(halfMs).toBe(500);
    expect(awkwardMs).toBe(0);
    expect(Number.isInteger(durationMs('PT1.2345S'))).toBe(true);
    expect(durationMs('PT1.2345S')).toBe(1235);
  });

  it.each(['P1M', 'P1Y', 'P1Y2D', 'P2M', 'P1MT4H'])('refuses calendar units (%s): they are not exact', (iso) => {
    // Prepare (the table row)
    // Act
    const act = () => durationMs(iso);

    // Assess
    expect(act).toThrow(RangeError);
    expect(act).toThrow(/years and months are not exact/);
  });

  it('refuses negative durations', () => {
    // Prepare
    const negative = '-PT1H';

    // Act
    const act = () => durationMs(negative);

    // Assess
    expect(act).toThrow(RangeError);
    expect(act).toThrow(/negative/);
  });

  it('refuses text that is not an ISO-8601 duration', () => {
    // Prepare
    const garbage = ['4 hours', '', 'PT', 'P1H'];

    // Act
    const results = garbage.map((g) => {
      try {
        durationMs(g);
        return 'parsed';
      } catch {
        return 'threw';
      }
    });

    // Assess
    expect(results).toEqual(['threw', 'threw', 'threw', 'threw']);
  });
});

describe('isExactDuration', () => {
  it('accepts positive exact durations only', () => {
    // Prepare
    const cases = { PT4H: true, P30D: true, P1W: true, 'PT0.5S': true, P1M: false, P1Y: false, '-PT1H': false, P0D: false, PT0S: false, 'PT0.0004S': false, nonsense: false };

    // Act
    const verdicts = Object.fromEntries(Object.keys(cases).map((k) => [k, isExactDuration(k)]));

    // Assess
    expect(verdicts).toEqual(cases);
  });
});

describe('addMs', () => {
  it('adds milliseconds to an ISO instant and answers in ISO UTC', () => {
    // Prepare
    const start = '2026-02-28T22:00:00.000Z';

    // Act
    const later = addMs(start, durationMs('PT4H'));

    // Assess
    expect(later).toBe('2026-03-01T02:00:00.000Z');
  });

  it('ignores daylight-saving changes: P1D is always 24 hours', () => {
    // Prepare (Europe switched to summer time on 2026-03-29; UTC does not care)
    const start = '2026-03-28T12:00:00.000Z';

    // Act
    const later = addMs(start, durationMs('P1D'));

    // Assess
    expect(later).toBe('2026-03-29T12:00:00.000Z');
  });
});
