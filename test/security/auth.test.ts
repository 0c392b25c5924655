// OAuth2 on the local stack, over HTTP: every route with a scope refuses every kind of bad token with 401 (and a
// token without its scope with 403), the token endpoint answers per RFC 6749, extra clients are configured from a
// file, and the token's client is the actor on the timeline.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, SCOPES, type RouteSpec } from '../../functions/routes.ts';
import type { LocalStack } from '../../local/stack.ts';
import { newCaseBody, startTestStack, type TestApi } from '../support/stack.ts';
import {
  readResponse,
  accessClaims,
  algConfusionToken,
  ALL_SCOPES,
  foreignToken,
  snapshot,
  stableSnapshot,
  stackKeySigner,
  tokenRequest,
  unsignedToken,
} from './support.ts';

let stack: LocalStack;
let api: TestApi;
const dataDir = mkdtempSync(join(tmpdir(), 'escalator-auth-'));
const clientsPath = join(mkdtempSync(join(tmpdir(), 'escalator-clients-')), 'clients.json');
const READER = { clientId: 'reader-bot', clientSecret: 'reader-bot-secret-0001', scopes: ['cases/read'] };
const WRITER = { clientId: 'writer-bot', clientSecret: 'writer-bot-secret-0001', scopes: ['cases/read', 'cases/write'] };
/** A secret with characters form-encoding changes. */
const ODD = { clientId: 'odd-bot', clientSecret: 'odd+secret/with%25 and:colon', scopes: ['cases/read'] };
writeFileSync(clientsPath, JSON.stringify([READER, WRITER, ODD]));

const PROTECTED = ROUTES.filter((r) => r.scope !== null);
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** A sensible body for each write (the auth check comes first, so these never run on a refused request). */
const BODIES: Record<string, unknown> = {
  createCase: newCaseBody(),
  escalateCase: { kind: 'hierarchical', summary: 'needs a senior agent' },
  commentOnCase: { body: 'looking into it', visibility: 'internal' },
  offerCompensation: { kind: 'credit', amount: 10, currency: 'USD' },
  pauseCase: { reason: 'waiting on the customer' },
  resumeCase: { reason: 'the customer answered' },
  resolveCase: { resolution: 'replacement shipped' },
  reopenCase: { reason: 'still broken' },
  closeCase: { reason: 'done' },
  changePriority: { priority: 'P2', summary: 'the customer is blocked' },
};

/** Case and compensation that fill the path parameters; a separate pair for the requests that are let through. */
const fixtures = { refused: { id: '', compensationId: '' }, allowed: { id: '', compensationId: '' } };

function pathOf(route: RouteSpec, f: { id: string; compensationId: string }): string {
  return route.path.replace('{id}', f.id).replace('{compensationId}', f.compensationId);
}

