// Local stack: the OAuth2 client-credentials grant Cognito serves on AWS, and the checks API Gateway's JWT
// authorizer makes (signature, issuer, expiry, audience = a known client, scope), with the `jose` library.
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type JWK, type JWTPayload, type CryptoKey } from 'jose';
import { z } from 'zod';
import { SCOPES } from '../functions/routes.ts';

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

export async function createLocalAuth(opts: { issuer: string; dataDir?: string | undefined; clients?: LocalClient[]; tokenTtlSeconds?: number }): Promise<LocalAuth> {
  const { privateKey, publicKey } = await signingKey(opts.dataDir);
  const clients = new Map((opts.clients ?? [DEFAULT_CLIENT]).map((c) => [c.clientId, c]));
  const ttl = opts.tokenTtlSeconds ?? 3600;

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

  return {
    issuer: opts.issuer,
    sign,
    async token(authorization, form) {
      // RFC 6749 §3.2: parameters must not repeat.
      for (const name of new Set(form.keys())) {
        if (form.getAll(name).length > 1) return oauthError(400, 'invalid_request', `the parameter ${name} is repeated`);
      }
      const grant = form.get('grant_type');
      if (!grant) return oauthError(400, 'invalid_request', 'grant_type is required');
      if (grant !== 'client_credentials') return oauthError(400, 'unsupported_grant_type', 'only grant_type=client_credentials is supported');

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
      if (typeof clientId !== 'string' || !clients.has(clientId) || aud.some((a) => !clients.has(a))) return refuse('the token is not for this API', 'invalid_token');
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
