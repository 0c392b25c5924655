// The route table binds each route's contract to its handler by import; the contract's schemas validate the request
// before the handler runs and type its input. (The CDK tests check the deployed functions use these entries.)
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type * as z from 'zod';
import * as cases from '../../functions/http/cases.ts';
import { route, type RouteRequest } from '../../functions/http/route-handler.ts';
import { bindRoutes, ROUTE_TABLE } from '../../functions/http/route-table.ts';
import type { CreateCaseInput, EscalationInput, FeedbackInput } from '../../functions/domain/operations.ts';
import { ROUTES, routeOf, type ListCasesQuery, type RouteOf } from '../../functions/routes.ts';

const ROOT = join(import.meta.dirname, '..', '..');

function event(over: Partial<APIGatewayProxyEventV2WithJWTAuthorizer>): APIGatewayProxyEventV2WithJWTAuthorizer {
  return {
    version: '2.0',
    routeKey: 'POST /feedback/{token}',
    rawPath: '/feedback/t',
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    isBase64Encoded: false,
    requestContext: { requestId: 'r1', authorizer: { jwt: { claims: {}, scopes: [] } } } as never,
    ...over,
  } as APIGatewayProxyEventV2WithJWTAuthorizer;
}
const context = { functionName: 'test', awsRequestId: 'b'.repeat(32), getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

describe('route table', () => {
  it('binds every contract to exactly one handler, in the contracts\' order', () => {
    expect(ROUTE_TABLE.map((b) => b.route.operationId)).toEqual(ROUTES.map((r) => r.operationId));
    for (const b of ROUTE_TABLE) expect(b.handler.route).toBe(b.route);
  });

  it('names for each the module and export the Lambda runtime loads, which hold that very handler', async () => {
    for (const { route: r, handler, entry } of ROUTE_TABLE) {
      const module = (await import(join(ROOT, entry.file))) as Record<string, unknown>;
      expect(module[entry.export], `${r.operationId} → ${entry.file}#${entry.export}`).toBe(handler);
    }
    expect(ROUTE_TABLE.find((b) => b.route.operationId === 'escalateCase')?.entry).toEqual({ file: 'functions/http/case-actions.ts', export: 'escalateCase' });
  });

  it('refuses a route handled twice and a route with no handler, naming them', () => {
    expect(() => bindRoutes([cases, { again: cases.createCase }])).toThrow(/createCase is handled twice: functions\/http\/cases.ts#createCase and again/);
    expect(() => bindRoutes([cases])).toThrow(/routes without a handler: .*escalateCase/);
  });

  it('types each handler\'s input by its contract\'s schemas (checked by tsc)', () => {
    expectTypeOf<RouteRequest<RouteOf<'createCase'>>['body']>().toEqualTypeOf<z.output<typeof CreateCaseInput>>();
    expectTypeOf<RouteRequest<RouteOf<'escalateCase'>>['body']>().toEqualTypeOf<z.output<typeof EscalationInput>>();
    expectTypeOf<RouteRequest<RouteOf<'listCases'>>['query']>().toEqualTypeOf<z.output<typeof ListCasesQuery>>();
    expectTypeOf<RouteRequest<RouteOf<'getCase'>>['body']>().toEqualTypeOf<undefined>();
  });

  it('validates the body by the contract before the handler runs, and hands the handler the parsed value', async () => {
    const seen: z.output<typeof FeedbackInput>[] = [];
    const handler = route(import.meta, routeOf('submitFeedback'), async ({ body }) => {
      seen.push(body);
      return { statusCode: 204 };
    });
    const bad = await handler(event({ body: JSON.stringify({ rating: 9, extra: 1 }) }), context);
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body as string).errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(['rating', 'extra']));
    expect(seen).toEqual([]);
    const ok = await handler(event({ body: JSON.stringify({ rating: 4, comment: 'quick' }) }), context);
    expect(ok.statusCode).toBe(204);
    expect(seen).toEqual([{ rating: 4, comment: 'quick' }]);
  });
});
