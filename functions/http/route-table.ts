// The route table: every route's contract bound to its handler by import. The CDK API (lib/http-api.ts) deploys one
// function per entry from the module and export found here, and the local gateway (local/gateway.ts) calls the same
// handlers. Only those two and the tests import this file; no function bundle does (each bundles its own module).
import { fileURLToPath } from 'node:url';
import { ROUTES, type RouteSpec } from '../routes.ts';
import * as caseActions from './case-actions.ts';
import * as cases from './cases.ts';
import * as customerHistory from './customer-history.ts';
import * as feedback from './feedback.ts';
import * as metrics from './metrics.ts';
import * as openapi from './openapi.ts';
import * as quarantine from './quarantine.ts';
import * as queue from './queue.ts';
import type { RouteHandler } from './route-handler.ts';
import * as simulate from './simulate.ts';
import * as sla from './sla.ts';
import * as timeline from './timeline.ts';
import * as workflow from './workflow.ts';

export interface BoundRoute {
  readonly route: RouteSpec;
  readonly handler: RouteHandler;
  /** The module (from the repo root) and export the Lambda runtime loads: where the handler really is. */
  readonly entry: { readonly file: string; readonly export: string };
}

const HANDLER_MODULES: readonly Record<string, unknown>[] = [cases, caseActions, sla, timeline, customerHistory, workflow, metrics, queue, quarantine, simulate, feedback, openapi];

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const isRouteHandler = (value: unknown): value is RouteHandler => typeof value === 'function' && 'route' in value && 'moduleUrl' in value;

/** Binds every contract to the one handler among the modules' exports that serves it (exported for tests). */
export function bindRoutes(modules: readonly Record<string, unknown>[]): BoundRoute[] {
  const bound = new Map<string, BoundRoute>();
  for (const module of modules) {
    for (const [name, value] of Object.entries(module)) {
      if (!isRouteHandler(value)) continue;
      const file = fileURLToPath(value.moduleUrl);
      if (!file.startsWith(ROOT)) throw new Error(`${value.route.operationId}: ${file} is outside the repository`);
      const earlier = bound.get(value.route.operationId);
      if (earlier) throw new Error(`${value.route.operationId} is handled twice: ${earlier.entry.file}#${earlier.entry.export} and ${name}`);
      bound.set(value.route.operationId, { route: value.route, handler: value, entry: { file: file.slice(ROOT.length), export: name } });
    }
  }
  // Every contract has exactly one handler, listed in the contracts' order.
  const missing = ROUTES.filter((r) => !bound.has(r.operationId)).map((r) => r.operationId);
  if (missing.length) throw new Error(`routes without a handler: ${missing.join(', ')}`);
  return ROUTES.map((r) => bound.get(r.operationId)!);
}

export const ROUTE_TABLE: readonly BoundRoute[] = bindRoutes(HANDLER_MODULES);
