// test/local/stepfunctions.test.ts — the local Step Functions server driven through the real @aws-sdk/client-sfn.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  DescribeStateMachineForExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  type DescribeExecutionOutput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalStepFunctions, type LocalStateMachineSpec, type LocalStepFunctions, type TaskDispatcher } from '../../local/stepfunctions/index.ts';

const ACCOUNT = '000000000000';
const machineArn = (name: string): string => `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:${name}`;
const lambdaArn = (name: string): string => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`;
const machine = (name: string, definition: object): LocalStateMachineSpec => ({ name, arn: machineArn(name), definition });

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(stateMachines: LocalStateMachineSpec[], dispatch: TaskDispatcher, dataDir?: string): Promise<{ server: LocalStepFunctions; sfn: SFNClient }> {
  const server = await startLocalStepFunctions({ port: 0, stateMachines, dispatch, dataDir });
  const sfn = new SFNClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  cleanups.push(async () => {
    sfn.destroy();
    await server.stop();
  });
  return { server, sfn };
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'escalator-sfn-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Short polling for a condition (no timing assertions): fails with the last value seen. */
async function waitFor<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`condition not met; last value: ${JSON.stringify(last)}`);
    await delay(10);
    last = await read();
  }
  return last;
}

const describeExecution = (sfn: SFNClient, executionArn: string): Promise<DescribeExecutionOutput> =>
  sfn.send(new DescribeExecutionCommand({ executionArn }));
const waitForStatus = (sfn: SFNClient, executionArn: string, status: string): Promise<DescribeExecutionOutput> =>
  waitFor(() => describeExecution(sfn, executionArn), (d) => d.status === status);

async function history(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  return (await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ?? [];
}
const types = (events: HistoryEvent[]): string[] => events.map((e) => e.type ?? '?');
const waitForEvent = (sfn: SFNClient, executionArn: string, type: string, count = 1): Promise<HistoryEvent[]> =>
  waitFor(() => history(sfn, executionArn), (events) => types(events).filter((t) => t === type).length >= count);

function deferred<T = unknown>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Task → Choice → Wait(TimestampPath) → back to the Task: the shape of the escalation timer workflow. */
const loopDefinition = {
  StartAt: 'Evaluate',
  States: {
    Evaluate: {
      Type: 'Task',
      Resource: lambdaArn('evaluate'),
      Parameters: { 'caseId.$': '$.caseId', 'execution.$': '$$.Execution.Name' },
      ResultPath: '$.decision',
      Next: 'Decide',
    },
    Decide: { Type: 'Choice', Choices: [{ Variable: '$.decision.done', BooleanEquals: true, Next: 'Done' }], Default: 'Sleep' },
    Sleep: { Type: 'Wait', TimestampPath: '$.decision.wakeAt', Next: 'Evaluate' },
    Done: { Type: 'Succeed' },
  },
};

/** Task (waits on the caller) → Wait one hour → Succeed. */
const parkedDefinition = {
  StartAt: 'Work',
  States: {
    Work: { Type: 'Task', Resource: lambdaArn('work'), ResultPath: '$.work', Next: 'Park' },
    Park: { Type: 'Wait', Seconds: 3600, Next: 'Done' },
    Done: { Type: 'Succeed' },
  },
};

describe('local Step Functions: running workflows', () => {
  it('runs a Task → Choice → Wait(TimestampPath) loop until the task says done, waiting until each timestamp', async () => {
    const inputs: unknown[] = [];
    const wakeAts: string[] = [];
    const dispatch: TaskDispatcher = async (resource, input, meta) => {
      expect(resource).toBe(lambdaArn('evaluate'));
      expect(meta.stateName).toBe('Evaluate');
      inputs.push(input);
      const wakeAt = new Date(Date.now() + 60).toISOString();
      wakeAts.push(wakeAt);
      return { done: inputs.length === 3, wakeAt };
    };
    const { sfn } = await start([machine('Loop', loopDefinition)], dispatch);

    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: machineArn('Loop'), name: 'case-1-v1', input: JSON.stringify({ caseId: 'c-1' }) }),
    );
    expect(executionArn).toBe(`arn:aws:states:us-east-1:${ACCOUNT}:execution:Loop:case-1-v1`);
    const done = await waitForStatus(sfn, executionArn!, 'SUCCEEDED');

    // Parameters and $$.Execution context reach the dispatcher; the result lands at ResultPath.
    expect(inputs).toEqual([1, 2, 3].map(() => ({ caseId: 'c-1', execution: 'case-1-v1' })));
    expect(JSON.parse(done.output!)).toEqual({ caseId: 'c-1', decision: { done: true, wakeAt: wakeAts[2] } });
    expect(done.stopDate!.getTime()).toBeGreaterThanOrEqual(done.startDate!.getTime());

    const events = await history(sfn, executionArn!);
    const taskRound = ['TaskStateEntered', 'LambdaFunctionScheduled', 'LambdaFunctionStarted', 'LambdaFunctionSucceeded', 'TaskStateExited'];
    const waitRound = ['ChoiceStateEntered', 'ChoiceStateExited', 'WaitStateEntered', 'WaitStateExited'];
    expect(types(events)).toEqual([
      'ExecutionStarted',
      ...taskRound, ...waitRound,
      ...taskRound, ...waitRound,
      ...taskRound, 'ChoiceStateEntered', 'ChoiceStateExited', 'SucceedStateEntered', 'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    // Each Wait ended no earlier than the timestamp it was given.
    const waitExits = events.filter((e) => e.type === 'WaitStateExited');
    waitExits.forEach((exit, i) => expect(exit.timestamp!.getTime()).toBeGreaterThanOrEqual(Date.parse(wakeAts[i]!) - 2));
    const scheduled = events.find((e) => e.type === 'LambdaFunctionScheduled');
    expect(scheduled?.lambdaFunctionScheduledEventDetails).toMatchObject({
      resource: lambdaArn('evaluate'),
      input: JSON.stringify({ caseId: 'c-1', execution: 'case-1-v1' }),
    });
  });

  it('records AWS-shaped history (details, ids, order) and pages it with reverseOrder, maxResults, nextToken, includeExecutionData', async () => {
    const definition = {
      StartAt: 'Prepare',
      States: {
        Prepare: { Type: 'Pass', Result: { attempt: 1 }, ResultPath: '$.meta', Next: 'Invoke' },
        Invoke: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: lambdaArn('decide'), 'Payload.$': '$' },
          ResultSelector: { 'decision.$': '$.Payload' },
          OutputPath: '$.decision',
          Next: 'Check',
        },
        Check: { Type: 'Choice', Choices: [{ Variable: '$.ok', BooleanEquals: true, Next: 'Finish' }], Default: 'Finish' },
        Finish: { Type: 'Succeed' },
      },
    };
    const dispatch: TaskDispatcher = async (_resource, input) => ({ Payload: { ok: true, echo: input }, StatusCode: 200 });
    const { sfn } = await start([machine('Shapes', definition)], dispatch);
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: machineArn('Shapes'), input: '{"caseId":"c-9"}' }));
    await waitForStatus(sfn, executionArn!, 'SUCCEEDED');

    const events = await history(sfn, executionArn!);
    expect(types(events)).toEqual([
      'ExecutionStarted',
      'PassStateEntered', 'PassStateExited',
      'TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskSucceeded', 'TaskStateExited',
      'ChoiceStateEntered', 'ChoiceStateExited',
      'SucceedStateEntered', 'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    events.forEach((e, i) => {
      expect(e.id).toBe(i + 1);
      expect(e.previousEventId).toBe(i);
      expect(e.timestamp).toBeInstanceOf(Date);
      if (i > 0) expect(e.timestamp!.getTime()).toBeGreaterThanOrEqual(events[i - 1]!.timestamp!.getTime());
    });
    const byType = (type: string): HistoryEvent => events.find((e) => e.type === type)!;
    const taskInput = { caseId: 'c-9', meta: { attempt: 1 } };
    expect(byType('ExecutionStarted').executionStartedEventDetails).toMatchObject({ input: '{"caseId":"c-9"}', roleArn: expect.stringContaining(':role/') });
    expect(byType('TaskStateEntered').stateEnteredEventDetails).toEqual({ name: 'Invoke', input: JSON.stringify(taskInput), inputDetails: { truncated: false } });
    expect(byType('TaskScheduled').taskScheduledEventDetails).toEqual({
      resourceType: 'lambda',
      resource: 'invoke',
      region: 'us-east-1',
      parameters: JSON.stringify({ FunctionName: lambdaArn('decide'), Payload: taskInput }),
    });
    expect(byType('TaskStarted').taskStartedEventDetails).toEqual({ resourceType: 'lambda', resource: 'invoke' });
    // TaskSucceeded carries the raw task result; the state's output is after ResultSelector/OutputPath.
    expect(JSON.parse(byType('TaskSucceeded').taskSucceededEventDetails!.output!)).toEqual({ Payload: { ok: true, echo: { FunctionName: lambdaArn('decide'), Payload: taskInput } }, StatusCode: 200 });
    expect(JSON.parse(byType('TaskStateExited').stateExitedEventDetails!.output!)).toEqual({ ok: true, echo: { FunctionName: lambdaArn('decide'), Payload: taskInput } });
    expect(byType('TaskStateExited').stateExitedEventDetails!.name).toBe('Invoke');
    expect(byType('ExecutionSucceeded').executionSucceededEventDetails!.output).toBe(byType('SucceedStateExited').stateExitedEventDetails!.output);

    const reversed = await sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true }));
    expect(reversed.events!.map((e) => e.id)).toEqual(events.map((e) => e.id).reverse());

    for (const reverseOrder of [false, true]) {
      const pagedIds: number[] = [];
      let nextToken: string | undefined;
      let pages = 0;
      do {
        const out = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 5, reverseOrder, nextToken }));
        expect(out.events!.length).toBeLessThanOrEqual(5);
        pagedIds.push(...out.events!.map((e) => e.id!));
        nextToken = out.nextToken;
        pages++;
      } while (nextToken);
      expect(pages).toBe(3);
      expect(pagedIds).toEqual(reverseOrder ? events.map((e) => e.id).reverse() : events.map((e) => e.id));
    }

    const withoutData = await sfn.send(new GetExecutionHistoryCommand({ executionArn, includeExecutionData: false }));
    const entered = withoutData.events!.find((e) => e.type === 'TaskStateEntered')!;
    expect(entered.stateEnteredEventDetails).toEqual({ name: 'Invoke', inputDetails: { truncated: false } });
    expect(withoutData.events!.find((e) => e.type === 'TaskScheduled')!.taskScheduledEventDetails!.parameters).toBeUndefined();
  });

  it('matches dispatcher errors by name in Retry and Catch (custom names, States.TaskFailed) and fails uncaught ones', async () => {
    class CaseConflictError extends Error {
      override name = 'Case.Conflict';
    }
    const retryCatch = {
      StartAt: 'Escalate',
      States: {
        Escalate: {
          Type: 'Task',
          Resource: lambdaArn('escalate'),
          Retry: [{ ErrorEquals: ['Lambda.ServiceException'], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 1 }],
          Catch: [{ ErrorEquals: ['Case.Conflict'], ResultPath: '$.error', Next: 'Handled' }],
          Next: 'Done',
        },
        Handled: { Type: 'Pass', Next: 'Done' },
        Done: { Type: 'Succeed' },
      },
    };
    const catchAll = {
      StartAt: 'Escalate',
      States: {
        Escalate: { Type: 'Task', Resource: lambdaArn('escalate'), Catch: [{ ErrorEquals: ['States.TaskFailed'], Next: 'GiveUp' }], End: true },
        GiveUp: { Type: 'Fail', Error: 'Case.GaveUp', Cause: 'escalation failed' },
      },
    };
    const uncaught = { StartAt: 'Escalate', States: { Escalate: { Type: 'Task', Resource: lambdaArn('escalate'), End: true } } };
    const calls: string[] = [];
    const dispatch: TaskDispatcher = async (_resource, _input, meta) => {
      const machineName = meta.executionArn.split(':')[6]!;
      calls.push(machineName);
      if (machineName === 'RetryCatch' && calls.filter((c) => c === 'RetryCatch').length === 1) {
        const err = new Error('Rate exceeded');
        err.name = 'Lambda.ServiceException';
        throw err;
      }
      if (machineName === 'RetryCatch') throw new CaseConflictError('version mismatch');
      if (machineName === 'CatchAll') throw new Error('plain failure');
      throw new CaseConflictError('nobody catches this');
    };
    const { sfn } = await start([machine('RetryCatch', retryCatch), machine('CatchAll', catchAll), machine('Uncaught', uncaught)], dispatch);

    const rc = await sfn.send(new StartExecutionCommand({ stateMachineArn: machineArn('RetryCatch'), input: '{"caseId":"c-2"}' }));
    const rcDone = await waitForStatus(sfn, rc.executionArn!, 'SUCCEEDED');
    expect(calls.filter((c) => c === 'RetryCatch')).toHaveLength(2); // retried once on Lambda.ServiceException
    expect(JSON.parse(rcDone.output!)).toEqual({ caseId: 'c-2', error: { Error: 'Case.Conflict', Cause: 'version mismatch' } });
    const rcEvents = await history(sfn, rc.executionArn!);
    expect(types(rcEvents).slice(0, 10)).toEqual([
      'ExecutionStarted', 'TaskStateEntered',
      'LambdaFunctionScheduled', 'LambdaFunctionStarted', 'LambdaFunctionFailed',
      'LambdaFunctionScheduled', 'LambdaFunctionStarted', 'LambdaFunctionFailed',
      'TaskStateExited', 'PassStateEntered',
    ]);
    expect(rcEvents.filter((e) => e.type === 'LambdaFunctionFailed').map((e) => e.lambdaFunctionFailedEventDetails)).toEqual([
      { error: 'Lambda.ServiceException', cause: 'Rate exceeded' },
      { error: 'Case.Conflict', cause: 'version mismatch' },
    ]);

    const ca = await sfn.send(new StartExecutionCommand({ stateMachineArn: machineArn('CatchAll') }));
    const caDone = await waitForStatus(sfn, ca.executionArn!, 'FAILED');
    expect(caDone).toMatchObject({ error: 'Case.GaveUp', cause: 'escalation failed' });
    expect(types(await history(sfn, ca.executionArn!)).slice(-3)).toEqual(['TaskStateExited', 'FailStateEntered', 'ExecutionFailed']);

    const un = await sfn.send(new StartExecutionCommand({ stateMachineArn: machineArn('Uncaught') }));
    const unDone = await waitForStatus(sfn, un.executionArn!, 'FAILED');
    expect(unDone).toMatchObject({ error: 'Case.Conflict', cause: 'nobody catches this' });
    const unEvents = await history(sfn, un.executionArn!);
    expect(types(unEvents).slice(-2)).toEqual(['LambdaFunctionFailed', 'ExecutionFailed']);
    expect(unEvents.at(-1)!.executionFailedEventDetails).toEqual({ error: 'Case.Conflict', cause: 'nobody catches this' });
  });
});

describe('local Step Functions: API semantics', () => {
  it('treats StartExecution with the same name as idempotent only while RUNNING with the same input', async () => {
    const release = deferred();
    const { sfn } = await start([machine('Timer', { StartAt: 'Work', States: { Work: { Type: 'Task', Resource: lambdaArn('work'), End: true } } })], () => release.promise);
    const stateMachineArn = machineArn('Timer');

    const first = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'case-7-v3', input: '{"v":3}' }));
    const again = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'case-7-v3', input: '{"v":3}' }));
    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate).toEqual(first.startDate);
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'case-7-v3', input: '{"v":4}' }))).rejects.toMatchObject({
      name: 'ExecutionAlreadyExists',
      $metadata: { httpStatusCode: 400 },
    });

    release.resolve({ done: true });
    await waitForStatus(sfn, first.executionArn!, 'SUCCEEDED');
    // A closed execution's name cannot be reused, not even with the same input.
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'case-7-v3', input: '{"v":3}' }))).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });

    const unnamed = await sfn.send(new StartExecutionCommand({ stateMachineArn }));
    expect(unnamed.executionArn).toMatch(/:execution:Timer:[0-9a-f-]{36}$/);
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'has space' }))).rejects.toMatchObject({ name: 'InvalidName' });
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'x'.repeat(81) }))).rejects.toMatchObject({ name: 'InvalidName' });
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn, input: '{not json' }))).rejects.toMatchObject({ name: 'InvalidExecutionInput' });
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: machineArn('Nope') }))).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: 'not-an-arn' }))).rejects.toMatchObject({ name: 'InvalidArn' });
  });

  it('stops a running execution (ABORTED with error/cause), ignores a late task result and makes a second stop a no-op', async () => {
    const taskStarted = deferred();
    const release = deferred();
    const dispatch: TaskDispatcher = async () => {
      taskStarted.resolve(undefined);
      return release.promise;
    };
    const { sfn } = await start([machine('Parked', parkedDefinition)], dispatch);
    const stateMachineArn = machineArn('Parked');

    // Stop during a Wait.
    const waiting = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'waiting' }));
    await taskStarted.promise;
    release.resolve({ ok: true });
    await waitForEvent(sfn, waiting.executionArn!, 'WaitStateEntered');
    const stopped = await sfn.send(new StopExecutionCommand({ executionArn: waiting.executionArn, error: 'Case.Resolved', cause: 'resolved by agent' }));
    const described = await describeExecution(sfn, waiting.executionArn!);
    expect(described).toMatchObject({ status: 'ABORTED', error: 'Case.Resolved', cause: 'resolved by agent' });
    expect(described.stopDate).toEqual(stopped.stopDate);
    expect(described.output).toBeUndefined();
    const events = await history(sfn, waiting.executionArn!);
    expect(types(events).slice(-2)).toEqual(['WaitStateEntered', 'ExecutionAborted']);
    expect(events.at(-1)!.executionAbortedEventDetails).toEqual({ error: 'Case.Resolved', cause: 'resolved by agent' });

    const secondStop = await sfn.send(new StopExecutionCommand({ executionArn: waiting.executionArn, error: 'Other' }));
    expect(secondStop.stopDate).toEqual(stopped.stopDate);
    expect(await describeExecution(sfn, waiting.executionArn!)).toMatchObject({ status: 'ABORTED', error: 'Case.Resolved' });

    // Stop while a task is in flight: its late result must not move the execution on.
    const lateRelease = deferred();
    const lateStarted = deferred();
    const { sfn: sfn2 } = await start([machine('Parked', parkedDefinition)], async () => {
      lateStarted.resolve(undefined);
      return lateRelease.promise;
    });
    const busy = await sfn2.send(new StartExecutionCommand({ stateMachineArn, name: 'busy' }));
    await lateStarted.promise;
    await sfn2.send(new StopExecutionCommand({ executionArn: busy.executionArn }));
    lateRelease.resolve({ late: true });
    await delay(50); // give a (wrong) continuation the chance to run before looking
    expect(await describeExecution(sfn2, busy.executionArn!)).toMatchObject({ status: 'ABORTED' });
    const busyEvents = await history(sfn2, busy.executionArn!);
    expect(types(busyEvents).at(-1)).toBe('ExecutionAborted');
    expect(busyEvents.at(-1)!.executionAbortedEventDetails).toBeUndefined();
    expect(types(busyEvents)).not.toContain('WaitStateEntered');

    await expect(sfn.send(new StopExecutionCommand({ executionArn: `${waiting.executionArn}-nope` }))).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
  });

  it('lists executions newest first with statusFilter and paging, and describes state machines', async () => {
    const definition = { StartAt: 'Route', States: { Route: { Type: 'Choice', Choices: [{ Variable: '$.park', BooleanEquals: true, Next: 'Park' }], Default: 'Done' }, Park: { Type: 'Wait', Seconds: 3600, End: true }, Done: { Type: 'Succeed' } } };
    const { sfn } = await start([machine('Listing', definition), machine('Other', definition)], async () => null);
    const stateMachineArn = machineArn('Listing');
    const names = ['e1', 'e2', 'e3', 'e4', 'e5'];
    for (const name of names) {
      await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify({ park: name !== 'e3' }) }));
      await delay(2); // distinct start times, so "newest first" is observable
    }
    await waitForStatus(sfn, `arn:aws:states:us-east-1:${ACCOUNT}:execution:Listing:e3`, 'SUCCEEDED');

    const all = await sfn.send(new ListExecutionsCommand({ stateMachineArn }));
    expect(all.executions!.map((e) => e.name)).toEqual([...names].reverse());
    expect(all.executions![0]).toMatchObject({ stateMachineArn, status: 'RUNNING', executionArn: expect.stringContaining(':execution:Listing:e5') });
    const succeeded = await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'SUCCEEDED' }));
    expect(succeeded.executions!.map((e) => e.name)).toEqual(['e3']);
    expect(succeeded.executions![0]!.stopDate).toBeInstanceOf(Date);

    const paged: string[] = [];
    let nextToken: string | undefined;
    do {
      const out = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 2, nextToken }));
      paged.push(...out.executions!.map((e) => e.name!));
      nextToken = out.nextToken;
    } while (nextToken);
    expect(paged).toEqual([...names].reverse());
    expect((await sfn.send(new ListExecutionsCommand({ stateMachineArn: machineArn('Other') }))).executions).toEqual([]);
    await expect(sfn.send(new ListExecutionsCommand({ stateMachineArn, nextToken: 'garbage' }))).rejects.toMatchObject({ name: 'InvalidToken' });

    const machines = await sfn.send(new ListStateMachinesCommand({}));
    expect(machines.stateMachines!.map((m) => [m.name, m.type])).toEqual([['Listing', 'STANDARD'], ['Other', 'STANDARD']]);
    const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn }));
    expect(described).toMatchObject({ stateMachineArn, name: 'Listing', status: 'ACTIVE', type: 'STANDARD' });
    expect(JSON.parse(described.definition!)).toEqual(definition);
    expect(described.creationDate).toBeInstanceOf(Date);
    const forExecution = await sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn: all.executions![0]!.executionArn }));
    expect(forExecution).toMatchObject({ stateMachineArn, name: 'Listing', roleArn: described.roleArn });
    expect(JSON.parse(forExecution.definition!)).toEqual(definition);
    await expect(sfn.send(new DescribeStateMachineCommand({ stateMachineArn: machineArn('Nope') }))).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
    await expect(sfn.send(new DescribeExecutionCommand({ executionArn: 'arn:aws:states:us-east-1:0:stateMachine:Listing' }))).rejects.toMatchObject({ name: 'InvalidArn' });
  });

  it('speaks the raw JSON 1.0 protocol: epoch-second timestamps, __type errors, UnknownOperationException', async () => {
    const { server, sfn } = await start([machine('Raw', { StartAt: 'Done', States: { Done: { Type: 'Succeed' } } })], async () => null);
    const call = async (target: string, body: object): Promise<{ status: number; json: Record<string, unknown> }> => {
      const res = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AWSStepFunctions.${target}` },
        body: JSON.stringify(body),
      });
      expect(res.headers.get('content-type')).toBe('application/x-amz-json-1.0');
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };
    const before = Date.now() / 1000;
    const started = await call('StartExecution', { stateMachineArn: machineArn('Raw'), name: 'raw-1' });
    expect(started.status).toBe(200);
    expect(typeof started.json['startDate']).toBe('number');
    expect(started.json['startDate']).toBeGreaterThanOrEqual(before - 1);
    expect(started.json['startDate']).toBeLessThanOrEqual(Date.now() / 1000 + 1);
    await waitForStatus(sfn, started.json['executionArn'] as string, 'SUCCEEDED');
    const hist = await call('GetExecutionHistory', { executionArn: started.json['executionArn'] });
    expect(typeof (hist.json['events'] as { timestamp: unknown }[])[0]!.timestamp).toBe('number');

    expect(await call('SendTaskSuccess', { taskToken: 'x', output: '{}' })).toEqual({ status: 400, json: { __type: 'UnknownOperationException', message: expect.any(String) } });
    expect(await call('DescribeExecution', { executionArn: `${started.json['executionArn']}x` })).toMatchObject({ status: 400, json: { __type: 'ExecutionDoesNotExist' } });
    expect(await call('DescribeExecution', {})).toMatchObject({ status: 400, json: { __type: 'ValidationException' } });
  });
});

