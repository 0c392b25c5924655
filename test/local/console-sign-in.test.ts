// The local authorization server's sign-in for people (authorization code + PKCE), checked without a stack: the
// tokens it issues pass the same verify() API clients' tokens do, with the scopes of the user's groups.
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CONSOLE_CLIENT_ID, createLocalAuth, type LocalAuth } from '../../local/auth.ts';

const ISSUER = 'http://127.0.0.1:3999';
const CALLBACK = `${ISSUER}/console/callback`;

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorizeForm(challenge: string, extra: Record<string, string> = {}) {
  return new URLSearchParams({
    response_type: 'code',
    client_id: CONSOLE_CLIENT_ID,
    redirect_uri: CALLBACK,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'st-1',
    username: 'ops',
    password: 'ops-local-password',
    ...extra,
  });
}

async function signIn(auth: LocalAuth, extra: Record<string, string> = {}) {
  const { verifier, challenge } = pkce();
  const r = await auth.authorize(authorizeForm(challenge, extra));
  const code = r.status === 302 ? new URL(r.headers['location']!).searchParams.get('code')! : '';
  return { r, code, verifier };
}

const exchange = (auth: LocalAuth, code: string, verifier: string, extra: Record<string, string> = {}) =>
  auth.token(undefined, new URLSearchParams({ grant_type: 'authorization_code', client_id: CONSOLE_CLIENT_ID, code, redirect_uri: CALLBACK, code_verifier: verifier, ...extra }));

describe('local sign-in (authorization code + PKCE)', () => {
  it('signs ops in with every scope; the token is checked like a client token', async () => {
    // Prepare
    const auth = await createLocalAuth({ issuer: ISSUER });
    // Act
    const { r, code, verifier } = await signIn(auth);
    const t = await exchange(auth, code, verifier);
    // Assess
    expect(r.status).toBe(302);
    expect(new URL(r.headers['location']!).origin + new URL(r.headers['location']!).pathname).toBe(CALLBACK);
    expect(new URL(r.headers['location']!).searchParams.get('state')).toBe('st-1');
    expect(t.status).toBe(200);
    expect(t.body['scope']).toBe('cases/read cases/write cases/manage');
    const v = await auth.verify(`Bearer ${t.body['access_token']}`, 'cases/manage');
    expect(v.ok).toBe(true);
    if (v.ok) expect(v.claims['username']).toBe('ops');
  });

  it('gives a user only the scopes of their groups, and the API refuses the rest with 403', async () => {
    const auth = await createLocalAuth({ issuer: ISSUER, users: [{ username: 'reader', password: 'reader-password', groups: ['escalator-readers'] }] });
    const { code, verifier } = await signIn(auth, { username: 'reader', password: 'reader-password' });
    const t = await exchange(auth, code, verifier);
    expect(t.body['scope']).toBe('cases/read');
    const token = `Bearer ${t.body['access_token']}`;
    expect((await auth.verify(token, 'cases/read')).ok).toBe(true);
    expect(await auth.verify(token, 'cases/write')).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses a wrong password, a wrong verifier, a reused code and a foreign callback', async () => {
    const auth = await createLocalAuth({ issuer: ISSUER });
    expect((await signIn(auth, { password: 'nope-nope-nope' })).r.status).toBe(401);

    const a = await signIn(auth);
    expect(await exchange(auth, a.code, pkce().verifier)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    // the failed attempt used the code up
    expect(await exchange(auth, a.code, a.verifier)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });

    const b = await signIn(auth);
    expect((await exchange(auth, b.code, b.verifier)).status).toBe(200);
    expect(await exchange(auth, b.code, b.verifier)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });

    const { challenge } = pkce();
    expect((await auth.authorize(authorizeForm(challenge, { redirect_uri: 'https://evil.example/cb' }))).status).toBe(400);
    expect(auth.authorizePage(new URLSearchParams({ client_id: CONSOLE_CLIENT_ID, redirect_uri: CALLBACK, response_type: 'code' })).status).toBe(400);
    expect(auth.authorizePage(authorizeForm(challenge)).status).toBe(200);
  });

  it('escapes what it echoes into the sign-in page', async () => {
    const auth = await createLocalAuth({ issuer: ISSUER });
    const page = auth.authorizePage(authorizeForm(pkce().challenge, { state: '"><script>alert(1)</script>' }));
    expect(page.body).not.toContain('<script>');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
  });
});
