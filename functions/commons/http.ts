// Primary adapter plumbing: turns API Gateway v2 events into validated input and results or errors into
// responses. Errors are mapped to HTTP status codes here and nowhere else (RFC 9457 problem+json).
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import * as z from '../domain/zod.ts';
import { DynamoDBServiceException, ProvisionedThroughputExceededException, RequestLimitExceeded, ThrottlingException } from '@aws-sdk/client-dynamodb';
import { ConflictError, IdempotencyKeyReuseError, InvalidLinkError, NotFoundError, ValidationError, VersionConflictError } from '../domain/errors.ts';
import type { Actor } from '../domain/model.ts';
import { observed, tagCase } from './middleware.ts';
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

/**
 * The one error mapping, by class (instanceof, so a subclass maps like its parent), most specific first. One bundle
 * per function holds one copy of each class, so identity is sound (no mapping by name, which any error can claim).
 */
const BY_CLASS: readonly [abstract new (...args: never[]) => Error, number, string][] = [
  [VersionConflictError, 409, 'Version conflict'],
  [IdempotencyKeyReuseError, 409, 'Idempotency key reused'],
  [ConflictError, 409, 'Conflict'],
  [ValidationError, 400, 'Invalid request'],
  [NotFoundError, 404, 'Not found'],
  [InvalidLinkError, 403, 'Invalid link'],
];

/** AWS telling us to slow down is not the client's fault and not a bug: 503 with a hint, never a bare 500. */
function isThrottling(err: unknown): boolean {
  return (
    err instanceof ProvisionedThroughputExceededException ||
    err instanceof RequestLimitExceeded ||
    err instanceof ThrottlingException ||
    // Any SDK client's throttling errors (Step Functions, SES…) carry this mark from the SDK's retry classification.
    (err instanceof Error && (err as { $retryable?: { throttling?: boolean } }).$retryable?.throttling === true)
  );
}

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
  const mapped = BY_CLASS.find(([cls]) => err instanceof cls);
  if (mapped) {
    const e = err as Error & { errors?: { path: string; message: string }[] };
    return problem(mapped[1], mapped[2], e.message, e.errors);
  }
  if (isThrottling(err)) {
    logger.warn('downstream throttled', { error: err as Error });
    const busy = problem(503, 'Service busy', 'the service is busy; retry shortly');
    return { ...busy, headers: { ...busy.headers, 'retry-after': '1' } };
  }
  if (err instanceof DynamoDBServiceException && err.name === 'ValidationException' && /item size has exceeded/i.test(err.message)) {
    // DynamoDB's 400 KB item limit: the change would make the case too large to store. Nothing was written.
    logger.error('case item too large', { error: err });
    return problem(409, 'Case too large', 'the case cannot store this change (its size limit is reached); shorten the text or open a follow-up case');
  }
  logger.error('unhandled error', { error: err as Error });
  return problem(500, 'Internal error', 'something went wrong on our side; the request can be retried');
}

/** At most this many field errors in one answer (an object with thousands of unknown keys stays a small answer). */
export const MAX_FIELD_ERRORS = 50;

export function zodErrors(err: z.ZodError, prefix = ''): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  for (const i of err.issues) {
    const path = [prefix, ...i.path.map(String)].filter(Boolean).join('.');
    if (i.code === 'unrecognized_keys') {
      // One error per unknown field, each naming it (not one path joining them all, which reads as nesting).
      for (const key of i.keys) out.push({ path: [path, key === '' ? '""' : key].filter(Boolean).join('.'), message: 'unknown field' });
    } else {
      out.push({ path: path || '(body)', message: i.message });
    }
  }
  return out.slice(0, MAX_FIELD_ERRORS);
}

export const MAX_BODY_BYTES = 64 * 1024;
/** No request body needs more nesting than this; deeper JSON is refused before the schema sees it. */
export const MAX_JSON_DEPTH = 32;
/** Keys that could reach an object's prototype if some code ever merged a body into an object: always refused. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * What JSON.parse accepts but no request may carry: prototype keys, strings that are not valid Unicode (lone
 * surrogates from `\ud800` escapes cannot be stored as UTF-8) and excessive nesting. Iterative, so any depth is safe.
 */
