// Security test support: a raw HTTP client (exact bytes, headers and paths, bounded concurrency), snapshots that
// prove "nothing was written", and tokens signed in every wrong way.
import { readFileSync } from 'node:fs';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { generateKeyPair, importJWK, SignJWT, type JWK, type JWTPayload } from 'jose';
import type { TestApi } from '../support/stack.ts';

export const ALL_SCOPES = 'cases/read cases/write cases/manage';

export interface RawRequest {
  method: string;
  /** Sent as is: percent-encode anything that is not a plain path character. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  json: any;
}

/** A keep-alive client that sends exactly what it is given (fetch would add or normalise headers). */
export function rawClient(baseUrl: string, maxSockets = 16) {
  const base = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets });
  const send = (r: RawRequest): Promise<RawResponse> =>
    new Promise((resolve, reject) => {
      const body = r.body === undefined ? undefined : Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body, 'utf8');
      const req = request(
        {
          host: base.hostname,
          port: base.port,
          method: r.method,
          path: r.path,
          agent,
          headers: { ...r.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  return { send, close: () => agent.destroy() };
}

/** Run `fn` over `items` with at most `limit` in flight; results in input order. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export interface CaseSnapshot {
  case: unknown;
  timelineLength: number;
}

/** What "no write happened" is checked against: each case in full, its timeline length, and the number of cases. */
export async function snapshot(api: TestApi, ids: readonly string[]): Promise<{ cases: Record<string, CaseSnapshot>; total: number }> {
  const cases: Record<string, CaseSnapshot> = {};
  for (const id of ids) {
    const c = await api.get(`/cases/${id}`);
    const t = await api.get(`/cases/${id}/timeline`);
    if (c.status !== 200 || t.status !== 200) throw new Error(`cannot read case ${id}: ${c.status}/${t.status}`);
    cases[id] = { case: c.body, timelineLength: t.body.events.length };
  }
  return { cases, total: await countCases(api) };
}

export async function countCases(api: TestApi): Promise<number> {
  let total = 0;
  let cursor: string | null = null;
  do {
    const r: { status: number; body: { items: unknown[]; nextCursor: string | null } } = await api.get(`/cases?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (r.status !== 200) throw new Error(`cannot list cases: ${r.status}`);
    total += r.body.items.length;
    cursor = r.body.nextCursor;
  } while (cursor);
  return total;
}

/** A snapshot taken once two in a row agree (the set-up's own effects, e.g. emails, have settled). */
export async function stableSnapshot(api: TestApi, ids: readonly string[]) {
  let last = JSON.stringify(await snapshot(api, ids));
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const now = JSON.stringify(await snapshot(api, ids));
    if (now === last) return JSON.parse(now) as Awaited<ReturnType<typeof snapshot>>;
    last = now;
  }
  throw new Error('the cases kept changing');
}

/** Claims like the local token endpoint's (and Cognito's) for a client-credentials access token. */
export function accessClaims(overrides: JWTPayload = {}): JWTPayload {
  return { sub: 'escalator-local', client_id: 'escalator-local', token_use: 'access', scope: ALL_SCOPES, version: 2, ...overrides };
}

/** Signed with a key the stack has never seen (a well-formed ES256 token that must fail the signature check). */
export async function foreignToken(issuer: string, claims: JWTPayload = accessClaims()): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: 'local' })
    .setIssuer(issuer)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(privateKey);
}

/** The stack's own signing key from its data folder, to sign what the token endpoint never would (another issuer). */
export async function stackKeySigner(dataDir: string) {
  const jwk = JSON.parse(readFileSync(join(dataDir, 'keys', 'jwt-signing-key.json'), 'utf8')) as JWK;
  const key = await importJWK(jwk, 'ES256');
  return (claims: JWTPayload, issuer: string, header: Record<string, unknown> = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'local', ...header })
      .setIssuer(issuer)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(key);
}

/** `alg: none`: a token with no signature at all. */
export function unsignedToken(issuer: string, claims: JWTPayload = accessClaims()): string {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ ...claims, iss: issuer, iat: now, exp: now + 3600 })}.`;
}

/** HS256 signed with the stack's public key as the HMAC secret (the classic algorithm-confusion attack). */
export async function algConfusionToken(dataDir: string, issuer: string): Promise<string> {
  const { d: _d, ...pub } = JSON.parse(readFileSync(join(dataDir, 'keys', 'jwt-signing-key.json'), 'utf8')) as JWK;
  const secret = new TextEncoder().encode(JSON.stringify(pub));
  return new SignJWT(accessClaims()).setProtectedHeader({ alg: 'HS256' }).setIssuer(issuer).setIssuedAt().setExpirationTime('1h').sign(secret);
}

export async function tokenRequest(baseUrl: string, opts: { basic?: string | null; form?: Record<string, string> | string; contentType?: string; method?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': opts.contentType ?? 'application/x-www-form-urlencoded' };
  const basic = opts.basic === undefined ? 'escalator-local:escalator-local-secret' : opts.basic;
  if (basic !== null) headers['authorization'] = basic.startsWith('Basic ') ? basic : `Basic ${Buffer.from(basic, 'utf8').toString('base64')}`;
  const body = typeof opts.form === 'string' ? opts.form : new URLSearchParams(opts.form ?? { grant_type: 'client_credentials' }).toString();
  const r = await fetch(`${baseUrl}/oauth2/token`, { method: opts.method ?? 'POST', headers, ...(opts.method === 'GET' ? {} : { body }) });
  return readResponse(r);
}

/** Status, headers, text and (when it is JSON) the parsed body of a fetch response. */
export async function readResponse(r: Response): Promise<{ status: number; headers: Headers; json: any; text: string }> {
  const text = await r.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, headers: r.headers, json, text };
}
