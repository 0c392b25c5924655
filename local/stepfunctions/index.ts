// local/stepfunctions/index.ts — public entry of the local, wire-compatible Step Functions server.
export { startLocalStepFunctions } from './server.ts';
export { installLongTimers, MAX_TIMER_DELAY_MS } from './long-timers.ts';
export type {
  ExecutionStatus,
  LocalStateMachineSpec,
  LocalStepFunctions,
  LocalStepFunctionsOptions,
  TaskDispatcher,
} from './types.ts';
