// Local stack: the OAuth2 grants Cognito serves on AWS — client credentials for API clients, and for people (the ops
// console) the hosted UI's authorization code with PKCE — and the checks API Gateway's JWT authorizer makes
// (signature, issuer, expiry, audience = a known client, scope), with the `jose` library.
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type JWK, type JWTPayload, type CryptoKey } from 'jose';
import { z } from 'zod';
import { GROUP_SCOPES, SCOPES, scopesOfGroups } from '../functions/routes.ts';
import { loginPage } from './login-page.ts';

export const ALL_SCOPES = Object.values(SCOPES);

export const LocalClient = z.strictObject({
  // No ':' (HTTP Basic splits on it) and nothing a log line or timeline would have to escape.
  clientId: z.string().regex(/^[A-Za-z0-9._~-]{1,128}$/, '1–128 letters, digits, . _ ~ or -'),
  clientSecret: z.string().min(16).max(256),
  scopes: z.array(z.enum(ALL_SCOPES as [string, ...string[]])).min(1),
});
export type LocalClient = z.infer<typeof LocalClient>;

/** Local only, never deployed: holds every scope so a developer can try everything. */
export const DEFAULT_CLIENT: LocalClient = { clientId: 'escalator-local', clientSecret: 'escalator-local-secret', scopes: [...ALL_SCOPES] };

export const LocalUser = z.strictObject({
  username: z.string().regex(/^[A-Za-z0-9._@-]{1,128}$/, '1–128 letters, digits, . _ @ or -'),
  password: z.string().min(8).max(256),
  groups: z.array(z.enum(Object.keys(GROUP_SCOPES) as [string, ...string[]])).min(1),
});
export type LocalUser = z.infer<typeof LocalUser>;

/** Local only, never deployed: a person in the managers group, so every scope and every console action. */
export const DEFAULT_USER: LocalUser = { username: 'ops', password: 'ops-local-password', groups: ['escalator-managers'] };

/**
 * The console's app client: public (a browser keeps no secret), so it must prove each code with PKCE (S256), and
 * codes are sent only to the console's own callback on the issuer's origin, as the Cognito app client allows.
 */
export const CONSOLE_CLIENT_ID = 'escalator-console';
export const CONSOLE_CALLBACK_PATH = '/console/callback';
/** An authorization code is good for one exchange within this time (Cognito: 5 minutes). */
const CODE_TTL_MS = 5 * 60_000;

