// Tracing: X-Ray subsegments for every AWS call (SDK clients' and the signed S3 requests) and one per invocation, sent
// to the X-Ray daemon as Lambda runs it.
//
// Why not Powertools Tracer: it brings aws-xray-sdk-core (CommonJS, cls-hooked, its own HTTP patching), which
// bench/deployed.ts measured at 1.38× the bare handler's size and 1.53× its import CPU *on the bare handler alone*
// (BENCHMARKS.md) — over the whole budget before any of our code. What we need from it is small: Lambda already
// records the function's segment; the SDK calls must show as `aws` subsegments under it. That is the documented
// daemon protocol (a JSON header line, then the subsegment document, over UDP to AWS_XRAY_DAEMON_ADDRESS), with the
// trace and parent ids Lambda puts in `_X_AMZN_TRACE_ID` for each invocation. Nothing is sent when the invocation is
// not sampled or there is no daemon (tests set one up to read what is sent).
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';

/** What an SDK client exposes to add a middleware (any v3 client). */
interface Instrumentable {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each client types its stack by its own commands
  middlewareStack: { add(mw: any, options: any): void };
  config: { region?: unknown };
}
type SdkMiddleware = (next: (args: unknown) => Promise<unknown>, context: { clientName?: string; commandName?: string }) => (args: unknown) => Promise<unknown>;

interface TraceHeader {
  root: string;
  parent: string;
  sampled: boolean;
}

/** `Root=1-…;Parent=…;Sampled=1` (Lambda sets it per invocation; the local stack does not). */
export function parseTraceHeader(header: string | undefined): TraceHeader | undefined {
  if (!header) return undefined;
  const parts = Object.fromEntries(header.split(';').map((p) => p.split('=') as [string, string]));
  if (!parts['Root'] || !parts['Parent']) return undefined;
  return { root: parts['Root'], parent: parts['Parent'], sampled: parts['Sampled'] === '1' };
}

export interface Subsegment {
  id: string;
  name: string;
  trace_id: string;
  parent_id: string;
  start_time: number;
  end_time?: number;
  type: 'subsegment';
  namespace?: 'aws' | 'remote';
  aws?: Record<string, unknown>;
  http?: { response: { status?: number } };
  annotations?: Record<string, string | number | boolean>;
  error?: boolean;
  fault?: boolean;
  throttle?: boolean;
  cause?: { exceptions: { id: string; type: string; message: string; remote?: boolean }[] };
}

const newId = () => randomBytes(8).toString('hex');
const seconds = () => Date.now() / 1000;

let socket: Socket | undefined;
function send(doc: Subsegment): void {
  const address = process.env['AWS_XRAY_DAEMON_ADDRESS'];
  if (!address) return;
  const udp = /(?:^|\s)udp:([^:\s]+):(\d+)/.exec(address) ?? /^([^:\s]+):(\d+)$/.exec(address);
  if (!udp) return;
  socket ??= createSocket('udp4').unref();
  socket.send(`{"format":"json","version":1}\n${JSON.stringify(doc)}`, Number(udp[2]), udp[1]);
}

/**
 * The invocation's handler subsegment: the parent of the SDK calls made while it runs. One invocation at a time runs
 * in an execution environment, unless Lambda runs several concurrently (AWS_LAMBDA_MAX_CONCURRENCY): then the
 * runtime gives each its own InvokeStore context, and the subsegment is kept there (as Powertools keeps its state).
 * The local stack runs its invocations the same way (local/invocations.ts).
 */
interface InvokeStore {
  hasContext(): boolean;
  get<T>(key: symbol): T | undefined;
  set<T>(key: symbol, value: T): void;
}
const INVOCATION = Symbol.for('escalator.tracing.invocation');
let shared: Subsegment | undefined;
function invokeStore(): InvokeStore | undefined {
  if (!process.env['AWS_LAMBDA_MAX_CONCURRENCY']) return undefined;
  const store = (globalThis as { awslambda?: { InvokeStore?: InvokeStore } }).awslambda?.InvokeStore;
  return store?.hasContext() ? store : undefined;
}
const current = {
  getStore: (): Subsegment | undefined => {
    const store = invokeStore();
    return store ? store.get<Subsegment>(INVOCATION) : shared;
  },
  enterWith: (seg: Subsegment | undefined): void => {
    const store = invokeStore();
    if (store) store.set(INVOCATION, seg);
    else shared = seg;
  },
};

/** The subsegment new work hangs under: the invocation's, else Lambda's own segment; undefined when not sampled. */
function parentOf(): { trace_id: string; parent_id: string } | undefined {
  const open = current.getStore();
  if (open) return { trace_id: open.trace_id, parent_id: open.id };
  const h = parseTraceHeader(process.env['_X_AMZN_TRACE_ID']);
  return h?.sampled ? { trace_id: h.root, parent_id: h.parent } : undefined;
}

let coldStart = true;

/**
 * Open the invocation's `## <name>` subsegment (Powertools Tracer's convention), annotated with ColdStart and
 * Service; the SDK subsegments made from here on, in this invocation, hang under it. Undefined when not sampled.
 */
