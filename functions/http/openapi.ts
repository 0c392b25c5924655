// Primary adapter: the OpenAPI 3.1 document, generated from the route table's zod schemas and the policy in force
// (built once per cold start). It states what the server does: every status and content type a route answers with,
// a schema for every body, and the constraints the handlers enforce (the policy's departments and currency, the
// header formats). test/api/contract.test.ts holds the server to it. zod itself converts each schema to JSON Schema
// (draft 2020-12, OpenAPI 3.1's dialect): bodies and parameters as sent (a default makes a field optional), answers
// as returned.
import * as z from '../domain/zod.ts';
import { built } from '../domain/zod.ts';
import { getPolicy } from '../commons/config.ts';
import type { Policy } from '../domain/policy.ts';
import * as routes from '../routes.ts';
import { bodySchema, ROUTES, TAGS, type RouteSpec } from '../routes.ts';
import { route } from './route-handler.ts';
import { Problem, VIEWS } from './views.ts';

const ERRORS: Record<number, string> = {
  400: 'malformed JSON or failed validation (errors name the fields)',
  401: 'no, invalid or expired token',
  403: 'the token lacks the scope',
  404: 'unknown case',
  409: 'the action conflicts with the case\'s state or version, or the Idempotency-Key was used for another request',
  413: 'body too large',
  415: 'not JSON',
  429: 'throttled; see Retry-After',
  503: 'a service the API depends on is busy; see Retry-After',
};

/** What the statuses mean on the survey link (no token; the link is the credential). */
const LINK_ERRORS: Record<number, string> = {
  400: 'no rating 1–5 (GET), or a body that failed validation (POST)',
  403: 'the link was tampered with or has expired',
  404: 'the link names no case',
  409: 'the case was rated already, or is open again',
};

/** The formats the handlers accept (functions/commons/http.ts), so a client can check before it sends. */
const ULID = '^[0-9A-HJKMNP-TV-Z]{26}$';
export const IF_MATCH_PATTERN = '^\\s*(?:\\*|(?:W/)?(?:"\\d{1,12}"|\\d{1,12}))\\s*$';
export const IDEMPOTENCY_KEY_PATTERN = '^[\\x21-\\x7e]{1,255}$';

const PATH_PARAMS: Record<string, { description: string; pattern?: string }> = {
  id: { description: 'the case id (a ULID; anything else names no case: 404)', pattern: ULID },
  compensationId: { description: 'the offer\'s id (a ULID)', pattern: ULID },
  token: { description: 'the signed survey link from the email' },
};

/** Every error status the route can answer with, and how: problem+json, or an HTML page for a person. */
export function errorStatuses(r: RouteSpec): number[] {
  const s = new Set<number>();
  const write = r.method === 'POST';
  if (r.query || r.body || write) s.add(400); // a POST parses its body (and its headers) even when it has no schema
  if (r.scope) [401, 403].forEach((x) => s.add(x));
  if (/\{(id|token)\}/.test(r.path)) s.add(404);
  if (r.path.includes('{token}')) s.add(403); // a tampered or expired link
  if (write) [409, 413, 415].forEach((x) => s.add(x));
  for (const x of r.errorPages ?? []) s.add(x);
  s.add(429);
  if (r.operationId !== 'getOpenApi') s.add(503);
  return [...s].sort((a, b) => a - b);
}

/** Statuses API Gateway answers before the function runs, as `{"message": …}` (application/json). */
const GATEWAY_ANSWERS = new Set([401, 403, 429]);
const GatewayMessage = z.object({ message: z.string() }).check(z.describe('API Gateway\'s own answer (on AWS)'));

const header = (description: string, schema: object = { type: 'string' }) => ({ description, schema });

type JsonSchema = Record<string, unknown>;

/**
 * A schema as JSON Schema, without the `$schema` keyword (the document's dialect is OpenAPI 3.1's). Two things zod
 * states that the document should not: an answer's object closed to other fields (clients must accept fields added
 * later; only request bodies are strict), and every integer bounded by ±(2^53 − 1) (noise on each count and version).
 */
function jsonSchema(schema: z.core.$ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema: out }) => {
      const def = zodSchema._zod.def;
      if (io === 'output' && def.type === 'object' && out.additionalProperties === false && def.catchall?._zod.def.type !== 'never') delete out.additionalProperties;
      if (out.type === 'integer') {
        if (out.minimum === Number.MIN_SAFE_INTEGER) delete out.minimum;
        if (out.maximum === Number.MAX_SAFE_INTEGER) delete out.maximum;
      }
    },
  }) as JsonSchema;
  return rest;
}

/** A query object's fields as OpenAPI query parameters: each one's schema, whether it is required, what it means. */
function queryParameters(query: z.ZodMiniType): JsonSchema[] {
  const object = (query instanceof z.ZodMiniLazy ? built(query) : query) as z.ZodMiniObject;
  return Object.entries(object.shape).map(([name, field]) => {
    const schema = jsonSchema(field, 'input');
    return {
      name,
      in: 'query',
      required: field._zod.optin === undefined, // optional, or defaulted when absent
      ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
      schema,
    };
  });
}

