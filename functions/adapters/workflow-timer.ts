// Secondary adapter: each case's timer is a Step Functions execution named after the case and its timer version.
import {
  DescribeExecutionCommand,
  DescribeStateMachineForExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { sfn } from '../commons/clients/sfn.ts';
import { stateMachineArn } from '../commons/config.ts';

/** What every execution of the escalation workflow starts with: it first waits until `wakeAt`. */
export interface TimerInput {
  caseId: string;
  timerVersion: number;
  wakeAt: string;
}

export function executionName(caseId: string, timerVersion: number): string {
  return `${caseId}-v${timerVersion}`;
}

/** arn:aws:states:R:A:stateMachine:NAME → arn:aws:states:R:A:execution:NAME:EXEC (documented ARN format). */
export function executionArn(caseId: string, timerVersion: number): string {
  return stateMachineArn().replace(':stateMachine:', ':execution:') + ':' + executionName(caseId, timerVersion);
}

export const workflowTimer = {
  /** Idempotent: the deterministic name makes a retried start find the execution it already started. */
  async start(caseId: string, timerVersion: number, wakeAt: string): Promise<void> {
    const input: TimerInput = { caseId, timerVersion, wakeAt };
    try {
      await sfn().send(
        new StartExecutionCommand({ stateMachineArn: stateMachineArn(), name: executionName(caseId, timerVersion), input: JSON.stringify(input) }),
      );
    } catch (e) {
      if (!(e instanceof ExecutionAlreadyExists)) throw e;
    }
  },

  /** Best effort: a timer that is not stopped exits by itself at its next wake-up (its version is stale). */
  async stop(caseId: string, timerVersion: number, cause: string): Promise<void> {
    try {
      await sfn().send(new StopExecutionCommand({ executionArn: executionArn(caseId, timerVersion), error: 'Retimed', cause }));
    } catch (e) {
      if (!(e instanceof ExecutionDoesNotExist)) throw e;
    }
  },

  async describe(caseId: string, timerVersion: number) {
    try {
      return await sfn().send(new DescribeExecutionCommand({ executionArn: executionArn(caseId, timerVersion) }));
    } catch (e) {
      if (e instanceof ExecutionDoesNotExist) return undefined;
      throw e;
    }
  },

  /** The definition (ASL, parsed) the execution runs: it may predate the state machine's current one. */
  async definition(caseId: string, timerVersion: number): Promise<unknown> {
    try {
      const r = await sfn().send(new DescribeStateMachineForExecutionCommand({ executionArn: executionArn(caseId, timerVersion) }));
      return r.definition ? (JSON.parse(r.definition) as unknown) : null;
    } catch (e) {
      if (e instanceof ExecutionDoesNotExist) return null;
      throw e;
    }
  },

  async history(caseId: string, timerVersion: number, maxEvents = 200): Promise<HistoryEvent[]> {
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const r = await sfn().send(
        new GetExecutionHistoryCommand({ executionArn: executionArn(caseId, timerVersion), maxResults: 100, nextToken, includeExecutionData: true }),
      );
      events.push(...(r.events ?? []));
      nextToken = r.nextToken;
    } while (nextToken && events.length < maxEvents);
    return events;
  },
};
