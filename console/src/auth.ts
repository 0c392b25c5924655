// Signing in: the OAuth2 authorization-code flow with PKCE (S256) against Cognito's hosted UI on AWS or the local
// authorization server. The access token lives in sessionStorage: it ends with the tab and is never sent anywhere
// but the API. What the token's scopes allow decides which actions the pages offer; the API checks them again.
import { loadConfig } from './config.ts';

const TOKEN = 'escalator.token';
const PENDING = 'escalator.signin';

export interface Session {
  token: string;
  username: string;
  scopes: string[];
  expiresAt: number;
}

const b64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

function claimsOf(token: string): Record<string, unknown> {
  const part = token.split('.')[1] ?? '';
  return JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>;
}

export function session(): Session | undefined {
  const token = sessionStorage.getItem(TOKEN);
  if (!token) return undefined;
  try {
    const c = claimsOf(token);
    const expiresAt = Number(c['exp']) * 1000;
    // A minute's margin: a request sent just before expiry would fail half-way through a page.
    if (!(expiresAt > Date.now() + 60_000)) return undefined;
    return { token, username: String(c['username'] ?? c['client_id'] ?? 'unknown'), scopes: String(c['scope'] ?? '').split(' ').filter(Boolean), expiresAt };
  } catch {
    return undefined;
  }
}

export const can = (s: Session | undefined, scope: 'cases/read' | 'cases/write' | 'cases/manage') => !!s?.scopes.includes(scope);

/** Off to the sign-in page; back at `returnTo` afterwards. */
export async function signIn(returnTo = location.pathname + location.search + location.hash): Promise<never> {
  const cfg = await loadConfig();
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = b64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, returnTo }));
  const url = new URL(cfg.authorizeUrl);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: cfg.clientId,
    redirect_uri: cfg.redirectUri,
    scope: 'cases/read cases/write cases/manage',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
  return new Promise<never>(() => undefined);
}

/** On /console/callback: check the state, trade the code (with the verifier) for a token, go back where we were. */
export async function completeSignIn(): Promise<string> {
  const cfg = await loadConfig();
  const params = new URLSearchParams(location.search);
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null') as { verifier: string; state: string; returnTo: string } | null;
  sessionStorage.removeItem(PENDING);
  if (params.get('error')) throw new Error(`sign-in refused: ${params.get('error_description') ?? params.get('error')}`);
  if (!pending || params.get('state') !== pending.state) throw new Error('this sign-in was not started here (state mismatch); sign in again');
  const r = await fetch(cfg.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', client_id: cfg.clientId, code: params.get('code') ?? '', redirect_uri: cfg.redirectUri, code_verifier: pending.verifier }),
  });
  const body = (await r.json()) as { access_token?: string; error_description?: string; error?: string };
  if (!r.ok || !body.access_token) throw new Error(`sign-in failed: ${body.error_description ?? body.error ?? r.status}`);
  sessionStorage.setItem(TOKEN, body.access_token);
  return pending.returnTo.startsWith('/console/') ? pending.returnTo : '/console/';
}

export async function signOut(): Promise<void> {
  sessionStorage.removeItem(TOKEN);
  const cfg = await loadConfig();
  if (cfg.logoutUrl) {
    // Cognito ends its own session too, then returns to the console.
    const url = new URL(cfg.logoutUrl);
    url.search = new URLSearchParams({ client_id: cfg.clientId, logout_uri: new URL('/console/', location.href).toString() }).toString();
    location.assign(url.toString());
  } else location.assign('/console/signed-out');
}