export function openInvocation(name: string): Subsegment | undefined {
  const wasCold = coldStart;
  coldStart = false;
  const h = parseTraceHeader(process.env['_X_AMZN_TRACE_ID']);
  if (!h?.sampled) {
    current.enterWith(undefined);
    return undefined;
  }
  const seg: Subsegment = {
    id: newId(),
    name: `## ${name}`,
    trace_id: h.root,
    parent_id: h.parent,
    start_time: seconds(),
    type: 'subsegment',
    annotations: { ColdStart: wasCold, Service: process.env['POWERTOOLS_SERVICE_NAME'] ?? 'escalator' },
  };
  current.enterWith(seg);
  return seg;
}

/** Close and send the invocation's subsegment, marked as a fault when the handler threw. */
export function closeInvocation(seg: Subsegment | undefined, error?: unknown): void {
  if (!seg || seg.end_time) return;
  if (error !== undefined) {
    seg.fault = true;
    seg.cause = { exceptions: [{ id: newId(), type: (error as Error)?.name ?? 'Error', message: String((error as Error)?.message ?? error) }] };
  }
  seg.end_time = seconds();
  send(seg);
  if (current.getStore() === seg) current.enterWith(undefined);
}

/** Add an annotation to the invocation's subsegment (searchable in X-Ray: e.g. caseId). */
export function annotate(key: string, value: string | number | boolean): void {
  const open = current.getStore();
  if (open) open.annotations = { ...open.annotations, [key]: value };
}

/** X-Ray's service names for the clients we use (what the service map shows). */
const SERVICE_NAMES: Record<string, string> = { DynamoDBClient: 'DynamoDB', SFNClient: 'SFN', SESClient: 'SES', SecretsManagerClient: 'SecretsManager' };

interface SdkMetadata {
  httpStatusCode?: number;
  requestId?: string;
  attempts?: number;
}
interface SdkOutput {
  output?: { $metadata?: SdkMetadata };
}
interface SdkError {
  name?: string;
  message?: string;
  $metadata?: SdkMetadata;
  $retryable?: { throttling?: boolean };
}

/**
 * Trace every call a client makes: one `aws` subsegment per command (retries included), named after the service,
 * with the operation, region, request id, retries and the table name for DynamoDB. Returns the client, so
 * `traced(new SFNClient())` reads as construction.
 */
export function traced<C extends Instrumentable>(client: C): C {
  const middleware: SdkMiddleware = (next, context) => async (args) => {
    if (!parentOf()) return next(args);
    const service = SERVICE_NAMES[context.clientName ?? ''] ?? (context.clientName ?? 'AWS').replace(/Client$/, '');
    const input = (args as { input?: { TableName?: unknown } }).input;
    const region = typeof client.config.region === 'function' ? await (client.config.region as () => Promise<string>)() : client.config.region;
    return tracedCall(
      service,
      { operation: (context.commandName ?? '').replace(/Command$/, ''), region, ...(typeof input?.TableName === 'string' ? { table_name: input.TableName } : {}) },
      () => next(args) as Promise<SdkOutput>,
      (out) => out.output?.$metadata,
    );
  };
  client.middlewareStack.add(middleware, { step: 'initialize', name: 'escalatorXRay', priority: 'high' });
  return client;
}

/**
 * One AWS call as an `aws` subsegment named after the service, under the invocation's: the SDK clients' calls
 * (traced above) and the calls made without an SDK client (S3, ./clients/s3.ts). What `call` answers carries the
 * SDK's $metadata (status, request id, attempts), found by `metadataOf`; it fails with an error carrying it, as SDK
 * service errors do.
 */
export async function tracedCall<T>(
  service: string,
  aws: Record<string, unknown>,
  call: () => Promise<T>,
  metadataOf: (out: T) => SdkMetadata | undefined = (out) => (out as { $metadata?: SdkMetadata }).$metadata,
): Promise<T> {
  const parent = parentOf();
  if (!parent) return call();
  const seg: Subsegment = { id: newId(), name: service, ...parent, start_time: seconds(), type: 'subsegment', namespace: 'aws', aws };
  try {
    const out = await call();
    const meta = metadataOf(out);
    seg.aws = { ...seg.aws, request_id: meta?.requestId, retries: Math.max(0, (meta?.attempts ?? 1) - 1) };
    seg.http = { response: { status: meta?.httpStatusCode ?? 200 } };
    return out;
  } catch (e) {
    const err = e as SdkError;
    const status = err.$metadata?.httpStatusCode;
    seg.aws = { ...seg.aws, request_id: err.$metadata?.requestId, retries: Math.max(0, (err.$metadata?.attempts ?? 1) - 1) };
    if (status) seg.http = { response: { status } };
    // X-Ray's flags: error = 4xx (the caller's), fault = 5xx or no answer, throttle = 429 / throttling.
    if (err.$retryable?.throttling || status === 429) seg.throttle = true;
    if (status && status < 500) seg.error = true;
    else seg.fault = true;
    seg.cause = { exceptions: [{ id: newId(), type: err.name ?? 'Error', message: String(err.message ?? ''), remote: true }] };
    throw e;
  } finally {
    seg.end_time = seconds();
    send(seg);
  }
}
