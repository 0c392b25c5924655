// Throttling on the local stack: a token bucket per client (per source address without a valid token) answers 429
// with Retry-After once the burst is spent, and lets requests through again after the time it named.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { startTestStack, type TestApi } from '../support/stack.ts';
import { tokenRequest } from './support.ts';

let stack: LocalStack;
let api: TestApi;
const RATE = { rate: 5, burst: 5 };
const clientsPath = join(mkdtempSync(join(tmpdir(), 'escalator-clients-')), 'clients.json');
const OTHER = { clientId: 'other-bot', clientSecret: 'other-bot-secret-0001', scopes: ['cases/read'] };
writeFileSync(clientsPath, JSON.stringify([OTHER]));

beforeAll(async () => {
  ({ stack, api } = await startTestStack({ throttle: RATE, clientsPath }));
});
afterAll(async () => {
  await stack?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Fire `n` requests at once (well inside one refill interval) and sort the answers by status. */
async function burst(n: number, token: string | null, path = '/cases?limit=1') {
  const rs = await Promise.all(Array.from({ length: n }, () => api.get(path, { token })));
  return { ok: rs.filter((r) => r.status !== 429), throttled: rs.filter((r) => r.status === 429) };
}

/** Wait until a bucket is full again (burst / rate seconds), so each test starts from a full burst. */
const refill = () => sleep((RATE.burst / RATE.rate) * 1000 + 100);

describe('throttling (rate 5/s, burst 5)', () => {
  it('answers 429 problem+json with Retry-After once the burst is spent, then recovers after that time', async () => {
    const token = await api.token();
    await refill();
    const first = await burst(10, token);
    // The burst goes through (at most one more token may have refilled while the requests were in flight).
    expect(first.ok.length).toBeGreaterThanOrEqual(RATE.burst);
    expect(first.ok.length).toBeLessThanOrEqual(RATE.burst + 1);
    expect(first.ok.every((r) => r.status === 200)).toBe(true);
    const refused = first.throttled[0]!;
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.body).toMatchObject({ status: 429, title: 'Too many requests' });
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    // Still refused right away (at most a token or two refill while a burst is in flight)…
    const again = await burst(10, token);
    expect(again.throttled.length).toBeGreaterThan(0);
    const wait = Number(again.throttled.at(-1)!.headers.get('retry-after'));
    expect(wait).toBeGreaterThanOrEqual(1);
    // …and served after the time the last refusal named.
    await sleep(wait * 1000);
    expect((await api.get('/cases?limit=1', { token })).status).toBe(200);
  });

  it('throttles each client on its own: another client is served while one is throttled', async () => {
    const token = await api.token();
    const t = await tokenRequest(api.url, { basic: `${OTHER.clientId}:${OTHER.clientSecret}` });
    expect(t.status).toBe(200);
    await refill();
    const spent = await burst(10, token);
    expect(spent.throttled.length).toBeGreaterThan(0);
    expect((await api.get('/cases?limit=1', { token: t.json.access_token })).status).toBe(200);
  });

  it('throttles requests without a valid token per source address, so guessing tokens is slowed down too', async () => {
    await refill();
    const guesses = await burst(10, 'not-a-token');
    expect(guesses.ok.every((r) => r.status === 401)).toBe(true);
    expect(guesses.throttled.length).toBeGreaterThanOrEqual(10 - RATE.burst - 1);
    expect(guesses.throttled[0]!.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
  });

  it('throttles the token endpoint per source address (RFC 6749 error body, Retry-After)', async () => {
    await refill();
    const rs = await Promise.all(Array.from({ length: 10 }, () => tokenRequest(api.url, { basic: 'escalator-local:wrong-secret-guess' })));
    expect(rs.filter((r) => r.status === 401).length).toBeLessThanOrEqual(RATE.burst + 1);
    const throttled = rs.filter((r) => r.status === 429);
    expect(throttled.length).toBeGreaterThanOrEqual(10 - RATE.burst - 1);
    expect(throttled[0]!.json).toMatchObject({ error: 'slow_down' });
    expect(throttled[0]!.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
  });
});
