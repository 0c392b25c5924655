// Local stack: the OAuth2 client-credentials grant Cognito serves on AWS, and the checks API Gateway's JWT
// authorizer makes (signature, issuer, expiry, audience = a known client, scope), with the `jose` library.
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type JWK, type JWTPayload, type CryptoKey } from 'jose';
import { z } from 'zod';
import { SCOPES } from '../functions/routes.ts';

export const ALL_SCOPES = Object.values(SCOPES);

export const LocalClient = z.strictObject({
  clientId: z.string().min(1),
  clientSecret: z.string().min(8),
  scopes: z.array(z.enum(ALL_SCOPES as [string, ...string[]])).min(1),
});
export type LocalClient = z.infer<typeof LocalClient>;

/** Local only, never deployed: holds every scope so a developer can try everything. */
export const DEFAULT_CLIENT: LocalClient = { clientId: 'escalator-local', clientSecret: 'escalator-local-secret', scopes: [...ALL_SCOPES] };

export interface TokenResponse {
  status: number;
  body: Record<string, unknown>;
}

export type VerifyResult =
  | { ok: true; claims: JWTPayload & { client_id: string; scope: string }; scopes: string[] }
  | { ok: false; status: 401 | 403; detail: string };

const ALG = 'ES256';

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
      if (form.get('grant_type') !== 'client_credentials') {
        return oauthError(400, 'unsupported_grant_type', 'only grant_type=client_credentials is supported');
      }
      const basic = /^Basic\s+(\S+)$/i.exec(authorization ?? '');
      let id = form.get('client_id') ?? '';
      let secret = form.get('client_secret') ?? '';
      if (basic) {
        const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
        const i = decoded.indexOf(':');
        if (i > 0) {
          id = decodeURIComponent(decoded.slice(0, i));
          secret = decodeURIComponent(decoded.slice(i + 1));
        }
      }
      const client = clients.get(id);
      const ok = client && secret.length === client.clientSecret.length && timingSafeEqual(Buffer.from(secret), Buffer.from(client.clientSecret));
      if (!client || !ok) return oauthError(401, 'invalid_client', 'unknown client or wrong secret');
      const requested = (form.get('scope') ?? '').split(/\s+/).filter(Boolean);
      const scopes = requested.length ? requested : client.scopes;
      const refused = scopes.filter((s) => !client.scopes.includes(s));
      if (refused.length) return oauthError(400, 'invalid_scope', `the client may not have: ${refused.join(' ')}`);
      // The claims Cognito puts in a client-credentials access token.
      const accessToken = await sign({ sub: client.clientId, client_id: client.clientId, token_use: 'access', scope: scopes.join(' '), version: 2 });
      return { status: 200, body: { access_token: accessToken, token_type: 'Bearer', expires_in: ttl } };
    },
    async verify(authorization, requiredScope) {
      const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
      if (!m) return { ok: false, status: 401, detail: 'send an OAuth2 access token: Authorization: Bearer <token>' };
      try {
        const { payload } = await jwtVerify(m[1]!, publicKey, { issuer: opts.issuer, algorithms: [ALG], requiredClaims: ['exp', 'client_id'] });
        // Like the authorizer's audience check for Cognito access tokens: the client must be a known one.
        const clientId = String(payload['client_id']);
        if (!clients.has(clientId) || payload['token_use'] !== 'access') return { ok: false, status: 401, detail: 'the token is not for this API' };
        const scopes = String(payload['scope'] ?? '').split(/\s+/).filter(Boolean);
        if (!scopes.includes(requiredScope)) return { ok: false, status: 403, detail: `the token lacks the scope ${requiredScope}` };
        return { ok: true, claims: { ...payload, client_id: clientId, scope: scopes.join(' ') }, scopes };
      } catch (e) {
        const code = (e as { code?: string }).code;
        return { ok: false, status: 401, detail: code === 'ERR_JWT_EXPIRED' ? 'the token has expired' : 'the token is not valid' };
      }
    },
  };
}

/** More local clients: ESCALATOR_LOCAL_CLIENTS names a JSON file with [{clientId, clientSecret, scopes}]. */
export function loadLocalClients(path: string | undefined): LocalClient[] {
  if (!path) return [DEFAULT_CLIENT];
  const r = z.array(LocalClient).safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!r.success) throw new Error(`${path}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return [DEFAULT_CLIENT, ...r.data.filter((c) => c.clientId !== DEFAULT_CLIENT.clientId)];
}
