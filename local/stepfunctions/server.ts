// local/stepfunctions/server.ts — the HTTP face (AWS JSON 1.0 protocol) and start-up/stop of the local Step Functions service.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { isStateMachineArn } from './arns.ts';
import { definitionHash, indexTaskStates } from './definition.ts';
import { installLongTimers } from './long-timers.ts';
import { createOperations, ServiceError, type LocalStateMachine, type Operation } from './operations.ts';
import { ensurePromiseWithResolvers } from './polyfills.ts';
import { ExecutionRunner } from './runner.ts';
import { ExecutionStore } from './store.ts';
import type { LocalStepFunctions, LocalStepFunctionsOptions } from './types.ts';

const TARGET_PREFIX = 'AWSStepFunctions.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';
const MAX_BODY_BYTES = 4 * 1024 * 1024;

export async function startLocalStepFunctions(opts: LocalStepFunctionsOptions): Promise<LocalStepFunctions> {
  installLongTimers();
  ensurePromiseWithResolvers();
  const log = opts.log ?? (() => {});
  const region = opts.region ?? opts.stateMachines[0]?.arn.split(':')[3] ?? 'us-east-1';
  const accountId = opts.accountId ?? '000000000000';
  const machines = loadStateMachines(opts, accountId);

  const store = await ExecutionStore.open(opts.dataDir, log);
  for (const m of machines.values()) await store.putDefinition(m.definitionHash, m.definitionText);
  const runner = new ExecutionRunner({ store, dispatch: opts.dispatch, region, log });
  const operations = createOperations({ machines, store, runner });

  const server = createServer((req, res) => void handleRequest(req, res, operations, log));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  const url = `http://${urlHost(address)}:${port}`;
  log(`stepfunctions: listening on ${url} (${machines.size} state machine(s), ${opts.dataDir ? `data in ${opts.dataDir}` : 'in memory'})`);

  // Resume only once listening: a resumed task may call back into this API (e.g. to start the next timer).
  for (const record of store.all()) {
    if (record.status !== 'RUNNING') continue;
    const current = machines.get(record.stateMachineArn);
    runner.resume(record, current ? (JSON.parse(current.definitionText) as object) : undefined);
  }

  let stopping: Promise<void> | undefined;
  return {
    url,
    port,
    stop: () =>
      (stopping ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        await runner.shutdown();
        server.closeAllConnections(); // SDK clients keep connections alive; close() alone would wait for them
        await closed;
      })()),
  };
}

/** Validates every definition up front (the library's ASL validator) so a bad template fails at start, not at run. */
function loadStateMachines(opts: LocalStepFunctionsOptions, accountId: string): Map<string, LocalStateMachine> {
  const machines = new Map<string, LocalStateMachine>();
  const creationDate = Date.now();
  for (const spec of opts.stateMachines) {
    if (!isStateMachineArn(spec.arn)) throw new Error(`State machine '${spec.name}': not a state machine ARN: ${spec.arn}`);
    if (machines.has(spec.arn)) throw new Error(`State machine ARN listed twice: ${spec.arn}`);
    try {
      new StateMachine(spec.definition as StateMachineDefinition);
      indexTaskStates(spec.definition);
    } catch (err) {
      throw new Error(`State machine '${spec.name}': ${(err as Error).message}`);
    }
    const definitionText = JSON.stringify(spec.definition);
    machines.set(spec.arn, {
      spec,
      definitionText,
      definitionHash: definitionHash(definitionText),
      roleArn: spec.roleArn ?? `arn:aws:iam::${accountId}:role/${spec.name}Role`,
      creationDate,
    });
  }
  return machines;
}

async function handleRequest(req: IncomingMessage, res: ServerResponse, operations: Record<string, Operation>, log: (line: string) => void): Promise<void> {
  const requestId = randomUUID();
  try {
    const target = req.headers['x-amz-target'];
    const name = typeof target === 'string' && target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : undefined;
    const operation = req.method === 'POST' && name !== undefined && Object.hasOwn(operations, name) ? operations[name] : undefined;
    const text = await readBody(req);
    if (!operation) throw new ServiceError('UnknownOperationException', `Unknown operation: ${String(target ?? `${req.method} ${req.url}`)}`);
    let body: unknown;
    try {
      body = text.trim() === '' ? {} : JSON.parse(text);
    } catch {
      throw new ServiceError('SerializationException', 'Request body is not valid JSON');
    }
    send(res, 200, requestId, await operation(body));
  } catch (err) {
    if (err instanceof ServiceError) {
      send(res, err.statusCode, requestId, { __type: err.code, message: err.message }, err.code);
    } else {
      log(`stepfunctions: internal error: ${(err as Error).stack ?? String(err)}`);
      send(res, 500, requestId, { __type: 'InternalFailure', message: (err as Error).message }, 'InternalFailure');
    }
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ServiceError('ValidationException', 'Request body too large', 413);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, requestId: string, payload: object, errorType?: string): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  res.end(body);
}

function urlHost(address: string): string {
  if (address === '0.0.0.0' || address === '::') return '127.0.0.1';
  return address.includes(':') ? `[${address}]` : address;
}
