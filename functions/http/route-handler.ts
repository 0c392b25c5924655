// A route's handler, bound to its contract (functions/routes.ts): the contract's body schema (narrowed by the policy
// where the contract says so) and query schema validate the request before the handler runs, and their outputs type
// the handler's input. The bound handler carries its contract and its module, so the route table
// (functions/http/route-table.ts) binds it by import, and the CDK API and the local gateway deploy it from there.
import type { Context } from 'aws-lambda';
import type * as z from '../domain/zod.ts';
import { getPolicy } from '../commons/config.ts';
import { httpHandler, parseBody, parseQuery, type HttpEvent, type HttpResult } from '../commons/http.ts';
import type { RouteSpec } from '../routes.ts';

type BodyOf<R> = R extends { body: infer B extends z.ZodMiniType } ? z.output<B> : undefined;
type QueryOf<R> = R extends { query: infer Q extends z.ZodMiniType } ? z.output<Q> : undefined;

/** What a route's handler gets: the request validated by its contract, and the raw event for the rest (headers, path). */
export interface RouteRequest<R extends RouteSpec> {
  readonly body: BodyOf<R>;
  readonly query: QueryOf<R>;
  readonly event: HttpEvent;
  readonly context: Context;
}

/** A Lambda handler (what the runtime calls) that knows its route and the module it is exported from. */
export type RouteHandler<R extends RouteSpec = RouteSpec> = ((event: HttpEvent, context: Context) => Promise<HttpResult>) & {
  readonly route: R;
  /** `import.meta.url` of the module that exports it (the CDK bundles that module as the function's entry). */
  readonly moduleUrl: string;
};

export interface RouteOptions {
  /** The handler reads the query itself, to answer a person with a page rather than problem+json (the survey link). */
  readonly ownQuery?: boolean;
}

export function route<const R extends RouteSpec>(
  module: ImportMeta,
  spec: R,
  handle: (request: RouteRequest<R>) => Promise<HttpResult>,
  options: RouteOptions = {},
): RouteHandler<R> {
  // Everything about the schemas is worked out on the first request, not at import: a module holds several routes
  // (case-actions.ts eleven) and each function serves one (functions/domain/zod.ts: deferred).
  // An empty body is accepted where every field is optional (pause, resume, reopen, close, approve).
  let optional: { optional: boolean } | undefined;
  // The policy narrows some bodies (its departments, its currency): built once per cold start, when first needed.
  let narrowed: z.ZodMiniType | undefined;
  const schema = (): z.ZodMiniType | undefined => (spec.policyBody ? (narrowed ??= spec.policyBody(getPolicy())) : spec.body);
  const fn = httpHandler(async (event, context) => {
    const body = schema();
    optional ??= { optional: spec.body?.safeParse({}).success ?? true };
    const request = {
      body: body ? parseBody(event, body, optional) : undefined,
      query: spec.query && !options.ownQuery ? parseQuery(event, spec.query) : undefined,
      event,
      context,
    };
    // The schemas above are the contract's own, so their outputs are the types RouteRequest<R> names.
    return handle(request as RouteRequest<R>);
  });
  return Object.assign(fn, { route: spec, moduleUrl: module.url });
}