async function call(route: RouteSpec, authorization: string | null, f = fixtures.refused) {
  const headers: Record<string, string> = authorization === null ? {} : { authorization };
  // The what-if takes a whole policy: the stack's own is a valid draft.
  const body = route.operationId === 'simulatePolicy' ? { policy: stack.policy } : route.method === 'POST' ? BODIES[route.operationId] : undefined;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(`${api.url}${pathOf(route, f)}`, { method: route.method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  return readResponse(r);
}

async function caseWithPendingCompensation(): Promise<{ id: string; compensationId: string }> {
  const c = await api.post('/cases', newCaseBody({ customer: { id: 'auth-fixture', email: 'fixture@example.org', lifetimeValue: 100 } }));
  expect(c.status).toBe(201);
  const offered = await api.post(`/cases/${c.body.id}/compensations`, { kind: 'refund', amount: 400, currency: 'USD' });
  expect(offered.status).toBe(200);
  const pending = offered.body.compensations.find((o: { status: string }) => o.status === 'PENDING_APPROVAL');
  expect(pending).toBeDefined();
  return { id: c.body.id, compensationId: pending.id };
}

/** Every way a bearer token can be wrong (each must be a 401 on every route), made once the stack runs. */
interface BadToken {
  /** The RFC 6750 error code the challenge carries (none when no credentials were sent). */
  error?: 'invalid_token' | 'invalid_request';
  make: (ctx: { issuer: string; readOnly: string }) => Promise<string | null> | string | null;
}
const bearer = (t: string) => `Bearer ${t}`;
const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
const BAD_TOKENS: Record<string, BadToken> = {
  missing: { make: () => null },
  'empty Authorization header': { make: () => '' },
  'malformed (Bearer abc)': { error: 'invalid_token', make: () => 'Bearer abc' },
  'a bare Bearer without a token': { error: 'invalid_request', make: () => 'Bearer' },
  'another scheme (Basic client credentials)': { error: 'invalid_request', make: () => `Basic ${b64('escalator-local:escalator-local-secret')}` },
  'two tokens in one header': { error: 'invalid_request', make: ({ readOnly }) => `Bearer ${readOnly} ${readOnly}` },
  'wrongly signed (another ES256 key)': { error: 'invalid_token', make: async ({ issuer }) => bearer(await foreignToken(issuer)) },
  'unsigned (alg none)': { error: 'invalid_token', make: ({ issuer }) => bearer(unsignedToken(issuer)) },
  'HS256 keyed with the public key (algorithm confusion)': { error: 'invalid_token', make: async ({ issuer }) => bearer(await algConfusionToken(dataDir, issuer)) },
  'with a tampered signature': { error: 'invalid_token', make: ({ readOnly }) => bearer(flip(readOnly, readOnly.length - 5)) },
  'with a tampered payload (scope widened, old signature)': {
    error: 'invalid_token',
    make: ({ readOnly }) => {
      const [h, , sig] = readOnly.split('.');
      const widened = Buffer.from(JSON.stringify({ ...decodeJwt(readOnly), scope: ALL_SCOPES })).toString('base64url');
      return bearer(`${h}.${widened}.${sig}`);
    },
  },
  expired: { error: 'invalid_token', make: async () => bearer(await stack.auth.sign(accessClaims(), -60)) },
  'not yet valid (nbf in the future)': { error: 'invalid_token', make: async () => bearer(await stack.auth.sign(accessClaims({ nbf: Math.floor(Date.now() / 1000) + 3600 }))) },
  'for an unknown client (wrong audience)': { error: 'invalid_token', make: async () => bearer(await stack.auth.sign(accessClaims({ client_id: 'intruder', sub: 'intruder' }))) },
  'with an aud naming another API': { error: 'invalid_token', make: async () => bearer(await stack.auth.sign(accessClaims({ aud: 'https://another-api.example' }))) },
  'from another issuer (signed with the right key)': {
    error: 'invalid_token',
    make: async () => bearer(await (await stackKeySigner(dataDir))(accessClaims(), 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_other')),
  },
  'an id token (token_use id)': { error: 'invalid_token', make: async () => bearer(await stack.auth.sign(accessClaims({ token_use: 'id' }))) },
  'without token_use': { error: 'invalid_token', make: async () => bearer(await stack.auth.sign({ client_id: 'escalator-local', scope: ALL_SCOPES })) },
  'without client_id': { error: 'invalid_token', make: async () => bearer(await stack.auth.sign({ sub: 'escalator-local', token_use: 'access', scope: ALL_SCOPES })) },
  'with a non-string scope claim': {
    error: 'invalid_token',
    make: async () => bearer(await stack.auth.sign(accessClaims({ scope: ['cases/read', 'cases/write', 'cases/manage'] as unknown as string }))),
  },
  'absurdly long': { error: 'invalid_token', make: () => bearer('a'.repeat(9000)) },
};
const badHeaders = new Map<string, string | null>();
let before: Awaited<ReturnType<typeof snapshot>>;

beforeAll(async () => {
  ({ stack, api } = await startTestStack({ dataDir, clientsPath }));
  fixtures.refused = await caseWithPendingCompensation();
  fixtures.allowed = await caseWithPendingCompensation();
  const ctx = { issuer: stack.auth.issuer, readOnly: await api.token('cases/read') };
  for (const [name, bad] of Object.entries(BAD_TOKENS)) badHeaders.set(name, await bad.make(ctx));
  before = await stableSnapshot(api, [fixtures.refused.id]);
});
afterAll(async () => {
  await stack?.stop();
});

describe('every route with a scope refuses a bad token with 401', () => {
  it('covers every route of the table that has a scope', () => {
    expect(PROTECTED.length).toBe(ROUTES.filter((r) => r.scope).length);
    expect(PROTECTED.map((r) => r.operationId)).toEqual(expect.arrayContaining(['createCase', 'approveCompensation', 'closeCase', 'getMetrics', 'getWorkflow']));
  });

  describe.each(PROTECTED.map((r) => [`${r.method} ${r.path}`, r] as const))('%s', (_name, route) => {
    it.each(Object.keys(BAD_TOKENS))('token %s → 401 problem+json with a Bearer challenge', async (name) => {
      const bad = BAD_TOKENS[name]!;
      const r = await call(route, badHeaders.get(name)!);
      expect(r.status).toBe(401);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      expect(r.json).toMatchObject({ status: 401, title: 'Unauthorized' });
      expect(typeof r.json.detail).toBe('string');
      const challenge = r.headers.get('www-authenticate') ?? '';
      expect(challenge).toMatch(/^Bearer realm="escalator"/);
      if (bad.error) expect(challenge).toContain(`error="${bad.error}"`);
      else expect(challenge).not.toContain('error=');
    });

    it(`a token without ${route.scope} → 403 with an insufficient_scope challenge`, async () => {
      const others = Object.values(SCOPES).filter((s) => s !== route.scope);
      const r = await call(route, `Bearer ${await api.token(others.join(' '))}`);
      expect(r.status).toBe(403);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      expect(r.json).toMatchObject({ status: 403, title: 'Forbidden' });
      expect(r.headers.get('www-authenticate')).toBe(`Bearer realm="escalator", error="insufficient_scope", error_description="the token lacks the scope ${route.scope}", scope="${route.scope}"`);
    });
  });

  it('none of the refused requests changed anything', async () => {
    expect(await snapshot(api, [fixtures.refused.id])).toEqual(before);
  });
});

describe('a token with exactly the route\'s scope is let through', () => {
  it.each(PROTECTED.map((r) => [`${r.method} ${r.path}`, r] as const))('%s', async (_name, route) => {
    const r = await call(route, `Bearer ${await api.token(route.scope!)}`, fixtures.allowed);
    // Some actions conflict with the case's state by the time they run (409): what matters is the token passed.
    expect([200, 201, 409]).toContain(r.status);
  });
});

describe('POST /oauth2/token', () => {
  it('issues a Cognito-shaped access token for the client credentials grant', async () => {
    const r = await tokenRequest(api.url, { form: { grant_type: 'client_credentials', scope: 'cases/read' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.json).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'cases/read' });
    const claims = decodeJwt(r.json.access_token);
    expect(claims).toMatchObject({ iss: stack.auth.issuer, client_id: 'escalator-local', sub: 'escalator-local', token_use: 'access', scope: 'cases/read' });
    expect(claims.exp! - claims.iat!).toBe(3600);
  });

  it('grants every scope of the client when none is asked for', async () => {
    const r = await tokenRequest(api.url);
    expect(r.status).toBe(200);
    expect(decodeJwt(r.json.access_token).scope).toBe(ALL_SCOPES);
  });

  it('accepts a Basic secret sent raw (curl -u) or form-urlencoded (RFC 6749 §2.3.1)', async () => {
    const raw = await tokenRequest(api.url, { basic: `${ODD.clientId}:${ODD.clientSecret}` });
    expect(raw.status).toBe(200);
    const encoded = await tokenRequest(api.url, { basic: `${ODD.clientId}:${encodeURIComponent(ODD.clientSecret)}` });
    expect(encoded.status).toBe(200);
  });

  it('accepts the credentials as form fields too (client_secret_post)', async () => {
    const r = await tokenRequest(api.url, { basic: null, form: { grant_type: 'client_credentials', client_id: READER.clientId, client_secret: READER.clientSecret } });
    expect(r.status).toBe(200);
    expect(decodeJwt(r.json.access_token).client_id).toBe(READER.clientId);
  });

  it.each([
    ['a wrong secret', 'escalator-local:wrong-secret'],
    ['an unknown client', 'nobody:escalator-local-secret'],
    ['an empty secret', 'escalator-local:'],
    ['no colon', 'escalator-local'],
    ['a secret of the same length in non-ASCII characters', `escalator-local:${'é'.repeat('escalator-local-secret'.length)}`],
    ['broken percent-encoding', 'escalator-local:%E0%A4%A'],
    ['not base64 at all', 'Basic ***'],
  ])('refuses %s with 401 invalid_client and a Basic challenge', async (_name, basic) => {
    const r = await tokenRequest(api.url, { basic });
    expect(r.status).toBe(401);
    expect(r.json.error).toBe('invalid_client');
    expect(r.headers.get('www-authenticate')).toMatch(/^Basic realm="escalator"/);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.json.access_token).toBeUndefined();
  });

  it('refuses a request without any client authentication with 401 invalid_client', async () => {
    const r = await tokenRequest(api.url, { basic: null });
    expect(r.status).toBe(401);
    expect(r.json.error).toBe('invalid_client');
  });

  it.each(['password', 'refresh_token', 'urn:ietf:params:oauth:grant-type:jwt-bearer'])('refuses grant_type=%s with 400 unsupported_grant_type', async (grant) => {
    const r = await tokenRequest(api.url, { form: { grant_type: grant, username: 'u', password: 'p' } });
    expect(r.status).toBe(400);
    expect(r.json.error).toBe('unsupported_grant_type');
  });

  it('refuses grant_type=authorization_code to an API client with 400 unauthorized_client (only the console\'s public client signs people in)', async () => {
    const r = await tokenRequest(api.url, { form: { grant_type: 'authorization_code', code: 'x', redirect_uri: `${api.url}/console/callback` } });
    expect(r.status).toBe(400);
    expect(r.json.error).toBe('unauthorized_client');
  });

  it('answers 400 invalid_request without grant_type, with a repeated parameter, with two client authentications, or not as a form', async () => {
    expect((await tokenRequest(api.url, { form: {} })).json.error).toBe('invalid_request');
    const repeated = await tokenRequest(api.url, { form: 'grant_type=client_credentials&grant_type=client_credentials' });
    expect(repeated.status).toBe(400);
    expect(repeated.json.error).toBe('invalid_request');
    const both = await tokenRequest(api.url, { form: { grant_type: 'client_credentials', client_id: 'escalator-local', client_secret: 'escalator-local-secret' } });
    expect(both.status).toBe(400);
    expect(both.json.error).toBe('invalid_request');
    const json = await tokenRequest(api.url, { contentType: 'application/json', form: JSON.stringify({ grant_type: 'client_credentials' }) });
    expect(json.status).toBe(400);
    expect(json.json.error).toBe('invalid_request');
    const get = await tokenRequest(api.url, { method: 'GET' });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it('refuses a scope the client does not hold, or one that does not exist, with 400 invalid_scope', async () => {
    const lacking = await tokenRequest(api.url, { basic: `${READER.clientId}:${READER.clientSecret}`, form: { grant_type: 'client_credentials', scope: 'cases/read cases/write' } });
    expect(lacking.status).toBe(400);
    expect(lacking.json).toMatchObject({ error: 'invalid_scope' });
    expect(lacking.json.error_description).toContain('cases/write');
    for (const scope of ['cases/admin', 'cases/read "x"', ' ']) {
      const r = await tokenRequest(api.url, { form: { grant_type: 'client_credentials', scope } });
      expect(r.status, scope).toBe(400);
      expect(r.json.error, scope).toBe('invalid_scope');
    }
  });
});

describe('clients configured in a file (ESCALATOR_LOCAL_CLIENTS)', () => {
  it('a read-only client can read but every write is 403', async () => {
    const t = await tokenRequest(api.url, { basic: `${READER.clientId}:${READER.clientSecret}` });
    expect(t.status).toBe(200);
    expect(decodeJwt(t.json.access_token).scope).toBe('cases/read');
    const token = t.json.access_token as string;
    const unchanged = await snapshot(api, [fixtures.refused.id]);
    expect((await api.get(`/cases/${fixtures.refused.id}`, { token })).status).toBe(200);
    expect((await api.get('/cases', { token })).status).toBe(200);
    expect((await api.get(`/cases/${fixtures.refused.id}/timeline`, { token })).status).toBe(200);
    for (const route of PROTECTED.filter((r) => r.method === 'POST')) {
      const r = await call(route, `Bearer ${token}`);
      expect(r.status, route.operationId).toBe(403);
    }
    expect(await snapshot(api, [fixtures.refused.id])).toEqual(unchanged);
  });

  it('records the token\'s client as the actor on the case timeline', async () => {
    const t = await tokenRequest(api.url, { basic: `${WRITER.clientId}:${WRITER.clientSecret}`, form: { grant_type: 'client_credentials', scope: 'cases/write cases/read' } });
    const token = t.json.access_token as string;
    const created = await api.post('/cases', newCaseBody({ customer: { id: 'actor-check', email: 'actor@example.org' } }), { token });
    expect(created.status).toBe(201);
    const commented = await api.post(`/cases/${created.body.id}/comments`, { body: 'on it', visibility: 'internal' }, { token });
    expect(commented.status).toBe(200);
    const byLocal = await api.post(`/cases/${created.body.id}/comments`, { body: 'me too', visibility: 'internal' });
    expect(byLocal.status).toBe(200);
    const timeline = await api.get(`/cases/${created.body.id}/timeline`, { token });
    const actors = timeline.body.events.filter((e: { type: string }) => e.type === 'created' || e.type === 'commented').map((e: { type: string; actor: unknown }) => [e.type, e.actor]);
    expect(actors).toEqual([
      ['created', { kind: 'client', id: WRITER.clientId }],
      ['commented', { kind: 'client', id: WRITER.clientId }],
      ['commented', { kind: 'client', id: 'escalator-local' }],
    ]);
  });

  it('a write client cannot use a manager action', async () => {
    const t = await tokenRequest(api.url, { basic: `${WRITER.clientId}:${WRITER.clientSecret}` });
    const r = await call(ROUTES.find((x) => x.operationId === 'approveCompensation')!, `Bearer ${t.json.access_token}`);
    expect(r.status).toBe(403);
  });
});
