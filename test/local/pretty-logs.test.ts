// Local stack: the structured lines a function writes are shown one readable line each when a person watches (a
// terminal), and left exactly as CloudWatch would get them otherwise.
import { describe, expect, it } from 'vitest';
import { prettyLine, prettyLogsWhenWatched } from '../../local/pretty-logs.ts';

describe('pretty local logs', () => {
  it('shows a Powertools entry as time, level, function, message and its own keys (the Lambda context left out)', () => {
    const line = JSON.stringify({
      level: 'INFO',
      message: 'request answered',
      timestamp: '2026-12-01T12:30:01.123Z',
      service: 'escalator',
      cold_start: false,
      function_name: 'createCase',
      function_request_id: 'abc',
      function_arn: 'arn:aws:lambda:us-east-1:000000000000:function:createCase',
      function_memory_size: '512',
      sampling_rate: 0,
      caseId: '01CASE',
      status: 201,
    });
    expect(prettyLine(line, false)).toBe('12:30:01.123 INFO  [createCase] request answered  caseId=01CASE status=201');
  });

  it('shows an EMF document as its metrics with their dimensions and case', () => {
    const emf = JSON.stringify({
      _aws: { Timestamp: Date.parse('2026-12-01T12:30:02.000Z'), CloudWatchMetrics: [{ Namespace: 'Escalator', Dimensions: [['service', 'kind', 'level']], Metrics: [{ Name: 'Escalations', Unit: 'Count' }] }] },
      service: 'escalator',
      kind: 'hierarchical',
      level: 'L1',
      caseId: '01CASE',
      Escalations: 1,
    });
    expect(prettyLine(emf, false)).toBe('12:30:02.000 METRIC Escalations=1 (kind=hierarchical, level=L1) caseId=01CASE');
  });

  it('leaves anything else alone, and a stream that is not a terminal untouched', () => {
    expect(prettyLine('Escalator is running', false)).toBeUndefined();
    expect(prettyLine('{"not":"a log entry"}', false)).toBeUndefined();
    const written: string[] = [];
    const stream = { isTTY: false, write: (c: string) => written.push(c) > 0 } as unknown as NodeJS.WriteStream;
    prettyLogsWhenWatched(stream);
    stream.write('{"level":"INFO","message":"x"}\n');
    expect(written).toEqual(['{"level":"INFO","message":"x"}\n']);
    const tty = { isTTY: true, write: (c: string) => written.push(c) > 0 } as unknown as NodeJS.WriteStream;
    prettyLogsWhenWatched(tty);
    tty.write('{"level":"WARN","message":"slow","timestamp":"2026-12-01T12:30:03.000Z"}\n');
    expect(written.at(-1)).toContain('WARN');
    expect(written.at(-1)).toContain('slow');
    expect(written.at(-1)!.startsWith('{')).toBe(false);
  });
});

describe('pretty local logs: repeats', () => {
  it('shows a metric line that repeats unchanged (the reconciler\'s lag every 5 s) once a minute, and every changed one', () => {
    const written: string[] = [];
    let clock = 0;
    const tty = { isTTY: true, write: (c: string) => written.push(c) > 0 } as unknown as NodeJS.WriteStream;
    prettyLogsWhenWatched(tty, { now: () => clock });
    const lag = (seconds: number, at: number) =>
      `${JSON.stringify({ _aws: { Timestamp: at, CloudWatchMetrics: [{ Namespace: 'Escalator', Dimensions: [['service']], Metrics: [{ Name: 'ReconcilerLagSeconds', Unit: 'Seconds' }] }] }, service: 'escalator', ReconcilerLagSeconds: seconds })}\n`;
    for (let i = 0; i < 12; i++) {
      clock = i * 5_000;
      tty.write(lag(0, clock));
    }
    clock = 61_000;
    tty.write(lag(0, clock));
    tty.write(lag(7, clock));
    tty.write('{"level":"INFO","message":"request answered","timestamp":"2026-12-01T12:30:03.000Z"}\n');
    tty.write('{"level":"INFO","message":"request answered","timestamp":"2026-12-01T12:30:03.000Z"}\n');
    const metrics = written.filter((l) => l.includes('METRIC'));
    expect(metrics.map((l) => /ReconcilerLagSeconds=\d+/.exec(l)?.[0])).toEqual(['ReconcilerLagSeconds=0', 'ReconcilerLagSeconds=0', 'ReconcilerLagSeconds=7']);
    expect(written.filter((l) => l.includes('request answered'))).toHaveLength(2); // log lines are never held back
  });
});
