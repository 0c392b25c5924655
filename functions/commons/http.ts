// Primary adapter plumbing: turns API Gateway v2 events into validated input and results or errors into
// responses. Errors are mapped to HTTP status codes here and nowhere else (RFC 9457 problem+json).
import middy from '@middy/core';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { z, type ZodType } from 'zod';
import type { Actor } from '../domain/model.ts';
import { logger } from './observability.ts';

export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type HttpResult = APIGatewayProxyStructuredResultV2 & { statusCode: number };

/** A request the edge refuses before any use case runs (malformed JSON, too large, wrong media type, bad header). */
export class RequestError extends Error {
  override name = 'RequestError';
  constructor(
    readonly status: 400 | 401 | 403 | 413 | 415 | 429,
    readonly title: string,
    detail: string,
    readonly errors: { path: string; message: string }[] = [],
  ) {
    super(detail);
  }
}

const STATUS_BY_ERROR: Record<string, [number, string]> = {
  ValidationError: [400, 'Invalid request'],
  NotFoundError: [404, 'Not found'],
  ConflictError: [409, 'Conflict'],
  VersionConflictError: [409, 'Version conflict'],
  IdempotencyKeyReuseError: [409, 'Idempotency key reused'],
  InvalidLinkError: [403, 'Invalid link'],
};

export function problem(status: number, title: string, detail: string, errors?: { path: string; message: string }[]): HttpResult {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/problem+json' },
    body: JSON.stringify({ type: 'about:blank', title, status, detail, ...(errors && errors.length ? { errors } : {}) }),
  };
}

export function toProblem(err: unknown): HttpResult {
  if (err instanceof RequestError) return problem(err.status, err.title, err.message, err.errors);
  if (err instanceof z.ZodError) return problem(400, 'Invalid request', 'the request failed validation', zodErrors(err));
  const name = err instanceof Error ? err.name : '';
  const mapped = STATUS_BY_ERROR[name];
  if (mapped && err instanceof Error) {
    const errors = (err as { errors?: { path: string; message: string }[] }).errors;
    return problem(mapped[0], mapped[1], err.message, errors);
  }
  logger.error('unhandled error', { error: err as Error });
  return problem(500, 'Internal error', 'something went wrong on our side; the request can be retried');
}

export function zodErrors(err: z.ZodError, prefix = ''): { path: string; message: string }[] {
  return err.issues.map((i) => {
    const path = [prefix, ...i.path.map(String)].filter(Boolean).join('.');
    if (i.code === 'unrecognized_keys') {
      return { path: [path, ...i.keys].filter(Boolean).join('.'), message: `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.join(', ')}` };
    }
    return { path: path || '(body)', message: i.message };
  });
}

export const MAX_BODY_BYTES = 64 * 1024;

/** Parse a JSON body strictly: size, media type and syntax are checked before the schema. */
export function parseBody<T extends ZodType>(event: HttpEvent, schema: T, opts: { optional?: boolean } = {}): z.output<T> {
  const raw = event.body ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body) : '';
  if (Buffer.byteLength(raw, 'utf8') > MAX_BODY_BYTES) {
    throw new RequestError(413, 'Payload too large', `the body is larger than ${MAX_BODY_BYTES} bytes`);
  }
  let value: unknown = {};
  if (raw.trim() !== '') {
    const type = (event.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json' && !/^application\/[\w.+-]+\+json$/.test(type)) {
      throw new RequestError(415, 'Unsupported media type', 'send the body as application/json');
    }
    try {
      value = JSON.parse(raw, (key, v) => (key === '__proto__' || key === 'constructor' || key === 'prototype' ? undefined : v));
    } catch (e) {
      throw new RequestError(400, 'Malformed JSON', `the body is not valid JSON: ${(e as Error).message}`, [{ path: '(body)', message: 'not valid JSON' }]);
    }
  } else if (!opts.optional) {
    throw new RequestError(400, 'Invalid request', 'a JSON body is required', [{ path: '(body)', message: 'required' }]);
  }
  const r = schema.safeParse(value);
  if (!r.success) throw new RequestError(400, 'Invalid request', 'the body failed validation', zodErrors(r.error));
  return r.data;
}

export function parseQuery<T extends ZodType>(event: HttpEvent, schema: T): z.output<T> {
  const r = schema.safeParse(event.queryStringParameters ?? {});
  if (!r.success) throw new RequestError(400, 'Invalid request', 'the query failed validation', zodErrors(r.error));
  return r.data;
}

/** `If-Match: "3"` → 3; absent → undefined. */
export function ifMatchVersion(event: HttpEvent): number | undefined {
  const h = event.headers['if-match'];
  if (h === undefined) return undefined;
  const m = /^\s*(?:W\/)?"?(\d{1,12})"?\s*$/.exec(h);
  if (!m) throw new RequestError(400, 'Invalid request', 'If-Match must be a case version such as "3"', [{ path: 'If-Match', message: 'expected "<version>"' }]);
  return Number(m[1]);
}

export function idempotencyKey(event: HttpEvent): string | undefined {
  const k = event.headers['idempotency-key'];
  if (k === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,255}$/.test(k)) {
    throw new RequestError(400, 'Invalid request', 'Idempotency-Key must be 1–255 visible ASCII characters', [{ path: 'Idempotency-Key', message: 'invalid' }]);
  }
  return k;
}

/** The caller, as the JWT authorizer (API Gateway, or the local gateway) vouched for it. */
export function callerOf(event: HttpEvent): Actor {
  const claims = event.requestContext.authorizer?.jwt?.claims ?? {};
  const id = String(claims['client_id'] ?? claims['sub'] ?? 'anonymous');
  return { kind: 'client', id };
}

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** Every HTTP handler: middy with the one error mapper and structured logging. */
export function httpHandler(fn: (event: HttpEvent, context: Context) => Promise<HttpResult>) {
  return middy<HttpEvent, HttpResult>()
    .before((request) => {
      logger.addContext(request.context);
      logger.appendKeys({ route: request.event.routeKey, requestId: request.event.requestContext?.requestId });
    })
    .onError((request) => {
      request.response = toProblem(request.error);
    })
    .handler(fn);
}
