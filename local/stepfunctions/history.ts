// local/stepfunctions/history.ts — turns aws-local-stepfunctions' event log (+ what the task dispatcher saw) into AWS history events.
//
// The library reports StateEntered/StateExited/StateFailed/StateRetried… but nothing about the task invocation itself,
// while AWS history has TaskScheduled/TaskStarted/TaskSucceeded/TaskFailed (or the LambdaFunction*/Activity* forms).
// The task handler therefore records one "attempt" per invocation (effective input, raw result or error) and this
// module pairs attempts with the library's events. Pairing is by order per state name: the library invokes the
// handler synchronously right after it logs StateEntered/StateRetried, and a Task attempt that fails before the
// handler runs (InputPath/Parameters errors) is a non-retryable States.Runtime error that ends the execution — so the
// n-th attempt-opening event of a state always belongs to its n-th invocation. Map iterations of one state run
// concurrently, so Tasks inside a Map are described from the library's events alone.
import type { StateMachine } from 'aws-local-stepfunctions';
import type { JsonValue, TaskStateInfo } from './definition.ts';

/** One entry of the library's `eventLogs` stream (its EventLog type is not exported). */
export type LibraryEvent = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

export type TaskOutcome = { ok: true; output: JsonValue; at: number } | { ok: false; error: string; cause: string; at: number };

export interface TaskAttempt {
  readonly info: TaskStateInfo;
  readonly input: JsonValue;
  readonly startedAt: number;
  outcome?: TaskOutcome;
}

export type RunOutcome =
  | { status: 'SUCCEEDED'; output: string }
  | { status: 'FAILED' | 'TIMED_OUT'; error?: string; cause?: string };

export type AppendEvent = (type: string, timestamp: number, details?: Record<string, unknown>) => void;

const NOT_TRUNCATED = { truncated: false };
// The library's stand-ins when a Fail state names no Error/Cause; AWS then reports neither.
const FAIL_STATE_DEFAULT_ERROR = 'FailStateError';
const FAIL_STATE_DEFAULT_CAUSE = 'Execution failed because of a Fail state';

export function toJsonText(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value);
}

function causeText(cause: unknown): string | undefined {
  if (cause === undefined || cause === null) return undefined;
  if (typeof cause === 'string') return cause;
  if (cause instanceof Error) return cause.message;
  return JSON.stringify(cause);
}

/** AWS names the details member after the event type, except that every *StateEntered/*StateExited share one shape. */
export function detailsKeyFor(type: string): string {
  if (type.endsWith('StateEntered')) return 'stateEnteredEventDetails';
  if (type.endsWith('StateExited')) return 'stateExitedEventDetails';
  return `${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`;
}

type ResourceKind =
  | { kind: 'lambda'; resource: string }
  | { kind: 'activity'; resource: string }
  | { kind: 'task'; resourceType: string; resource: string };

/** How AWS labels a Task's resource in history: Lambda ARNs and activities have their own event families. */
export function classifyResource(resource: string): ResourceKind {
  if (/^arn:[^:]+:lambda:[^:]*:[^:]*:function:/.test(resource)) return { kind: 'lambda', resource };
  if (/^arn:[^:]+:states:[^:]*:[^:]*:activity:/.test(resource)) return { kind: 'activity', resource };
  // Service integrations: arn:aws:states:::<type…>:<action>[:<version>] → resourceType '<type…>', resource '<action>'.
  const parts = resource.split(':').slice(5);
  if (parts.length >= 2 && /^\d+$/.test(parts[parts.length - 1] ?? '')) {
    const version = parts.pop();
    parts[parts.length - 1] = `${parts[parts.length - 1]}:${version}`;
  }
  const action = parts.pop() ?? resource;
  return { kind: 'task', resourceType: parts.join(':') || 'unknown', resource: action };
}

export class RunHistory {
  private readonly pendingAttempts = new Map<string, TaskAttempt[]>();
  private readonly currentAttempt = new Map<string, TaskAttempt>();
  private lastFailedStateType: string | undefined;