describe('local Step Functions: persistence', () => {
  it('persists executions and resumes RUNNING ones after stop()/start, keeping and extending their history', async () => {
    const dataDir = await tempDir();
    const machines = [machine('Parked', parkedDefinition), machine('Quick', { StartAt: 'Work', States: { Work: { Type: 'Task', Resource: lambdaArn('work'), End: true } } })];
    const firstInputs: unknown[] = [];
    const first = await start(machines, async (_r, input) => {
      firstInputs.push(input);
      return { run: 1 };
    }, dataDir);
    const parked = await first.sfn.send(new StartExecutionCommand({ stateMachineArn: machineArn('Parked'), name: 'case-3-v1', input: '{"caseId":"c-3"}' }));
    const quick = await first.sfn.send(new StartExecutionCommand({ stateMachineArn: machineArn('Quick'), name: 'case-3-v1', input: '{"caseId":"c-3"}' }));
    await waitForStatus(first.sfn, quick.executionArn!, 'SUCCEEDED');
    const firstRun = await waitForEvent(first.sfn, parked.executionArn!, 'WaitStateEntered');
    await first.server.stop();

    // On disk: one file per execution, the parked one still RUNNING (stop() is not an abort).
    const onDisk = JSON.parse(await readFile(join(dataDir, 'stepfunctions', 'executions', 'Parked', 'case-3-v1.json'), 'utf8')) as { status: string; events: unknown[] };
    expect(onDisk.status).toBe('RUNNING');
    expect(onDisk.events).toHaveLength(firstRun.length);
    expect((await readdir(join(dataDir, 'stepfunctions', 'executions', 'Quick'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const secondInputs: unknown[] = [];
    const second = await start(machines, async (_r, input) => {
      secondInputs.push(input);
      return { run: 2 };
    }, dataDir);
    // Resumed from the start with the original input; the finished execution is not re-run.
    await waitFor(async () => secondInputs.length, (n) => n === 1);
    expect(secondInputs).toEqual([{ caseId: 'c-3' }]);
    expect(await describeExecution(second.sfn, parked.executionArn!)).toMatchObject({ status: 'RUNNING', input: '{"caseId":"c-3"}' });
    expect(await describeExecution(second.sfn, quick.executionArn!)).toMatchObject({ status: 'SUCCEEDED', output: '{"run":1}' });
    expect(types(await history(second.sfn, quick.executionArn!)).at(-1)).toBe('ExecutionSucceeded');

    const resumed = await waitForEvent(second.sfn, parked.executionArn!, 'WaitStateEntered', 2);
    expect(resumed.slice(0, firstRun.length)).toEqual(firstRun);
    expect(types(resumed.slice(firstRun.length))).toEqual(['TaskStateEntered', 'LambdaFunctionScheduled', 'LambdaFunctionStarted', 'LambdaFunctionSucceeded', 'TaskStateExited', 'WaitStateEntered']);
    expect(types(resumed).filter((t) => t === 'ExecutionStarted')).toHaveLength(1);
    resumed.forEach((e, i) => expect(e.id).toBe(i + 1));
    // Same name + same input while RUNNING is still the same execution after the restart.
    expect((await second.sfn.send(new StartExecutionCommand({ stateMachineArn: machineArn('Parked'), name: 'case-3-v1', input: '{"caseId":"c-3"}' }))).executionArn).toBe(parked.executionArn);

    await second.sfn.send(new StopExecutionCommand({ executionArn: parked.executionArn }));
    await second.server.stop();
    const third = await start(machines, async () => {
      throw new Error('an aborted execution must not be resumed');
    }, dataDir);
    expect(await describeExecution(third.sfn, parked.executionArn!)).toMatchObject({ status: 'ABORTED' });
    expect(types(await history(third.sfn, parked.executionArn!)).at(-1)).toBe('ExecutionAborted');
    expect(firstInputs).toHaveLength(2);
  });

  it('survives kill -9: a RUNNING execution persisted by a killed process is resumed by the next start', async () => {
    const dataDir = await tempDir();
    const moduleUrl = pathToFileURL(join(import.meta.dirname, '../../local/stepfunctions/index.ts')).href;
    const childCode = `
      import { startLocalStepFunctions } from ${JSON.stringify(moduleUrl)};
      const server = await startLocalStepFunctions({
        port: 0, dataDir: ${JSON.stringify(dataDir)},
        stateMachines: [{ name: 'Parked', arn: ${JSON.stringify(machineArn('Parked'))}, definition: ${JSON.stringify(parkedDefinition)} }],
        dispatch: async () => ({ child: true }),
      });
      console.log(JSON.stringify({ url: server.url }));`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', childCode], {
      cwd: join(import.meta.dirname, '../..'),
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    });
    const childUrl = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve((JSON.parse(line) as { url: string }).url);
      });
      child.once('exit', () => reject(new Error(`child exited early: ${out}`)));
    });
    const childSfn = new SFNClient({ endpoint: childUrl, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    cleanups.push(async () => childSfn.destroy());
    const { executionArn } = await childSfn.send(new StartExecutionCommand({ stateMachineArn: machineArn('Parked'), name: 'case-9-v1', input: '{"caseId":"c-9"}' }));
    const file = join(dataDir, 'stepfunctions', 'executions', 'Parked', 'case-9-v1.json');
    await waitFor(() => readFile(file, 'utf8'), (text) => text.includes('WaitStateEntered'));

    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const inputs: unknown[] = [];
    const { sfn } = await start([machine('Parked', parkedDefinition)], async (_r, input) => {
      inputs.push(input);
      return { parent: true };
    }, dataDir);
    expect(await describeExecution(sfn, executionArn!)).toMatchObject({ status: 'RUNNING' });
    const events = await waitForEvent(sfn, executionArn!, 'WaitStateEntered', 2);
    expect(inputs).toEqual([{ caseId: 'c-9' }]);
    expect(types(events).slice(0, 7)).toEqual(['ExecutionStarted', 'TaskStateEntered', 'LambdaFunctionScheduled', 'LambdaFunctionStarted', 'LambdaFunctionSucceeded', 'TaskStateExited', 'WaitStateEntered']);
    expect(events.find((e) => e.type === 'LambdaFunctionSucceeded')!.lambdaFunctionSucceededEventDetails!.output).toBe('{"child":true}');
  });
});
