// Local stack: an HTTP server standing in for API Gateway (HTTP API, payload v2). It is built from the same route
// table as the CDK API (functions/http/route-table.ts), checks tokens as the JWT authorizer does, throttles like the
// stage, and invokes the same handlers with API Gateway v2 events.
import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import type { Context } from 'aws-lambda';
import { ROUTES, type RouteSpec } from '../functions/routes.ts';
import type { HttpEvent, HttpResult } from '../functions/commons/http.ts';
import { CONSOLE_CALLBACK_PATH, CONSOLE_CLIENT_ID, type LocalAuth } from './auth.ts';
import { invokeIsolated, loadIsolated } from './invocations.ts';
import { CONSOLE_PREFIX, consoleFile } from './console-files.ts';

/** API Gateway refuses payloads over 10 MB before the Lambda sees them; the handlers' own limit is far lower. */
const GATEWAY_MAX_BODY = 10 * 1024 * 1024;
/** A token request is a few form fields; anything bigger is refused before it is parsed. */
const TOKEN_MAX_BODY = 8 * 1024;

export interface GatewayOptions {
  port: number;
  host?: string;
  root: string;
  auth: LocalAuth;
  /** The ops console's build output, served under /console/ (as CloudFront does on AWS). */
  consoleDir?: string;
  /** Token bucket per client (or source IP): steady requests per second and burst, like stage throttling. */
  throttle?: { rate: number; burst: number } | false;
  /** Resolves when the handlers' environment is ready; requests wait for it. */
  ready?: Promise<void>;
  log?: (line: string) => void;
}

export interface Gateway {
  url: string;
  port: number;
  server: Server;
  stop(): Promise<void>;
}

type Handler = (event: HttpEvent, context: Context) => Promise<HttpResult>;

interface CompiledRoute {
  spec: RouteSpec;
  pattern: RegExp;
  params: string[];
}

function compile(spec: RouteSpec): CompiledRoute {
  const params: string[] = [];
  const source = spec.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{(\w+)\\?\}|\{(\w+)\}/g, (_m, a: string, b: string) => {
    params.push(a ?? b);
    return '([^/]+)';
  });
  return { spec, pattern: new RegExp(`^${source}$`), params };
}

