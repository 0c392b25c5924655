// local/stepfunctions/operations.ts — the Step Functions API operations (request validation, semantics, AWS-shaped responses).
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { executionArnFor, executionNameProblem, isExecutionArn, isStateMachineArn } from './arns.ts';
import type { ExecutionRunner } from './runner.ts';
import type { ExecutionStore } from './store.ts';
import type { ExecutionRecord, LocalStateMachineSpec, StoredHistoryEvent } from './types.ts';

/** An error the client sees as `{"__type": code, "message": …}` with the given HTTP status. */
export class ServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
  }
}

export interface LocalStateMachine {
  spec: LocalStateMachineSpec;
  definitionText: string;
  definitionHash: string;
  roleArn: string;
  creationDate: number; // epoch ms
}

export interface OperationContext {
  machines: ReadonlyMap<string, LocalStateMachine>;
  store: ExecutionStore;
  runner: ExecutionRunner;
}

export type Operation = (body: unknown) => Promise<object>;

const MAX_INPUT_BYTES = 256 * 1024; // the service's payload limit
const DEFAULT_PAGE = 100;

/** The JSON protocol's timestamp: epoch seconds, fractional. */
const seconds = (ms: number): number => ms / 1000;

/** The fields DescribeExecution and ListExecutions share. */
const executionSummary = (r: ExecutionRecord) => ({
  executionArn: r.executionArn,
  stateMachineArn: r.stateMachineArn,
  name: r.name,
  status: r.status,
  startDate: seconds(r.startDate),
  ...(r.stopDate !== undefined ? { stopDate: seconds(r.stopDate) } : {}),
});

const maxResults = z.number().int().min(0).max(1000).optional();
const schemas = {
  StartExecution: z.object({
    stateMachineArn: z.string(),
    name: z.string().optional(),
    input: z.string().optional(),
    traceHeader: z.string().optional(),
  }),
  StopExecution: z.object({
    executionArn: z.string(),
    error: z.string().max(256).optional(),
    cause: z.string().max(32768).optional(),
  }),
  DescribeExecution: z.object({ executionArn: z.string() }),
  ListExecutions: z.object({
    stateMachineArn: z.string().optional(),
    statusFilter: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE']).optional(),
    maxResults,
    nextToken: z.string().optional(),
  }),
  GetExecutionHistory: z.object({
    executionArn: z.string(),
    maxResults,
    reverseOrder: z.boolean().optional(),
    nextToken: z.string().optional(),
    includeExecutionData: z.boolean().optional(),
  }),
  ListStateMachines: z.object({ maxResults, nextToken: z.string().optional() }),
  DescribeStateMachine: z.object({ stateMachineArn: z.string() }),
  DescribeStateMachineForExecution: z.object({ executionArn: z.string() }),
};

function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues;
  const details = issues.map((i) => `Value at '${i.path.join('.') || '(body)'}' failed to satisfy constraint: ${i.message}`);
  throw new ServiceError('ValidationException', `${issues.length} validation error${issues.length === 1 ? '' : 's'} detected: ${details.join('; ')}`);
}

// Page tokens are opaque to clients; ours carry a cursor so pages stay stable while new items arrive.
function encodeToken(cursor: object): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeToken<T extends z.ZodType>(token: string | undefined, schema: T): z.infer<T> | undefined {
  if (token === undefined) return undefined;
  try {
    return schema.parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
  } catch {
    throw new ServiceError('InvalidToken', `Invalid Token: '${token}'`);
  }
}

function page<T>(items: T[], limit: number | undefined, cursorOf: (last: T) => object): { items: T[]; nextToken?: string } {
  const size = limit || DEFAULT_PAGE;
  if (items.length <= size) return { items };
  const taken = items.slice(0, size);
  return { items: taken, nextToken: encodeToken(cursorOf(taken[taken.length - 1] as T)) };
}