export interface PageResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface TokenResponse {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

export type VerifyResult =
  | { ok: true; claims: JWTPayload & { client_id: string; scope: string }; scopes: string[] }
  | {
      ok: false;
      status: 401 | 403;
      detail: string;
      /** The RFC 6750 challenge to send back. */
      wwwAuthenticate: string;
      /** Known for a valid token that lacks the scope (for throttling per client). */
      clientId?: string;
    };

const ALG = 'ES256';
const DUMMY_SECRET = 'not-a-client-secret-just-for-constant-time';
const REALM = 'escalator';
/** Real access tokens are ~1 KB; a much longer "token" is refused before any parsing. */
const MAX_TOKEN_CHARS = 8 * 1024;
/** RFC 6749 §3.3 scope-token: visible ASCII except space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** Secrets are compared as SHA-256 digests: constant time whatever their lengths or encodings. */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

function challenge(error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope', description?: string, scope?: string): string {
  const parts = [`realm="${REALM}"`];
  if (error) parts.push(`error="${error}"`);
  if (description) parts.push(`error_description="${description.replace(/["\\]/g, '')}"`);
  if (scope) parts.push(`scope="${scope}"`);
  return `Bearer ${parts.join(', ')}`;
}

export interface LocalAuth {
  issuer: string;
  token(authorization: string | undefined, form: URLSearchParams): Promise<TokenResponse>;
  /** GET /oauth2/authorize: the sign-in page (or an error page when the request cannot be trusted). */
  authorizePage(query: URLSearchParams): PageResponse;
  /** POST /oauth2/authorize: check the user's password, then redirect to the callback with a one-time code. */
  authorize(form: URLSearchParams): Promise<PageResponse>;
  verify(authorization: string | undefined, requiredScope: string): Promise<VerifyResult>;
  /** For tests: sign arbitrary claims with the real key. */
  sign(claims: JWTPayload, expiresInSeconds?: number): Promise<string>;
}

/** The signing key lives in the data folder so tokens survive a restart; in memory with --in-memory. */
async function signingKey(dataDir: string | undefined): Promise<{ privateKey: CryptoKey; publicKey: CryptoKey }> {
  const file = dataDir ? join(dataDir, 'keys', 'jwt-signing-key.json') : undefined;
  if (file && existsSync(file)) {
    const jwk = JSON.parse(readFileSync(file, 'utf8')) as JWK;
    const { d: _d, ...pub } = jwk;
    return { privateKey: (await importJWK(jwk, ALG)) as CryptoKey, publicKey: (await importJWK(pub, ALG)) as CryptoKey };
  }
  const pair = await generateKeyPair(ALG, { extractable: true });
  if (file) {
    mkdirSync(join(dataDir!, 'keys'), { recursive: true });
    writeFileSync(file, JSON.stringify(await exportJWK(pair.privateKey)), { mode: 0o600 });
  }
  return pair;
}

export async function createLocalAuth(opts: {
  issuer: string;
  dataDir?: string | undefined;
  clients?: LocalClient[];
  users?: LocalUser[];
  tokenTtlSeconds?: number;
}): Promise<LocalAuth> {
  const { privateKey, publicKey } = await signingKey(opts.dataDir);
  const clients = new Map((opts.clients ?? [DEFAULT_CLIENT]).map((c) => [c.clientId, c]));
  const users = new Map((opts.users ?? [DEFAULT_USER]).map((u) => [u.username, u]));
  /** Every client a token may name: the confidential API clients and the console's public client. */
  const knownClient = (id: string) => clients.has(id) || id === CONSOLE_CLIENT_ID;
  const callback = `${opts.issuer}${CONSOLE_CALLBACK_PATH}`;
  const ttl = opts.tokenTtlSeconds ?? 3600;
  const codes = new Map<string, { redirectUri: string; challenge: string; scopes: string[]; user: LocalUser; expiresAt: number }>();

  const sign = (claims: JWTPayload, expiresIn = ttl) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: ALG, kid: 'local' })
      .setIssuer(opts.issuer)
      .setIssuedAt()
      .setJti(randomUUID())
      .setExpirationTime(Math.floor(Date.now() / 1000) + expiresIn)
      .sign(privateKey);

  const oauthError = (status: number, error: string, description: string): TokenResponse => ({
    status,
    body: { error, error_description: description },
  });

  /** RFC 6749 §4.1.3 + RFC 7636 §4.6: a code once, by the client and callback it was issued to, with its verifier. */
  const exchangeCode = async (authorization: string | undefined, form: URLSearchParams): Promise<TokenResponse> => {
    // RFC 6749 §5.2: a client that authenticates (an API client) may not use this grant; the console's client is public.
    if (authorization !== undefined || form.has('client_secret')) return oauthError(400, 'unauthorized_client', `only the public client ${CONSOLE_CLIENT_ID} uses the authorization code`);
    if (form.get('client_id') !== CONSOLE_CLIENT_ID) return { ...oauthError(401, 'invalid_client', 'unknown client'), headers: {} };
    const code = form.get('code') ?? '';
    const grant = codes.get(code);
    codes.delete(code); // one use, even a failed one (RFC 6749 §4.1.2)
    const verifier = form.get('code_verifier') ?? '';
    if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return oauthError(400, 'invalid_request', 'code_verifier must be 43–128 unreserved characters');
    if (!grant || grant.expiresAt < Date.now()) return oauthError(400, 'invalid_grant', 'the code is unknown, used or expired');
    if (form.get('redirect_uri') !== grant.redirectUri) return oauthError(400, 'invalid_grant', 'redirect_uri does not match the authorization request');
    const challenge = createHash('sha256').update(verifier, 'ascii').digest('base64url');
    if (!sameSecret(challenge, grant.challenge)) return oauthError(400, 'invalid_grant', 'code_verifier does not match the code_challenge');
    // The claims Cognito puts in a person's access token; the scopes come from the groups, as the trigger maps them.
    const scope = grant.scopes.join(' ');
    const accessToken = await sign({
      sub: `local-user:${grant.user.username}`,
      username: grant.user.username,
      'cognito:groups': grant.user.groups,
      client_id: CONSOLE_CLIENT_ID,
      token_use: 'access',
      scope,
      auth_time: Math.floor(Date.now() / 1000),
      version: 2,
    });
    return { status: 200, body: { access_token: accessToken, token_type: 'Bearer', expires_in: ttl, scope } };
  };

  /** The authorization request's parameters, checked before a page is shown or a code is issued. */
  const authorizationRequest = (q: URLSearchParams) => {
    for (const name of new Set(q.keys())) if (q.getAll(name).length > 1) return { error: `the parameter ${name} is repeated` } as const;
    // Client and callback first: until they are known good, nothing may be sent to the redirect_uri (RFC 6749 §4.1.2.1).
    if (q.get('client_id') !== CONSOLE_CLIENT_ID) return { error: 'unknown client_id' } as const;
    if (q.get('redirect_uri') !== callback) return { error: `redirect_uri must be ${callback}` } as const;
    if (q.get('response_type') !== 'code') return { error: 'response_type must be code' } as const;
    const challenge = q.get('code_challenge') ?? '';
    if (q.get('code_challenge_method') !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(challenge)) return { error: 'PKCE is required: code_challenge (S256) and code_challenge_method=S256' } as const;
    const requested = (q.get('scope') ?? '').split(' ').filter(Boolean);
    const state = q.get('state') ?? '';
    if (state.length > 512) return { error: 'state is too long' } as const;
    return { ok: { redirectUri: callback, challenge, requested, state } } as const;
  };

  const html = (status: number, body: string, headers: Record<string, string> = {}): PageResponse => ({
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      // The page posts only to itself and runs no script.
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      ...headers,
    },
    body,
  });

  return {
    issuer: opts.issuer,
    sign,
    authorizePage(query) {
      const r = authorizationRequest(query);
      if ('error' in r) return html(400, loginPage({ fatal: r.error }));
      return html(200, loginPage({ params: query }));
    },
    async authorize(form) {
      const r = authorizationRequest(new URLSearchParams([...form].filter(([k]) => k !== 'username' && k !== 'password')));
      if ('error' in r) return html(400, loginPage({ fatal: r.error }));
      const { redirectUri, challenge, requested, state } = r.ok;
      const params = new URLSearchParams([...form].filter(([k]) => k !== 'password'));
      const user = users.get(form.get('username') ?? '');
      // Compare even for an unknown user, so timing does not tell which usernames exist.
      const passwordOk = sameSecret(form.get('password') ?? '', user?.password ?? DUMMY_SECRET);
      if (!user || !passwordOk) return html(401, loginPage({ params, error: 'Incorrect username or password.' }));
      const held = scopesOfGroups(user.groups);
      // As Cognito: the token gets the requested scopes the user holds (all of them when none are named).
      const scopes = requested.length ? held.filter((s) => requested.includes(s)) : held;
      const code = randomBytes(32).toString('base64url');
      codes.set(code, { redirectUri, challenge, scopes, user, expiresAt: Date.now() + CODE_TTL_MS });
      for (const [k, v] of codes) if (v.expiresAt < Date.now()) codes.delete(k);
      const to = new URL(redirectUri);
      to.searchParams.set('code', code);
      if (state) to.searchParams.set('state', state);
      return { status: 302, headers: { location: to.toString(), 'cache-control': 'no-store' }, body: '' };
    },
    async token(authorization, form) {
      // RFC 6749 §3.2: parameters must not repeat.
      for (const name of new Set(form.keys())) {
        if (form.getAll(name).length > 1) return oauthError(400, 'invalid_request', `the parameter ${name} is repeated`);
      }
      const grant = form.get('grant_type');
      if (!grant) return oauthError(400, 'invalid_request', 'grant_type is required');
      if (grant === 'authorization_code') return exchangeCode(authorization, form);
      if (grant !== 'client_credentials') return oauthError(400, 'unsupported_grant_type', 'use grant_type=client_credentials or authorization_code');

      // Client authentication (RFC 6749 §2.3.1): HTTP Basic with form-urlencoded id and secret, or the two form
      // fields, but not both.
      const basicChallenge = { 'www-authenticate': `Basic realm="${REALM}", charset="UTF-8"` };
      const invalidClient = (detail: string): TokenResponse => ({ ...oauthError(401, 'invalid_client', detail), headers: basicChallenge });
      let id: string;
      // RFC 6749 §2.3.1 form-urlencodes id and secret inside Basic; most clients (curl -u) do not. Both are taken.
      let secrets: string[];
      if (authorization !== undefined) {
        const basic = /^Basic[ ]+([A-Za-z0-9+/]+={0,2})[ ]*$/i.exec(authorization);
        if (!basic) return invalidClient('use HTTP Basic client authentication');
        if (form.has('client_secret')) return oauthError(400, 'invalid_request', 'use one client authentication method, not two');
        const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
        const i = decoded.indexOf(':');
        if (i <= 0) return invalidClient('the Basic credentials must be client_id:client_secret');
        id = decoded.slice(0, i); // client ids have no characters form-encoding would change
        const rawSecret = decoded.slice(i + 1);
        secrets = [rawSecret];
        try {
          const formDecoded = decodeURIComponent(rawSecret.replace(/\+/g, ' '));
          if (formDecoded !== rawSecret) secrets.push(formDecoded);
        } catch {
          // not form-encoded: the raw secret is the only candidate
        }
        if (form.has('client_id') && form.get('client_id') !== id) return oauthError(400, 'invalid_request', 'client_id does not match the credentials');
      } else {
        id = form.get('client_id') ?? '';
        const secret = form.get('client_secret') ?? '';
        if (!id || !secret) return invalidClient('client authentication is required (HTTP Basic)');
        secrets = [secret];
      }
      const client = clients.get(id);
      // Compare even for an unknown client, so timing does not tell which client ids exist.
      const secretOk = secrets.map((x) => sameSecret(x, client?.clientSecret ?? DUMMY_SECRET)).includes(true);
      if (!client || !secretOk) return invalidClient('unknown client or wrong secret');

      const rawScope = form.get('scope');
      const requested = (rawScope ?? '').split(' ').filter(Boolean);
      if (rawScope !== null && (!requested.length || requested.some((s) => !SCOPE_TOKEN.test(s)))) {
        return oauthError(400, 'invalid_scope', 'scope must be space-separated scope names');
      }
      const scopes = requested.length ? [...new Set(requested)] : client.scopes;
      const refused = scopes.filter((s) => !client.scopes.includes(s));
      if (refused.length) return oauthError(400, 'invalid_scope', `the client may not have: ${refused.join(' ')}`);
      // The claims Cognito puts in a client-credentials access token.
      const accessToken = await sign({ sub: client.clientId, client_id: client.clientId, token_use: 'access', scope: scopes.join(' '), version: 2 });
      return { status: 200, body: { access_token: accessToken, token_type: 'Bearer', expires_in: ttl, scope: scopes.join(' ') } };
    },
    async verify(authorization, requiredScope) {
      const refuse = (detail: string, error?: 'invalid_request' | 'invalid_token'): VerifyResult => ({
        ok: false,
        status: 401,
        detail,
        wwwAuthenticate: challenge(error, error ? detail : undefined),
      });
      if (authorization === undefined || authorization.trim() === '') return refuse('send an OAuth2 access token: Authorization: Bearer <token>');
      const m = /^Bearer[ ]+([A-Za-z0-9._~+/-]+=*)[ ]*$/i.exec(authorization);
      if (!m) return refuse('the Authorization header must be: Bearer <token>', 'invalid_request');
      if (m[1]!.length > MAX_TOKEN_CHARS) return refuse('the token is not valid', 'invalid_token');
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(m[1]!, publicKey, {
          issuer: opts.issuer,
          algorithms: [ALG],
          requiredClaims: ['exp', 'iat', 'client_id', 'token_use'],
        }));
      } catch (e) {
        const code = (e as { code?: string }).code;
        return refuse(code === 'ERR_JWT_EXPIRED' ? 'the token has expired' : 'the token is not valid', 'invalid_token');
      }
      // Cognito access tokens carry no `aud`; the authorizer then checks client_id against its audience list
      // (the app clients). Locally: a configured client, an access token, and an aud (if any) naming a client.
      const clientId = payload['client_id'];
      const aud = payload.aud === undefined ? [] : Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      if (typeof clientId !== 'string' || !knownClient(clientId) || aud.some((a) => !knownClient(a))) return refuse('the token is not for this API', 'invalid_token');
      if (payload['token_use'] !== 'access') return refuse('an access token is required', 'invalid_token');
      const scopeClaim = payload['scope'] ?? '';
      if (typeof scopeClaim !== 'string') return refuse('the token is not valid', 'invalid_token');
      const scopes = scopeClaim.split(' ').filter(Boolean);
      if (!scopes.includes(requiredScope)) {
        const detail = `the token lacks the scope ${requiredScope}`;
        return { ok: false, status: 403, detail, wwwAuthenticate: challenge('insufficient_scope', detail, requiredScope), clientId };
      }
      return { ok: true, claims: { ...payload, client_id: clientId, scope: scopes.join(' ') }, scopes };
    },
  };
}

