// The middy stack every function runs in, so a handler body is only the use case call: Powertools' logger context
// (keys reset per invocation), an X-Ray subsegment per invocation (functions/commons/tracing.ts), the business
// metrics flushed as EMF at the end of each invocation, and for HTTP routes the strict JSON body and the one
// problem+json error mapper.
import middy, { type MiddlewareObj } from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { logger, metrics } from './observability.ts';
import { annotate, closeInvocation, openInvocation, type Subsegment } from './tracing.ts';

/** The invocation's X-Ray subsegment: opened before the handler, closed after it. */
function tracer<E, R>(name: string): MiddlewareObj<E, R> {
  const open = new WeakMap<object, Subsegment | undefined>();
  return {
    before: (request) => {
      open.set(request, openInvocation(name));
    },
    after: (request) => closeInvocation(open.get(request)),
    // An error the problem+json mapper answered as a 4xx is the caller's, not a fault of this function.
    onError: (request) => {
      const status = (request.response as { statusCode?: number } | undefined)?.statusCode;
      closeInvocation(open.get(request), status !== undefined && status < 500 ? undefined : request.error);
    },
  };
}

/**
 * Flush the business metrics at the end of every invocation, only when there are some: Powertools' logMetrics warns
 * "No application metrics to publish" on every invocation that counted nothing (most reads).
 */
function metricsFlush<E, R>(): MiddlewareObj<E, R> {
  const flush = () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return { after: flush, onError: flush };
}

/** Tag the invocation with the case it works on: the log lines that follow, the trace (searchable) and the EMF metadata. */
export function tagCase(caseId: string): void {
  logger.appendKeys({ caseId });
  annotate('caseId', caseId);
  metrics.addMetadata('caseId', caseId);
}

/**
 * The stack every function gets; `name` names its trace subsegment (`## name`), `more` are the function kind's own
 * middlewares (HTTP: request log, error mapper, JSON body), innermost last. A direct call without a Lambda context
 * (a test, a script) gets an empty one.
 */
export function observed<E, R>(name: string, fn: (event: E, context: Context) => Promise<R>, ...more: MiddlewareObj<E, R>[]) {
  let stack = middy<E, R>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(tracer<E, R>(name))
    .use(metricsFlush<E, R>());
  for (const m of more) stack = stack.use(m);
  const handler = stack.handler(fn);
  return (event: E, context?: Context): Promise<R> => handler(event, context ?? ({} as Context));
}