export function createOperations(ctx: OperationContext): Record<string, Operation> {
  const { machines, store, runner } = ctx;

  function requireMachine(arn: string): LocalStateMachine {
    if (!isStateMachineArn(arn)) throw new ServiceError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${arn}'`);
    const machine = machines.get(arn);
    if (!machine) throw new ServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  function requireExecution(arn: string): ExecutionRecord {
    if (!isExecutionArn(arn)) throw new ServiceError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${arn}'`);
    const record = store.get(arn);
    if (!record) throw new ServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return record;
  }

  return {
    async StartExecution(body) {
      const req = parse(schemas.StartExecution, body);
      const machine = requireMachine(req.stateMachineArn);
      const name = req.name ?? randomUUID();
      const nameProblem = executionNameProblem(name);
      if (nameProblem) throw new ServiceError('InvalidName', nameProblem);
      const input = req.input ?? '{}';
      if (Buffer.byteLength(input) > MAX_INPUT_BYTES) throw new ServiceError('InvalidExecutionInput', 'Execution input exceeds the 256 KiB limit');
      try {
        JSON.parse(input);
      } catch (err) {
        throw new ServiceError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${(err as Error).message}'`);
      }
      const executionArn = executionArnFor(machine.spec.arn, name);
      const existing = store.get(executionArn);
      if (existing) {
        // STANDARD idempotency: same name + same input while RUNNING is the same start; anything else is a reuse.
        if (existing.status === 'RUNNING' && existing.input === input) {
          return { executionArn, startDate: seconds(existing.startDate) };
        }
        throw new ServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
      }
      const record: ExecutionRecord = {
        executionArn,
        stateMachineArn: machine.spec.arn,
        stateMachineName: machine.spec.name,
        name,
        status: 'RUNNING',
        startDate: Date.now(),
        input,
        roleArn: machine.roleArn,
        definitionHash: machine.definitionHash,
        runs: 1,
        events: [],
      };
      store.insert(record);
      runner.start(record, JSON.parse(machine.definitionText) as object, false);
      await store.flush(record); // on disk before the caller hears "started": a crash now still resumes it
      return { executionArn, startDate: seconds(record.startDate) };
    },

    async StopExecution(body) {
      const req = parse(schemas.StopExecution, body);
      const record = requireExecution(req.executionArn);
      // Stopping a closed execution changes nothing.
      if (record.status === 'RUNNING') await runner.stop(record, req.error, req.cause);
      return { stopDate: seconds(record.stopDate ?? Date.now()) };
    },

    async DescribeExecution(body) {
      const req = parse(schemas.DescribeExecution, body);
      const r = requireExecution(req.executionArn);
      return {
        ...executionSummary(r),
        input: r.input,
        inputDetails: { included: true },
        ...(r.output !== undefined ? { output: r.output, outputDetails: { included: true } } : {}),
        ...(r.error !== undefined ? { error: r.error } : {}),
        ...(r.cause !== undefined ? { cause: r.cause } : {}),
        redriveCount: 0,
      };
    },

    async ListExecutions(body) {
      const req = parse(schemas.ListExecutions, body);
      if (req.stateMachineArn === undefined) throw new ServiceError('ValidationException', 'Must provide a StateMachine ARN or MapRun ARN');
      const machine = requireMachine(req.stateMachineArn);
      const after = decodeToken(req.nextToken, z.object({ s: z.number(), a: z.string() }));
      // Newest first; the ARN breaks ties so the order (and the cursor) is total.
      const newerFirst = (x: ExecutionRecord, y: ExecutionRecord): number =>
        y.startDate - x.startDate || (y.executionArn < x.executionArn ? -1 : y.executionArn > x.executionArn ? 1 : 0);
      const matching = store
        .all()
        .filter((r) => r.stateMachineArn === machine.spec.arn && (!req.statusFilter || r.status === req.statusFilter))
        .sort(newerFirst)
        .filter((r) => !after || r.startDate < after.s || (r.startDate === after.s && r.executionArn < after.a));
      const { items, nextToken } = page(matching, req.maxResults, (last) => ({ s: last.startDate, a: last.executionArn }));
      return {
        executions: items.map(executionSummary),
        ...(nextToken ? { nextToken } : {}),
      };
    },

    async GetExecutionHistory(body) {
      const req = parse(schemas.GetExecutionHistory, body);
      const record = requireExecution(req.executionArn);
      const after = decodeToken(req.nextToken, z.object({ id: z.number() }));
      const ordered = req.reverseOrder ? [...record.events].reverse() : record.events;
      const remaining = after ? ordered.filter((e) => (req.reverseOrder ? e.id < after.id : e.id > after.id)) : ordered;
      const { items, nextToken } = page(remaining, req.maxResults, (last) => ({ id: last.id }));
      const includeData = req.includeExecutionData ?? true;
      return { events: items.map((e) => renderEvent(e, includeData)), ...(nextToken ? { nextToken } : {}) };
    },

    async ListStateMachines(body) {
      const req = parse(schemas.ListStateMachines, body);
      const after = decodeToken(req.nextToken, z.object({ a: z.string() }));
      const all = [...machines.values()].sort((x, y) => (x.spec.arn < y.spec.arn ? -1 : 1)).filter((m) => !after || m.spec.arn > after.a);
      const { items, nextToken } = page(all, req.maxResults, (last) => ({ a: last.spec.arn }));
      return {
        stateMachines: items.map((m) => ({
          stateMachineArn: m.spec.arn,
          name: m.spec.name,
          type: 'STANDARD',
          creationDate: seconds(m.creationDate),
        })),
        ...(nextToken ? { nextToken } : {}),
      };
    },

    async DescribeStateMachine(body) {
      const req = parse(schemas.DescribeStateMachine, body);
      const m = requireMachine(req.stateMachineArn);
      return {
        stateMachineArn: m.spec.arn,
        name: m.spec.name,
        status: 'ACTIVE',
        definition: m.definitionText,
        roleArn: m.roleArn,
        type: 'STANDARD',
        creationDate: seconds(m.creationDate),
        loggingConfiguration: { level: 'OFF', includeExecutionData: false },
        tracingConfiguration: { enabled: false },
      };
    },

    async DescribeStateMachineForExecution(body) {
      const req = parse(schemas.DescribeStateMachineForExecution, body);
      const r = requireExecution(req.executionArn);
      // The definition this execution runs, which may predate the state machine's current one.
      const definition = store.definition(r.definitionHash) ?? machines.get(r.stateMachineArn)?.definitionText ?? '';
      return {
        stateMachineArn: r.stateMachineArn,
        name: r.stateMachineName,
        definition,
        roleArn: r.roleArn,
        updateDate: seconds(machines.get(r.stateMachineArn)?.creationDate ?? r.startDate),
        loggingConfiguration: { level: 'OFF', includeExecutionData: false },
        tracingConfiguration: { enabled: false },
      };
    },

    async StartSyncExecution() {
      throw new ServiceError('StateMachineTypeNotSupported', 'This operation is not supported by this type of state machine');
    },
  };
}

/** AWS event shape; without execution data, inputs/outputs/parameters are left out (their *Details stay). */
function renderEvent(event: StoredHistoryEvent, includeData: boolean): object {
  const details = Object.fromEntries(
    Object.entries(event.details ?? {}).map(([key, value]) => [
      key,
      includeData ? value : Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'input' && k !== 'output' && k !== 'parameters')),
    ]),
  );
  return { timestamp: seconds(event.timestamp), type: event.type, id: event.id, previousEventId: event.previousEventId, ...details };
}