  constructor(
    private readonly opts: {
      tasks: ReadonlyMap<string, TaskStateInfo>;
      region: string;
      roleArn: string;
      /** A resumed run continues an existing history: AWS has one ExecutionStarted per execution. */
      resumed: boolean;
      append: AppendEvent;
    },
  ) {}

  /** Called by the task handler at invocation time; the returned attempt receives the outcome. */
  taskInvoked(info: TaskStateInfo, input: JsonValue): TaskAttempt {
    const attempt: TaskAttempt = { info, input, startedAt: Date.now() };
    if (!info.insideMap) {
      const queue = this.pendingAttempts.get(info.name) ?? [];
      queue.push(attempt);
      this.pendingAttempts.set(info.name, queue);
    }
    return attempt;
  }

  /** Maps one library event; returns the run's outcome when the event closes the execution. */
  handle(event: LibraryEvent): RunOutcome | undefined {
    const { append } = this.opts;
    switch (event.type) {
      case 'ExecutionStarted':
        if (!this.opts.resumed) {
          append('ExecutionStarted', event.timestamp, {
            input: toJsonText(event.input),
            inputDetails: NOT_TRUNCATED,
            roleArn: this.opts.roleArn,
          });
        }
        return undefined;
      case 'StateEntered': {
        const { name, type, input } = event.state;
        append(`${type}StateEntered`, event.timestamp, { name, input: toJsonText(input), inputDetails: NOT_TRUNCATED });
        if (type === 'Task') this.openTaskAttempt(name, input, event.timestamp);
        if (type === 'Parallel') append('ParallelStateStarted', event.timestamp);
        if (type === 'Map') append('MapStateStarted', event.timestamp);
        return undefined;
      }
      case 'StateRetried':
        if (event.state.type === 'Task') this.openTaskAttempt(event.state.name, event.state.input, event.timestamp);
        return undefined;
      case 'StateFailed': {
        const { name, type } = event.state;
        this.lastFailedStateType = type;
        if (type === 'Task') this.closeTaskAttemptFailed(name, event.Error, causeText(event.Cause) ?? '', event.timestamp);
        if (type === 'Parallel') append('ParallelStateFailed', event.timestamp);
        if (type === 'Map') append('MapStateFailed', event.timestamp);
        return undefined;
      }
      case 'StateExited': {
        const { name, type, output } = event.state;
        if (type === 'Task') this.closeTaskAttemptSucceeded(name, output ?? null, event.timestamp);
        if (type === 'Parallel') append('ParallelStateSucceeded', event.timestamp);
        if (type === 'Map') append('MapStateSucceeded', event.timestamp);
        append(`${type}StateExited`, event.timestamp, { name, output: toJsonText(output), outputDetails: NOT_TRUNCATED });
        return undefined;
      }
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed':
        append(event.type, event.timestamp, { name: event.parentState.name, index: event.index });
        return undefined;
      case 'ExecutionSucceeded': {
        const output = toJsonText(event.output);
        append('ExecutionSucceeded', event.timestamp, { output, outputDetails: NOT_TRUNCATED });
        return { status: 'SUCCEEDED', output };
      }
      case 'ExecutionFailed': {
        let error: string | undefined = event.Error;
        let cause = causeText(event.Cause);
        if (this.lastFailedStateType === 'Fail') {
          if (error === FAIL_STATE_DEFAULT_ERROR) error = undefined;
          if (cause === FAIL_STATE_DEFAULT_CAUSE) cause = undefined;
        }
        append('ExecutionFailed', event.timestamp, withDefined({ error, cause }));
        return { status: 'FAILED', ...withDefined({ error, cause }) };
      }
      case 'ExecutionTimeout': {
        const error = 'States.Timeout';
        const cause = 'The execution exceeded its TimeoutSeconds';
        append('ExecutionTimedOut', event.timestamp, { error, cause });
        return { status: 'TIMED_OUT', error, cause };
      }
      // Aborts are recorded by StopExecution itself (with the caller's error/cause); a shutdown is not an abort.
      // Parallel branches and StateCaught have no AWS history event of their own.
      default:
        return undefined;
    }
  }