export function buildOpenApiDocument(policy: Policy = getPolicy()): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTES) {
    const params = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    const body = bodySchema(r, policy);
    const isCase = r.success.schema === ROUTES[0]!.success.schema; // the case itself: ETag (and Location on create)
    const notes = [
      r.description,
      r.scope ? `Needs an access token with the \`${r.scope}\` scope.` : 'Public: no token.',
      r.conditionalWrite ? 'Idempotency-Key makes a retry return the first answer.' : undefined,
      r.conditionalWrite && params.includes('id') ? 'If-Match makes the write conditional on the case version.' : undefined,
    ].filter(Boolean);
    const parameters = [
      ...params.map((name) => ({
        name,
        in: 'path',
        required: true,
        description: PATH_PARAMS[name]?.description ?? name,
        schema: { type: 'string', ...(PATH_PARAMS[name]?.pattern ? { pattern: PATH_PARAMS[name].pattern } : {}) },
      })),
      ...(r.query ? queryParameters(r.query) : []),
      ...(r.conditionalWrite
        ? [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN }, description: '1–255 visible ASCII characters; replays return the first response' }]
        : []),
      ...(r.conditionalWrite && params.includes('id')
        ? [{ name: 'If-Match', in: 'header', required: false, schema: { type: 'string', pattern: IF_MATCH_PATTERN }, description: 'the case version as the ETag gave it ("3"; also 3, W/"3" or *); a stale one is a 409' }]
        : []),
    ];
    (paths[r.path] ??= {})[r.method.toLowerCase()] = {
      operationId: r.operationId,
      summary: r.summary,
      description: notes.join(' '),
      tags: [r.tag],
      security: r.scope ? [{ oauth2: [r.scope] }] : [],
      ...(parameters.length ? { parameters } : {}),
      // Required unless an empty body means something (every field optional: pause, resume, reopen, close, approve).
      ...(body ? { requestBody: { required: !body.safeParse({}).success, content: { 'application/json': { schema: jsonSchema(body, 'input') } } } } : {}),
      responses: {
        [r.success.status]: {
          description: r.success.description,
          ...(isCase
            ? {
                headers: {
                  ETag: header('the case version, for If-Match', { type: 'string', pattern: '^"\\d+"$' }),
                  ...(r.success.status === 201 ? { Location: header('the new case, /cases/{id}') } : {}),
                },
              }
            : {}),
          content: { [r.success.contentType ?? 'application/json']: { schema: jsonSchema(VIEWS[r.success.schema], 'output') } },
        },
        ...Object.fromEntries(
          errorStatuses(r).map((s) => {
            const page = r.errorPages?.includes(s);
            return [
              String(s),
              {
                description: (!r.scope && LINK_ERRORS[s]) || ERRORS[s] || String(s),
                ...(s === 401 ? { headers: { 'WWW-Authenticate': header('Bearer, with the reason') } } : {}),
                ...(s === 429 || s === 503 ? { headers: { 'Retry-After': header('seconds to wait', { type: 'string', pattern: '^\\d+$' }) } } : {}),
                content: page
                  ? { 'text/html': { schema: { type: 'string', description: 'an HTML page saying what happened' } } }
                  : {
                      'application/problem+json': { schema: jsonSchema(Problem, 'output') },
                      // On AWS, API Gateway itself answers these (its JWT authorizer, its throttling): HTTP APIs cannot
                      // make them problem+json. The local gateway answers problem+json.
                      ...(GATEWAY_ANSWERS.has(s) && !(s === 403 && !r.scope) ? { 'application/json': { schema: jsonSchema(GatewayMessage, 'output') } } : {}),
                    },
              },
            ];
          }),
        ),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Escalator API',
      version: '1.0.0',
      description: 'Customer escalation engine: cases, timers, escalations, notifications. Errors are application/problem+json (RFC 9457).',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      contact: { name: 'Escalator maintainers' },
    },
    servers: [{ url: policy.notifications.publicBaseUrl, description: 'this deployment' }],
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
    components: {
      securitySchemes: {
        oauth2: {
          type: 'oauth2',
          description: 'Client-credentials access tokens (Cognito on AWS; POST /oauth2/token locally)',
          flows: {
            clientCredentials: {
              tokenUrl: new URL('/oauth2/token', policy.notifications.publicBaseUrl).href,
              scopes: { 'cases/read': 'read cases', 'cases/write': 'create and change cases', 'cases/manage': 'manager actions' },
            },
          },
        },
      },
    },
    paths,
  };
}

let doc: string | undefined;
export const getOpenApi = route(import.meta, routes.getOpenApi, async () => {
  doc ??= JSON.stringify(buildOpenApiDocument());
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: doc };
});
