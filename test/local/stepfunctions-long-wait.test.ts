// test/local/stepfunctions-long-wait.test.ts — waits beyond Node's 2^31-1 ms timer limit, proven on vitest's fake clock.
import { setTimeout as realDelay } from 'node:timers/promises';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { installLongTimers, MAX_TIMER_DELAY_MS, startLocalStepFunctions } from '../../local/stepfunctions/index.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
// Only the clock the code under test reads: HTTP, the SDK and our polling keep real I/O and real immediates.
const FAKE = { toFake: ['setTimeout', 'clearTimeout', 'Date'] as ('setTimeout' | 'clearTimeout' | 'Date')[] };

afterEach(() => {
  vi.useRealTimers();
});

describe('long timers', () => {
  it('fires a 30-day setTimeout after 30 days, not after the clamped 1 ms, and not after 29 days', async () => {
    vi.useFakeTimers(FAKE);
    installLongTimers();
    const fired = vi.fn();
    setTimeout(fired, 30 * DAY_MS, 'payload');
    await vi.advanceTimersByTimeAsync(29 * DAY_MS);
    expect(fired).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(DAY_MS - 1);
    expect(fired).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(fired).toHaveBeenCalledExactlyOnceWith('payload');
  });

  it('cancels a chained timer with clearTimeout (by handle or by its numeric id), also after the first chunk', async () => {
    vi.useFakeTimers(FAKE);
    installLongTimers();
    const byHandle = vi.fn();
    const byId = vi.fn();
    const handle = setTimeout(byHandle, 40 * DAY_MS);
    const id = Number(setTimeout(byId, 40 * DAY_MS));
    await vi.advanceTimersByTimeAsync(MAX_TIMER_DELAY_MS + 1000); // first chunk done, the chain is re-armed
    clearTimeout(handle);
    clearTimeout(id);
    await vi.advanceTimersByTimeAsync(30 * DAY_MS);
    expect(byHandle).not.toHaveBeenCalled();
    expect(byId).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('installs once: a second install keeps the same functions, short timers are untouched', async () => {
    vi.useFakeTimers(FAKE);
    const fake = globalThis.setTimeout;
    installLongTimers();
    const installed = globalThis.setTimeout;
    expect(installed).not.toBe(fake); // wrapped the fake clock's function
    installLongTimers();
    expect(globalThis.setTimeout).toBe(installed);
    const short = vi.fn();
    setTimeout(short, 1000);
    await vi.advanceTimersByTimeAsync(999);
    expect(short).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(short).toHaveBeenCalledOnce();
  });
});

describe('local Step Functions: 30-day Wait', () => {
  it('keeps a Wait(TimestampPath) 30 days ahead waiting after 29 days and finishes it after 30 days', async () => {
    vi.useFakeTimers(FAKE); // before the server starts, so its long-timer wrapper chains the fake clock
    const definition = {
      StartAt: 'PlanDeadline',
      States: {
        PlanDeadline: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:plan', ResultPath: '$.plan', Next: 'WaitForDeadline' },
        WaitForDeadline: { Type: 'Wait', TimestampPath: '$.plan.deadline', Next: 'Done' },
        Done: { Type: 'Succeed' },
      },
    };
    const server = await startLocalStepFunctions({
      port: 0,
      stateMachines: [{ name: 'Deadline', arn: 'arn:aws:states:us-east-1:000000000000:stateMachine:Deadline', definition }],
      dispatch: async () => ({ deadline: new Date(Date.now() + 30 * DAY_MS).toISOString() }),
    });
    const sfn = new SFNClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    try {
      const { executionArn } = await sfn.send(
        new StartExecutionCommand({ stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:Deadline', input: '{}' }),
      );
      const eventTypes = async (): Promise<string[]> => ((await sfn.send(new GetExecutionHistoryCommand({ executionArn }))).events ?? []).map((e) => e.type!);
      const status = async (): Promise<string | undefined> => (await sfn.send(new DescribeExecutionCommand({ executionArn }))).status;
      for (let i = 0; !(await eventTypes()).includes('WaitStateEntered'); i++) {
        if (i > 500) throw new Error('the Wait never started');
        await realDelay(10);
      }

      await vi.advanceTimersByTimeAsync(29 * DAY_MS);
      expect(await status()).toBe('RUNNING');
      expect(await eventTypes()).not.toContain('WaitStateExited');

      await vi.advanceTimersByTimeAsync(DAY_MS + 1000);
      for (let i = 0; (await status()) === 'RUNNING'; i++) {
        if (i > 500) throw new Error('the Wait never finished');
        await realDelay(10);
      }
      expect(await status()).toBe('SUCCEEDED');
      expect((await eventTypes()).slice(-4)).toEqual(['WaitStateExited', 'SucceedStateEntered', 'SucceedStateExited', 'ExecutionSucceeded']);
      const wait = (await sfn.send(new GetExecutionHistoryCommand({ executionArn }))).events!.filter((e) => e.type?.startsWith('WaitState'));
      expect(wait[1]!.timestamp!.getTime() - wait[0]!.timestamp!.getTime()).toBeGreaterThanOrEqual(30 * DAY_MS - 1000);
    } finally {
      sfn.destroy();
      await server.stop();
    }
  });

  it('gives a Task without TimeoutSeconds more than the library\'s 60 s default (AWS has no such limit)', async () => {
    vi.useFakeTimers(FAKE);
    const definition = { StartAt: 'Slow', States: { Slow: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:slow', End: true } } };
    const arn = 'arn:aws:states:us-east-1:000000000000:stateMachine:Slow';
    let release!: (value: unknown) => void;
    const server = await startLocalStepFunctions({
      port: 0,
      stateMachines: [{ name: 'Slow', arn, definition }],
      dispatch: () => new Promise((resolve) => (release = resolve)),
    });
    const sfn = new SFNClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    try {
      const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn }));
      await vi.advanceTimersByTimeAsync(DAY_MS); // a day-long task: the library alone would time it out at 60 s
      expect((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');
      release({ finished: true });
      let described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      for (let i = 0; described.status === 'RUNNING' && i < 500; i++) {
        await realDelay(10);
        described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      }
      expect(described).toMatchObject({ status: 'SUCCEEDED', output: '{"finished":true}' });
    } finally {
      sfn.destroy();
      await server.stop();
    }
  });

  it('stops a 30-day Wait with StopExecution without leaving its chained timer armed', async () => {
    vi.useFakeTimers(FAKE);
    const definition = { StartAt: 'Sleep', States: { Sleep: { Type: 'Wait', Seconds: 30 * 24 * 3600, End: true } } };
    const arn = 'arn:aws:states:us-east-1:000000000000:stateMachine:Sleeper';
    const server = await startLocalStepFunctions({ port: 0, stateMachines: [{ name: 'Sleeper', arn, definition }], dispatch: async () => null });
    const sfn = new SFNClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    try {
      const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn }));
      await vi.advanceTimersByTimeAsync(MAX_TIMER_DELAY_MS + 1000); // into the second chunk
      expect((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');
      await sfn.send(new StopExecutionCommand({ executionArn }));
      expect((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('ABORTED');
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      sfn.destroy();
      await server.stop();
    }
  });
});