  private openTaskAttempt(stateName: string, stateInput: JsonValue, timestamp: number): void {
    const info = this.opts.tasks.get(stateName);
    if (!info) return;
    let parameters: JsonValue = stateInput;
    let at = timestamp;
    if (!info.insideMap) {
      const attempt = this.pendingAttempts.get(stateName)?.shift();
      if (!attempt) return; // input processing failed before the task was invoked: AWS schedules nothing either
      this.currentAttempt.set(stateName, attempt);
      parameters = attempt.input;
      at = attempt.startedAt;
    }
    const kind = classifyResource(info.resource);
    const input = toJsonText(parameters);
    const timeoutInSeconds = info.timeoutSeconds;
    const heartbeatInSeconds = info.heartbeatSeconds;
    if (kind.kind === 'lambda') {
      this.opts.append('LambdaFunctionScheduled', at, withDefined({ resource: kind.resource, input, inputDetails: NOT_TRUNCATED, timeoutInSeconds }));
      this.opts.append('LambdaFunctionStarted', at);
    } else if (kind.kind === 'activity') {
      this.opts.append('ActivityScheduled', at, withDefined({ resource: kind.resource, input, inputDetails: NOT_TRUNCATED, timeoutInSeconds, heartbeatInSeconds }));
      this.opts.append('ActivityStarted', at, { workerName: 'local' });
    } else {
      const { resourceType, resource } = kind;
      this.opts.append('TaskScheduled', at, withDefined({ resourceType, resource, region: this.opts.region, parameters: input, timeoutInSeconds, heartbeatInSeconds }));
      this.opts.append('TaskStarted', at, { resourceType, resource });
    }
  }

  private closeTaskAttemptSucceeded(stateName: string, stateOutput: JsonValue, timestamp: number): void {
    const info = this.opts.tasks.get(stateName);
    if (!info) return;
    if (info.insideMap) {
      this.appendTaskResult(info, 'Succeeded', timestamp, { output: toJsonText(stateOutput) });
      return;
    }
    const attempt = this.currentAttempt.get(stateName);
    this.currentAttempt.delete(stateName);
    // No attempt here means it already closed as failed and a Catch routed on: only TaskStateExited follows.
    if (attempt?.outcome?.ok) this.appendTaskResult(info, 'Succeeded', attempt.outcome.at, { output: toJsonText(attempt.outcome.output) });
  }

  private closeTaskAttemptFailed(stateName: string, error: string, cause: string, timestamp: number): void {
    const info = this.opts.tasks.get(stateName);
    if (!info) return;
    if (info.insideMap) {
      this.appendTaskResult(info, error === 'States.Timeout' ? 'TimedOut' : 'Failed', timestamp, { error, cause });
      return;
    }
    const attempt = this.currentAttempt.get(stateName);
    if (!attempt) return;
    this.currentAttempt.delete(stateName);
    const outcome = attempt.outcome;
    if (error === 'States.Timeout' && outcome?.ok !== false) {
      this.appendTaskResult(info, 'TimedOut', timestamp, { error, cause });
    } else if (outcome?.ok === false) {
      this.appendTaskResult(info, 'Failed', outcome.at, { error: outcome.error, cause: outcome.cause });
    } else if (outcome?.ok) {
      // The task itself succeeded; ResultSelector/ResultPath/OutputPath failed afterwards (ExecutionFailed follows).
      this.appendTaskResult(info, 'Succeeded', outcome.at, { output: toJsonText(outcome.output) });
    }
  }

  private appendTaskResult(info: TaskStateInfo, result: 'Succeeded' | 'Failed' | 'TimedOut', at: number, data: Record<string, unknown>): void {
    const kind = classifyResource(info.resource);
    const withOutputDetails = 'output' in data ? { ...data, outputDetails: NOT_TRUNCATED } : data;
    if (kind.kind === 'lambda') this.opts.append(`LambdaFunction${result}`, at, withOutputDetails);
    else if (kind.kind === 'activity') this.opts.append(`Activity${result}`, at, withOutputDetails);
    else this.opts.append(`Task${result}`, at, { resourceType: kind.resourceType, resource: kind.resource, ...withOutputDetails });
  }
}

function withDefined<T extends Record<string, unknown>>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
