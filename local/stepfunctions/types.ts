// local/stepfunctions/types.ts — public options of the local Step Functions server and the shapes it keeps per execution.

export interface LocalStateMachineSpec {
  name: string; // e.g. 'EscalationWorkflow'
  arn: string; // e.g. 'arn:aws:states:us-east-1:000000000000:stateMachine:EscalationWorkflow'
  definition: object; // ASL (JSONPath), already resolved from the CloudFormation template by the caller
  roleArn?: string;
}

/**
 * Called for every Task state. `resource` is the state's Resource string, `input` the effective task input (after
 * InputPath/Parameters). Returns the task result. A thrown Error's `name` is the error name Retry/Catch match on.
 */
export type TaskDispatcher = (
  resource: string,
  input: unknown,
  meta: { stateName: string; executionArn: string },
) => Promise<unknown>;

export interface LocalStepFunctionsOptions {
  port: number; // 0 = ephemeral; the caller's default is 8083
  host?: string; // default 127.0.0.1
  dataDir?: string; // executions + history persist under <dataDir>/stepfunctions; undefined = in memory only
  stateMachines: LocalStateMachineSpec[];
  dispatch: TaskDispatcher;
  region?: string;
  accountId?: string;
  log?: (line: string) => void;
}

export interface LocalStepFunctions {
  url: string;
  port: number;
  /** Stops HTTP and aborts in-flight runs WITHOUT marking them aborted, so a later start resumes them. */
  stop(): Promise<void>;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One history event as stored: AWS shape, except `timestamp` in epoch ms (the API renders epoch seconds). */
export interface StoredHistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
  /** Exactly one AWS details member, e.g. { stateEnteredEventDetails: { name, input } }; absent for detail-less types. */
  details?: Record<string, Record<string, unknown>>;
}

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  stateMachineName: string;
  name: string;
  status: ExecutionStatus;
  startDate: number; // epoch ms
  stopDate?: number;
  input: string; // JSON text, as given to StartExecution
  output?: string;
  error?: string;
  cause?: string;
  roleArn: string;
  /** sha256 of the definition the execution started with: running executions keep it across redeploys/restarts. */
  definitionHash: string;
  /** 1 for the first run, +1 for every resume after a restart. */
  runs: number;
  events: StoredHistoryEvent[];
}