export function hostileJson(value: unknown): { path: string; message: string }[] {
  const errors: { path: string; message: string }[] = [];
  const stack: { v: unknown; path: string[] }[] = [{ v: value, path: [] }];
  const at = (path: string[]) => path.join('.') || '(body)';
  while (stack.length && errors.length < MAX_FIELD_ERRORS) {
    const { v, path } = stack.pop()!;
    if (typeof v === 'string') {
      if (LONE_SURROGATE.test(v)) errors.push({ path: at(path), message: 'not valid Unicode text (lone surrogate)' });
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (path.length >= MAX_JSON_DEPTH) {
      errors.push({ path: at(path), message: `nested too deeply (more than ${MAX_JSON_DEPTH} levels)` });
      continue;
    }
    for (const key of Object.keys(v)) {
      const child = [...path, key];
      if (FORBIDDEN_KEYS.has(key)) errors.push({ path: at(child), message: 'forbidden field name' });
      else if (LONE_SURROGATE.test(key)) errors.push({ path: at(path), message: 'a field name is not valid Unicode text' });
      else stack.push({ v: (v as Record<string, unknown>)[key], path: child });
    }
  }
  return errors;
}

/** The body's text: base64 bodies (API Gateway's binary pass-through) must decode as UTF-8. */
function bodyText(event: HttpEvent): string {
  if (!event.body) return '';
  if (!event.isBase64Encoded) return event.body;
  const bytes = Buffer.from(event.body, 'base64');
  if (bytes.length > MAX_BODY_BYTES) return bytes.toString('latin1'); // the size check below refuses it
  try {
    return utf8.decode(bytes);
  } catch {
    throw new RequestError(400, 'Malformed body', 'the body is not valid UTF-8', [{ path: '(body)', message: 'not valid UTF-8' }]);
  }
}

/** JSON media types: application/json and application/*+json, in UTF-8 (a charset parameter must say so). */
function isJsonMediaType(header: string | undefined): boolean {
  const [type = '', ...params] = (header ?? '').split(';').map((x) => x.trim().toLowerCase());
  if (type !== 'application/json' && !/^application\/[a-z0-9!#$&^_.+-]+\+json$/.test(type)) return false;
  for (const p of params) {
    const [name, raw = ''] = p.split('=').map((x) => x.trim());
    if (name === 'charset' && raw.replace(/^"|"$/g, '') !== 'utf-8' && raw.replace(/^"|"$/g, '') !== 'utf8') return false;
  }
  return true;
}

/** What the strict JSON body middleware leaves on the event: the parsed body, or undefined for an empty one. */
const PARSED = Symbol('parsed JSON body');
type WithParsedBody = HttpEvent & { [PARSED]?: { value: unknown } };

/**
 * The JSON body, read strictly: size, encoding, media type, syntax and hostile shapes are checked before any schema.
 * undefined for an empty body.
 */
function readJsonBody(event: HttpEvent): { value: unknown } | undefined {
  if (event.body && event.body.length > MAX_BODY_BYTES * 2) {
    throw new RequestError(413, 'Payload too large', `the body is larger than ${MAX_BODY_BYTES} bytes`);
  }
  const raw = bodyText(event);
  if (Buffer.byteLength(raw, 'utf8') > MAX_BODY_BYTES) {
    throw new RequestError(413, 'Payload too large', `the body is larger than ${MAX_BODY_BYTES} bytes`);
  }
  if (raw.trim() === '') return undefined;
  if (!isJsonMediaType(event.headers['content-type'])) {
    throw new RequestError(415, 'Unsupported media type', 'send the body as application/json (UTF-8)');
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    throw new RequestError(400, 'Malformed JSON', `the body is not valid JSON: ${(e as Error).message.slice(0, 200)}`, [{ path: '(body)', message: 'not valid JSON' }]);
  }
  const hostile = hostileJson(value);
  if (hostile.length) throw new RequestError(400, 'Invalid request', 'the body failed validation', hostile);
  return { value };
}

/** Middleware: every request's body is read strictly before the handler runs (a GET with a body is refused too). */
export function strictJsonBody(): MiddlewareObj<HttpEvent, HttpResult> {
  return {
    before: (request) => {
      const event = request.event as WithParsedBody;
      const body = readJsonBody(event);
      if (body) event[PARSED] = body;
    },
  };
}

/**
 * The body validated by the route's schema (strict objects refuse unknown fields: 400 naming each). The strict JSON
 * middleware has parsed it already; an event that did not pass through it (a direct call) is read here the same way.
 */
export function parseBody<T extends z.ZodMiniType>(event: HttpEvent, schema: T, opts: { optional?: boolean } = {}): z.output<T> {
  const parsed = (event as WithParsedBody)[PARSED] ?? readJsonBody(event);
  if (!parsed && !opts.optional) {
    throw new RequestError(400, 'Invalid request', 'a JSON body is required', [{ path: '(body)', message: 'required' }]);
  }
  const r = schema.safeParse(parsed ? parsed.value : {});
  if (!r.success) throw new RequestError(400, 'Invalid request', 'the body failed validation', zodErrors(r.error));
  return r.data;
}

export function parseQuery<T extends z.ZodMiniType>(event: HttpEvent, schema: T): z.output<T> {
  const query = event.queryStringParameters ?? {};
  const hostile = hostileJson(query);
  if (hostile.length) throw new RequestError(400, 'Invalid request', 'the query failed validation', hostile);
  const r = schema.safeParse(query);
  if (!r.success) throw new RequestError(400, 'Invalid request', 'the query failed validation', zodErrors(r.error));
  return r.data;
}

/** `If-Match: "3"` → 3; absent or `*` (any current version, RFC 9110) → undefined. */
export function ifMatchVersion(event: HttpEvent): number | undefined {
  const h = event.headers['if-match'];
  if (h === undefined || h.trim() === '*') return undefined;
  // An entity tag (quoted, RFC 9110) or the bare number; one version only, quotes balanced.
  const m = /^\s*(?:W\/)?(?:"(\d{1,12})"|(\d{1,12}))\s*$/.exec(h);
  if (!m) throw new RequestError(400, 'Invalid request', 'If-Match must be a case version such as "3"', [{ path: 'If-Match', message: 'expected "<version>"' }]);
  return Number(m[1] ?? m[2]);
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
  // A person signed in to the console acts under their own name (Cognito's `username` claim), not the console's app client.
  const id = String(claims['username'] ?? claims['client_id'] ?? claims['sub'] ?? 'anonymous');
  return { kind: 'client', id };
}

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** Middleware: the one error mapper. Whatever a handler or a middleware throws becomes problem+json (toProblem). */
export function problemJson(): MiddlewareObj<HttpEvent, HttpResult> {
  return {
    onError: (request) => {
      request.response = toProblem(request.error);
    },
  };
}

/** Middleware: the route and request on every log line, the case in the path as the invocation's case, one line per answer. */
function requestLog(): MiddlewareObj<HttpEvent, HttpResult> {
  const answered = (request: { event: HttpEvent; response: HttpResult | null | undefined }) => {
    const caseId = request.response?.headers?.['location']?.toString().match(/^\/cases\/([^/]+)$/)?.[1];
    if (caseId) tagCase(caseId);
    logger.info('request answered', { status: request.response?.statusCode });
  };
  return {
    before: (request) => {
      logger.appendKeys({ route: request.event.routeKey, requestId: request.event.requestContext?.requestId });
      const id = request.event.pathParameters?.['id'];
      if (id) tagCase(id);
    },
    after: answered,
    onError: answered,
  };
}

/** Every HTTP handler: the observed stack, the request log, the one error mapper and the strict JSON body. */
export function httpHandler(fn: (event: HttpEvent, context: Context) => Promise<HttpResult>) {
  // middy runs `before` in this order and `after`/`onError` in reverse: the error mapper answers first, so the
  // request log and the trace see the status the caller gets.
  return observed<HttpEvent, HttpResult>('http', fn, requestLog(), problemJson(), strictJsonBody());
}
