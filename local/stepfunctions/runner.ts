// local/stepfunctions/runner.ts — runs (and resumes) executions on aws-local-stepfunctions, routing every Task to the dispatcher.
import { StateMachine } from 'aws-local-stepfunctions';
import { definitionForRun, indexTaskStates, type JsonValue, type TaskStateInfo } from './definition.ts';
import { detailsKeyFor, RunHistory, toJsonText, type LibraryEvent, type RunOutcome } from './history.ts';
import { ensurePromiseWithResolvers } from './polyfills.ts';
import type { ExecutionStore } from './store.ts';
import type { ExecutionRecord, TaskDispatcher } from './types.ts';

ensurePromiseWithResolvers();

type RunOptions = NonNullable<Parameters<StateMachine['run']>[1]>;
type TaskHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;

interface ActiveRun {
  readonly controller: AbortController;
  /** running: normal; stopping: StopExecution in progress; shutdown: process stop, the record stays RUNNING. */
  mode: 'running' | 'stopping' | 'shutdown';
  done: Promise<void>;
}

/**
 * Thrown instead of dispatching once a run is aborted: the library only checks for an abort between states, so a
 * Retry scheduled before the abort would otherwise call the dispatcher again. Not retryable or catchable (the
 * library reads these flags), so it ends the dead run at once.
 */
class RunAbortedError extends Error {
  override name = 'States.Runtime';
  get isRetryable(): boolean {
    return false;
  }
  get isCatchable(): boolean {
    return false;
  }
}

/**
 * A plain Error carrying only name and message, like an error that crossed a Lambda/SDK boundary. Retry/Catch
 * match on `name` (States.TaskFailed and States.ALL match any name); dropping the rest keeps stray `cause`
 * objects or retry flags on a caller's error from changing what the library reports.
 */
function toTaskError(thrown: unknown): Error {
  const candidate = thrown as { name?: unknown; message?: unknown } | null | undefined;
  const name = typeof candidate?.name === 'string' && candidate.name !== '' ? candidate.name : 'Error';
  const message = typeof candidate?.message === 'string' ? candidate.message : String(thrown);
  const error = new Error(message);
  error.name = name;
  return error;
}

export class ExecutionRunner {
  private readonly active = new Map<string, ActiveRun>();
  /** Set by shutdown(): late starts stay RUNNING on disk and run on the next start instead of escaping the stop. */
  private closed = false;

  constructor(
    private readonly deps: {
      store: ExecutionStore;
      dispatch: TaskDispatcher;
      region: string;
      log: (line: string) => void;
    },
  ) {}

  /** Starts a new execution, or (resumed) re-runs a RUNNING one from its start with its original input. */
  start(record: ExecutionRecord, definition: object, resumed: boolean): void {
    if (this.closed) return;
    const tasks = indexTaskStates(definition);
    const runDefinition = definitionForRun(definition, Date.now() - record.startDate);
    if (!runDefinition) {
      // The execution's TimeoutSeconds ran out while no process was running it.
      const error = 'States.Timeout';
      const cause = 'The execution exceeded its TimeoutSeconds';
      this.append(record, 'ExecutionTimedOut', Date.now(), { error, cause });
      this.finish(record, { status: 'TIMED_OUT', error, cause });
      return;
    }
    // Validated once when the server started (or when this execution first started): skip the costly re-check.
    const machine = new StateMachine(runDefinition, { validationOptions: { noValidate: true } });
    const controller = new AbortController();
    const history = new RunHistory({
      tasks,
      region: this.deps.region,
      roleArn: record.roleArn,
      resumed,
      append: (type, timestamp, details) => this.append(record, type, timestamp, details),
    });
    const handlers: TaskHandlers = {};
    for (const info of tasks.values()) {
      handlers[info.name] = (input) => this.invokeTask(info, input, record, history, controller.signal);
    }
    const execution = machine.run(JSON.parse(record.input) as JsonValue, {
      overrides: { taskResourceLocalHandlers: handlers },
      noThrowOnAbort: true,
      // $$.Execution.*: the library sets Input and StartTime itself (StartTime = when this run began).
      context: {
        Execution: {
          Id: record.executionArn,
          Name: record.name,
          RoleArn: record.roleArn,
          StartTime: new Date(record.startDate).toISOString(),
          RedriveCount: 0,
        },
        StateMachine: { Id: record.stateMachineArn, Name: record.stateMachineName },
      },
    });
    controller.signal.addEventListener('abort', () => execution.abort(), { once: true });
    const run: ActiveRun = { controller, mode: 'running', done: Promise.resolve() };
    this.active.set(record.executionArn, run);
    run.done = this.consume(record, history, execution, run);
    this.deps.log(`stepfunctions: ${resumed ? `resumed (run ${record.runs})` : 'started'} ${record.executionArn}`);
  }