export function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const routes = ROUTES.map(compile);
  // Loaded on the first request, in an init context as the runtime's init phase (local/invocations.ts).
  let table: Promise<ReadonlyMap<string, Handler>> | undefined;
  const buckets = new Map<string, { tokens: number; at: number }>();
  const throttle = opts.throttle === undefined ? { rate: 100, burst: 200 } : opts.throttle;

  const handlerFor = async (spec: RouteSpec): Promise<Handler> => {
    table ??= loadIsolated(async () => {
      const { ROUTE_TABLE } = await import('../functions/http/route-table.ts');
      return new Map(ROUTE_TABLE.map((b) => [b.route.operationId, b.handler]));
    });
    const fn = (await table).get(spec.operationId);
    if (!fn) throw new Error(`no handler for ${spec.operationId}`);
    return fn;
  };

  /** Seconds until the caller may try again, or 0 when the request may go through. */
  const throttled = (key: string): number => {
    if (!throttle) return 0;
    const now = Date.now();
    const b = buckets.get(key) ?? { tokens: throttle.burst, at: now };
    b.tokens = Math.min(throttle.burst, b.tokens + ((now - b.at) / 1000) * throttle.rate);
    b.at = now;
    buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / throttle.rate));
  };

  const send = (res: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer) => {
    res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  const problem = (res: ServerResponse, status: number, title: string, detail: string, headers: Record<string, string> = {}) =>
    send(res, status, { 'content-type': 'application/problem+json', ...headers }, JSON.stringify({ type: 'about:blank', title, status, detail }));

  const readBody = (req: IncomingMessage): Promise<Buffer | 'too-large'> =>
    new Promise((resolveBody, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let over = false;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > GATEWAY_MAX_BODY) over = true;
        else chunks.push(c);
      });
      req.on('end', () => resolveBody(over ? 'too-large' : Buffer.concat(chunks)));
      req.on('error', reject);
    });

  /** The request target as a URL; origin-form only (`/path?query`), as API Gateway receives it. */
  const requestUrl = (raw: string | undefined): URL | undefined => {
    if (!raw || !raw.startsWith('/')) return undefined;
    try {
      // Prefixing the origin keeps `//x` a path (new URL('//x', base) would read `x` as a host).
      return new URL(`http://localhost${raw}`);
    } catch {
      return undefined;
    }
  };

  const oauthError = (res: ServerResponse, status: number, error: string, description: string) =>
    send(res, status, { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' }, JSON.stringify({ error, error_description: description }));

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    await opts.ready;
    const method = (req.method ?? 'GET').toUpperCase();
    const body = await readBody(req);
    const url = requestUrl(req.url);
    if (!url) return problem(res, 400, 'Bad request', 'the request target is not a valid path');
    if (body === 'too-large') return problem(res, 413, 'Payload too large', 'the request body is too large');
    const sourceIp = req.socket.remoteAddress ?? '127.0.0.1';

    if (url.pathname === CONSOLE_PREFIX || url.pathname.startsWith(`${CONSOLE_PREFIX}/`)) {
      if (method !== 'GET' && method !== 'HEAD') return send(res, 405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }, 'use GET\n');
      const issuer = opts.auth.issuer;
      const f = consoleFile(opts.consoleDir ?? resolve(opts.root, 'console', 'dist'), url.pathname, {
        apiUrl: '',
        authorizeUrl: `${issuer}/oauth2/authorize`,
        tokenUrl: `${issuer}/oauth2/token`,
        clientId: CONSOLE_CLIENT_ID,
        // The local authorization server accepts only its own origin's callback (the API's 127.0.0.1 address).
        redirectUri: `${issuer}${CONSOLE_CALLBACK_PATH}`,
      });
      return send(res, f.status, f.headers, method === 'HEAD' ? '' : f.body);
    }

    if (url.pathname === '/oauth2/authorize') {
      // The hosted UI's sign-in (authorization code + PKCE): GET shows the form, POST checks the password.
      if (method === 'GET') {
        const p = opts.auth.authorizePage(url.searchParams);
        return send(res, p.status, p.headers, p.body);
      }
      if (method !== 'POST') return send(res, 405, { allow: 'GET, POST', 'content-type': 'text/plain' }, 'use GET or POST\n');
      const wait = throttled(`oauth:${sourceIp}`);
      if (wait) return send(res, 429, { 'content-type': 'text/plain', 'retry-after': String(wait) }, 'too many sign-in attempts\n');
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/x-www-form-urlencoded' || body.length > TOKEN_MAX_BODY || !isUtf8(body)) return send(res, 400, { 'content-type': 'text/plain' }, 'send the sign-in form\n');
      const p = await opts.auth.authorize(new URLSearchParams(body.toString('utf8')));
      return send(res, p.status, p.headers, p.body);
    }

    if (url.pathname === '/oauth2/token') {
      // RFC 6749 §3.2: POST only; errors are {error, error_description} JSON, never cached.
      if (method !== 'POST') return send(res, 405, { allow: 'POST', 'content-type': 'application/json' }, JSON.stringify({ error: 'invalid_request', error_description: 'use POST' }));
      const wait = throttled(`oauth:${sourceIp}`);
      if (wait) return send(res, 429, { 'content-type': 'application/json', 'retry-after': String(wait) }, JSON.stringify({ error: 'slow_down', error_description: 'too many token requests' }));
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/x-www-form-urlencoded') return oauthError(res, 400, 'invalid_request', 'send application/x-www-form-urlencoded');
      if (body.length > TOKEN_MAX_BODY) return oauthError(res, 400, 'invalid_request', 'the token request is too large');
      if (!isUtf8(body)) return oauthError(res, 400, 'invalid_request', 'the token request is not valid UTF-8');
      const r = await opts.auth.token(req.headers.authorization, new URLSearchParams(body.toString('utf8')));
      return send(res, r.status, { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache', ...r.headers }, JSON.stringify(r.body));
    }

    let match: { route: CompiledRoute; values: string[] } | undefined;
    const allowed: string[] = [];
    for (const route of routes) {
      const m = route.pattern.exec(url.pathname);
      if (!m) continue;
      allowed.push(route.spec.method);
      if (route.spec.method === method) {
        match = { route, values: m.slice(1) };
        break;
      }
    }
    if (!match) {
      if (allowed.length) return problem(res, 405, 'Method not allowed', `no route ${method} ${url.pathname}`, { allow: allowed.join(', ') });
      return problem(res, 404, 'Not found', `no route ${method} ${url.pathname}`);
    }
    const { spec } = match.route;

    // Throttling is per client once the token is known, else per source address (so bad tokens are throttled too).
    let authorizer: HttpEvent['requestContext']['authorizer'] | undefined;
    if (spec.scope) {
      const v = await opts.auth.verify(req.headers.authorization, spec.scope);
      if (!v.ok) {
        const wait = throttled(v.clientId ?? `ip:${sourceIp}`);
        if (wait) return problem(res, 429, 'Too many requests', 'slow down and retry after the indicated time', { 'retry-after': String(wait) });
        return problem(res, v.status, v.status === 401 ? 'Unauthorized' : 'Forbidden', v.detail, { 'www-authenticate': v.wwwAuthenticate });
      }
      authorizer = { principalId: '', integrationLatency: 0, jwt: { claims: v.claims as Record<string, string>, scopes: v.scopes } };
    }
    const caller = authorizer ? String(authorizer.jwt.claims['client_id']) : `ip:${sourceIp}`;
    const wait = throttled(caller);
    if (wait) return problem(res, 429, 'Too many requests', 'slow down and retry after the indicated time', { 'retry-after': String(wait) });

    // Built with fromEntries (own data properties): a header or parameter named __proto__ cannot touch a prototype.
    const headers = Object.fromEntries(
      Object.entries(req.headers).flatMap(([k, v]) => (v === undefined ? [] : [[k.toLowerCase(), Array.isArray(v) ? v.join(',') : v] as const])),
    ) as Record<string, string>;
    const queryMap = new Map<string, string>();
    for (const [k, v] of url.searchParams) queryMap.set(k, queryMap.has(k) ? `${queryMap.get(k)},${v}` : v);
    const query = Object.fromEntries(queryMap) as Record<string, string>;
    const pathParameters = Object.fromEntries(
      match.route.params.map((p, i) => {
        const raw = match.values[i]!;
        try {
          return [p, decodeURIComponent(raw)];
        } catch {
          return [p, raw];
        }
      }),
    ) as Record<string, string>;
    const now = new Date();
    const requestId = randomUUID();
    const event = {
      version: '2.0',
      routeKey: `${spec.method} ${spec.path}`,
      rawPath: url.pathname,
      rawQueryString: url.search.replace(/^\?/, ''),
      headers,
      ...(queryMap.size ? { queryStringParameters: query } : {}),
      ...(Object.keys(pathParameters).length ? { pathParameters } : {}),
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        domainName: headers['host'] ?? 'localhost',
        domainPrefix: 'local',
        http: { method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp, userAgent: headers['user-agent'] ?? '' },
        requestId,
        routeKey: `${spec.method} ${spec.path}`,
        stage: '$default',
        time: now.toUTCString(),
        timeEpoch: now.getTime(),
        ...(authorizer ? { authorizer } : {}),
      },
      // Like API Gateway with a binary payload: bytes that are not UTF-8 reach the handler base64-encoded (and
      // are refused there) instead of being silently replaced with U+FFFD.
      ...(body.length ? { body: isUtf8(body) ? body.toString('utf8') : body.toString('base64') } : {}),
      isBase64Encoded: body.length > 0 && !isUtf8(body),
    } as unknown as HttpEvent;
    const context = {
      functionName: spec.operationId,
      functionVersion: '$LATEST',
      awsRequestId: requestId,
      invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${spec.operationId}`,
      memoryLimitInMB: '512',
      logGroupName: `/local/${spec.operationId}`,
      logStreamName: 'local',
      callbackWaitsForEmptyEventLoop: false,
      getRemainingTimeInMillis: () => 29_000,
    } as unknown as Context;

    const result = await invokeIsolated(await handlerFor(spec), event, context);
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(result.headers ?? {})) out[k] = String(v);
    const payload = result.body === undefined ? '' : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
    send(res, result.statusCode, out, payload);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      opts.log?.(`gateway: ${(e as Error).stack ?? String(e)}`);
      if (!res.headersSent) problem(res, 500, 'Internal error', 'the local gateway failed to invoke the handler');
      else res.end();
    });
  });
  server.keepAliveTimeout = 5_000;

  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : opts.port;
      resolvePromise({
        url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
        port,
        server,
        stop: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
      });
    });
  });
}
