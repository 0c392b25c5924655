// GET /openapi.json: generated from the route table's zod schemas, so it lists every route with its scope and shapes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { ROUTES } from '../../functions/routes.ts';
import { startTestStack, TestApi } from '../support/stack.ts';

let stack: LocalStack;
let api: TestApi;
beforeAll(async () => {
  ({ stack, api } = await startTestStack());
});
afterAll(async () => {
  await stack?.stop();
});

describe('GET /openapi.json', () => {
  it('serves an OpenAPI 3.1 document, without a token, covering every route of the route table', async () => {
    // Act
    const r = await api.get('/openapi.json', { token: null });
    // Assess
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe('3.1.0');
    for (const route of ROUTES) {
      const op = r.body.paths[route.path]?.[route.method.toLowerCase()];
      expect(op, `${route.method} ${route.path}`).toBeDefined();
      expect(op.operationId).toBe(route.operationId);
      if (route.scope) expect(op.security).toEqual([{ oauth2: [route.scope] }]);
      else expect(op.security).toBeUndefined();
    }
  });

  it('describes request bodies from the same schemas that validate them', async () => {
    const doc = (await api.get('/openapi.json', { token: null })).body;
    const create = doc.paths['/cases'].post.requestBody.content['application/json'].schema;
    expect(create.required).toEqual(expect.arrayContaining(['customer', 'subject', 'description']));
    expect(create.additionalProperties).toBe(false);
    expect(create.properties.priority.enum).toEqual(['P1', 'P2', 'P3', 'P4']);
    const escalation = doc.paths['/cases/{id}/escalations'].post.requestBody.content['application/json'].schema;
    expect(JSON.stringify(escalation)).toContain('toDepartment');
  });
});