  /**
   * After a restart: re-run a RUNNING execution from its start with its original input and the definition it
   * started with (the workflow re-reads its data on every wake-up, so this is safe); its history continues.
   */
  resume(record: ExecutionRecord, currentDefinition: object | undefined): void {
    record.runs += 1;
    const stored = this.deps.store.definition(record.definitionHash);
    const definition = stored === undefined ? currentDefinition : (JSON.parse(stored) as object);
    if (!definition) {
      const error = 'States.Runtime';
      const cause = `Cannot resume: definition ${record.definitionHash} is not available`;
      this.append(record, 'ExecutionFailed', Date.now(), { error, cause });
      this.finish(record, { status: 'FAILED', error, cause });
      return;
    }
    if (stored === undefined) this.deps.log(`stepfunctions: resuming ${record.executionArn} on the current definition (its own is missing)`);
    this.start(record, definition, true);
  }

  /** StopExecution: abort the run, keep the events it logged before the abort, then record ExecutionAborted. */
  async stop(record: ExecutionRecord, error: string | undefined, cause: string | undefined): Promise<void> {
    const run = this.active.get(record.executionArn);
    if (run) {
      if (run.mode === 'running') {
        run.mode = 'stopping';
        run.controller.abort();
      }
      await run.done;
    }
    if (record.status !== 'RUNNING') return; // it finished before the abort landed, or another stop won
    const details = Object.fromEntries(Object.entries({ error, cause }).filter(([, v]) => v !== undefined));
    this.append(record, 'ExecutionAborted', Date.now(), Object.keys(details).length ? details : undefined);
    record.status = 'ABORTED';
    record.stopDate = Date.now();
    record.error = error;
    record.cause = cause;
    this.deps.store.save(record);
    await this.deps.store.flush(record);
  }

  /** Process stop: abort every run without recording an abort, so the persisted RUNNING executions resume later. */
  async shutdown(): Promise<void> {
    this.closed = true;
    const runs = [...this.active.values()];
    for (const run of runs) {
      run.mode = 'shutdown';
      run.controller.abort();
    }
    await Promise.all(runs.map((run) => run.done));
    await this.deps.store.flush();
  }

  private async invokeTask(info: TaskStateInfo, input: JsonValue, record: ExecutionRecord, history: RunHistory, signal: AbortSignal): Promise<JsonValue> {
    if (signal.aborted) throw new RunAbortedError('The execution was stopped');
    const attempt = history.taskInvoked(info, input);
    try {
      const result = await this.deps.dispatch(info.resource, structuredClone(input), {
        stateName: info.name,
        executionArn: record.executionArn,
      });
      // What a real invocation returns after JSON serialization (undefined → null, Dates → strings).
      const output = JSON.parse(toJsonText(result)) as JsonValue;
      attempt.outcome = { ok: true, output, at: Date.now() };
      return output;
    } catch (thrown) {
      const error = toTaskError(thrown);
      attempt.outcome = { ok: false, error: error.name, cause: error.message, at: Date.now() };
      throw error;
    }
  }

  private async consume(
    record: ExecutionRecord,
    history: RunHistory,
    execution: { eventLogs: AsyncGenerator<LibraryEvent>; result: Promise<unknown> },
    run: ActiveRun,
  ): Promise<void> {
    try {
      // Events logged before an abort are kept (they happened); the library closes the log on abort.
      for await (const event of execution.eventLogs) {
        const outcome = history.handle(event);
        if (outcome) this.finish(record, outcome);
        else this.deps.store.save(record);
      }
      await execution.result.catch(() => undefined); // the outcome came through the event log
      if (run.mode === 'running' && record.status === 'RUNNING') {
        this.finish(record, { status: 'FAILED', error: 'States.Runtime', cause: 'The local runner ended without an outcome' });
      }
    } catch (err) {
      this.deps.log(`stepfunctions: run of ${record.executionArn} crashed: ${(err as Error).stack ?? String(err)}`);
      if (run.mode === 'running') this.finish(record, { status: 'FAILED', error: 'States.Runtime', cause: String(err) });
    } finally {
      if (this.active.get(record.executionArn) === run) this.active.delete(record.executionArn);
    }
  }

  private finish(record: ExecutionRecord, outcome: RunOutcome): void {
    if (record.status !== 'RUNNING') return;
    record.status = outcome.status;
    record.stopDate = Date.now();
    if (outcome.status === 'SUCCEEDED') record.output = outcome.output;
    else {
      record.error = outcome.error;
      record.cause = outcome.cause;
    }
    this.deps.store.save(record);
    this.deps.log(`stepfunctions: ${record.executionArn} ${record.status}${record.error ? ` (${record.error})` : ''}`);
  }

  private append(record: ExecutionRecord, type: string, timestamp: number, details?: Record<string, unknown>): void {
    const previous = record.events[record.events.length - 1];
    const id = (previous?.id ?? 0) + 1;
    record.events.push({
      id,
      previousEventId: id - 1,
      // History reads in time order; task events carry the dispatcher's own clock readings.
      timestamp: Math.max(timestamp, previous?.timestamp ?? 0),
      type,
      ...(details ? { details: { [detailsKeyFor(type)]: details } } : {}),
    });
  }
}
