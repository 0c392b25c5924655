// Primary adapter: the OpenAPI 3.1 document, generated from the route table's zod schemas (built once per cold start).
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { httpHandler, json } from '../commons/http.ts';
import { ROUTES } from '../routes.ts';
import { Problem } from './views.ts';

const ERRORS: Record<number, string> = {
  400: 'malformed JSON or failed validation (errors name the fields)',
  401: 'no, invalid or expired token',
  403: 'the token lacks the scope',
  404: 'unknown case',
  409: 'the action conflicts with the case\'s state or version, or the Idempotency-Key was used for another request',
  413: 'body too large',
  415: 'not JSON',
  429: 'throttled; see Retry-After',
};

export function buildOpenApiDocument(): object {
  const registry = new OpenAPIRegistry();
  // Schemas are inlined, not registered as named components: registering calls `.openapi()` on zod's prototype,
  // which the library patches in its CommonJS build of zod, not the ES module build our schemas come from.
  registry.registerComponent('securitySchemes', 'oauth2', {
    type: 'oauth2',
    description: 'Client-credentials access tokens (Cognito on AWS; POST /oauth2/token locally)',
    flows: {
      clientCredentials: {
        tokenUrl: '/oauth2/token',
        scopes: { 'cases/read': 'read cases', 'cases/write': 'create and change cases', 'cases/manage': 'manager actions' },
      },
    },
  });
  for (const r of ROUTES) {
    const params = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    const problem = { 'application/problem+json': { schema: Problem } };
    registry.registerPath({
      method: r.method.toLowerCase() as 'get' | 'post',
      path: r.path,
      operationId: r.operationId,
      summary: r.summary,
      ...(r.scope ? { security: [{ oauth2: [r.scope] }] } : {}),
      parameters: [
        ...params.map((name) => ({ name, in: 'path' as const, required: true, schema: { type: 'string' as const } })),
        ...(r.conditionalWrite
          ? [
              { name: 'Idempotency-Key', in: 'header' as const, required: false, schema: { type: 'string' as const }, description: 'replays return the first response' },
              { name: 'If-Match', in: 'header' as const, required: false, schema: { type: 'string' as const }, description: 'the case version, e.g. "3"; a stale one is a 409' },
            ]
          : []),
      ],
      request: {
        ...(r.query ? { query: r.query as never } : {}),
        ...(r.body ? { body: { required: true, content: { 'application/json': { schema: r.body } } } } : {}),
      },
      responses: {
        [r.success.status]: {
          description: r.success.description,
          ...(r.success.schema ? { content: { [r.success.contentType ?? 'application/json']: { schema: r.success.schema } } } : {}),
        },
        ...Object.fromEntries(
          Object.entries(ERRORS)
            .filter(([s]) => r.scope || !['401', '403'].includes(s))
            .map(([s, d]) => [s, { description: d, content: problem }]),
        ),
      },
    });
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: 'Escalator API', version: '1.0.0', description: 'Customer escalation engine: cases, timers, escalations, notifications.' },
  });
}

let doc: string | undefined;
export const getOpenApi = httpHandler(async () => {
  doc ??= JSON.stringify(buildOpenApiDocument());
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: doc };
});