/** More local clients: ESCALATOR_LOCAL_CLIENTS names a JSON file with [{clientId, clientSecret, scopes}]. */
export function loadLocalClients(path: string | undefined): LocalClient[] {
  if (!path) return [DEFAULT_CLIENT];
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read the local clients ${path}: ${(e as Error).message}`);
  }
  const r = z.array(LocalClient).safeParse(doc);
  if (!r.success) throw new Error(`${path}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const ids = r.data.map((c) => c.clientId);
  const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
  if (repeated) throw new Error(`${path}: the client ${repeated} is listed twice`);
  return [DEFAULT_CLIENT, ...r.data.filter((c) => c.clientId !== DEFAULT_CLIENT.clientId)];
}

/** More local people: ESCALATOR_LOCAL_USERS names a JSON file with [{username, password, groups}]. */
export function loadLocalUsers(path: string | undefined): LocalUser[] {
  if (!path) return [DEFAULT_USER];
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read the local users ${path}: ${(e as Error).message}`);
  }
  const r = z.array(LocalUser).safeParse(doc);
  if (!r.success) throw new Error(`${path}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const names = r.data.map((u) => u.username);
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  if (repeated) throw new Error(`${path}: the user ${repeated} is listed twice`);
  return [DEFAULT_USER, ...r.data.filter((u) => u.username !== DEFAULT_USER.username)];
}
