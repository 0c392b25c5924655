// Local stack: each function invocation runs in its own invocation context, as Lambda's runtime runs concurrent
// invocations of one execution environment (Lambda Managed Instances: AWS_LAMBDA_MAX_CONCURRENCY and the runtime's
// InvokeStore). Locally every function shares one process and many invocations overlap; without this, Powertools'
// logger and metrics (one instance per module, as deployed) would mix one invocation's Lambda context, keys and
// metrics with another's. With it they are scoped exactly as on Lambda.
import { InvokeStore } from '@aws/lambda-invoke-store';

/** Powertools scopes its state per invocation only when this is set (the runtime sets it for concurrent environments). */
export const LOCAL_MAX_CONCURRENCY = '64';

let store: ReturnType<typeof InvokeStore.getInstanceAsync> | undefined;

async function runIn<R>(requestId: string, fn: () => Promise<R>): Promise<R> {
  process.env['AWS_LAMBDA_MAX_CONCURRENCY'] ??= LOCAL_MAX_CONCURRENCY;
  store ??= InvokeStore.getInstanceAsync(true);
  const s = await store;
  const keys = (s.constructor as unknown as { PROTECTED_KEYS: { REQUEST_ID: symbol; X_RAY_TRACE_ID: symbol } }).PROTECTED_KEYS;
  const trace = process.env['_X_AMZN_TRACE_ID'];
  return s.run({ [keys.REQUEST_ID]: requestId, ...(trace ? { [keys.X_RAY_TRACE_ID]: trace } : {}) }, fn);
}

/** Run one invocation of `fn` in its own context (request id and trace id as the runtime records them). */
export function invokeIsolated<E, C extends { awsRequestId: string }, R>(fn: (event: E, context: C) => Promise<R>, event: E, context: C): Promise<R> {
  return runIn(context.awsRequestId, () => fn(event, context));
}

/**
 * Load a handler module in an init context of its own, as the runtime's init phase: module-scope code that keeps
 * per-invocation state (Powertools' BatchProcessor does in its constructor) needs a context to write to.
 */
export function loadIsolated<M>(load: () => Promise<M>): Promise<M> {
  return runIn('init', load);
}
