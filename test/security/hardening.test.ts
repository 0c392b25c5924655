// The input hardening, one case each, over HTTP on the local stack: what is refused (and with which status and
// field), what is accepted, and that a refusal changes nothing. The property-based sweep is fuzz.test.ts.
import { loggedErrors } from '../support/logs.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toProblem } from '../../functions/commons/http.ts';
import type { LocalStack } from '../../local/stack.ts';
import { newCaseBody, startTestStack, type TestApi } from '../support/stack.ts';
import { rawClient, snapshot, tokenRequest } from './support.ts';

let stack: LocalStack;
let api: TestApi;
let client: ReturnType<typeof rawClient>;
let caseId: string;
let auth: string;

beforeAll(async () => {
  ({ stack, api } = await startTestStack());
  client = rawClient(api.url);
  caseId = (await api.post('/cases', newCaseBody())).body.id;
  auth = `Bearer ${await api.token()}`;
});
afterAll(async () => {
  client?.close();
  await stack?.stop();
});

const comment = (body: string | Buffer, headers: Record<string, string> = {}) =>
  client.send({ method: 'POST', path: `/cases/${caseId}/comments`, headers: { authorization: auth, 'content-type': 'application/json', ...headers }, body });
const paths = (r: { json?: any; body?: any }) => ((r.json ?? r.body)?.errors ?? []).map((e: { path: string }) => e.path);

/** Runs `fn` and checks the case (and the number of cases) did not change. */
async function unchanged(fn: () => Promise<void>) {
  const before = await snapshot(api, [caseId]);
  await fn();
  expect(await snapshot(api, [caseId])).toEqual(before);
}

describe('request targets and methods', () => {
  it('answers a request target that is not a path with 400, never a 500', async () => {
    // Resolved against a base, '//[::/x' read as a URL with a broken host made the gateway throw (500).
    const hostLike = await client.send({ method: 'GET', path: '//[::/x', headers: { authorization: auth } });
    expect(hostLike.status).toBe(404);
    expect(hostLike.headers['content-type']).toBe('application/problem+json');
    for (const path of ['http://evil.example/cases', '*']) {
      const r = await client.send({ method: 'GET', path, headers: { authorization: auth } });
      expect(r.status, path).toBe(400);
      expect(r.headers['content-type']).toBe('application/problem+json');
    }
  });

  it('keeps //cases a path (not a host) and answers 404', async () => {
    const r = await client.send({ method: 'GET', path: '//cases', headers: { authorization: auth } });
    expect(r.status).toBe(404);
  });

  it('answers a known path with the wrong method with 405 and Allow', async () => {
    const r = await client.send({ method: 'DELETE', path: `/cases/${caseId}`, headers: { authorization: auth } });
    expect(r.status).toBe(405);
    expect(r.headers['allow']).toBe('GET');
    expect(r.json).toMatchObject({ status: 405 });
    expect((await client.send({ method: 'PUT', path: '/cases', headers: { authorization: auth } })).headers['allow']).toBe('POST, GET');
  });
});

describe('JSON bodies', () => {
  it('names every unknown field on its own (unknown fields are rejected, not stripped)', async () => {
    await unchanged(async () => {
      const r = await comment(JSON.stringify({ body: 'hi', visibility: 'internal', colour: 'red', size: 2 }));
      expect(r.status).toBe(400);
      expect(paths(r)).toEqual(['colour', 'size']);
    });
  });

  it('refuses __proto__, constructor and prototype keys at any depth, naming them (no silent drop, no pollution)', async () => {
    await unchanged(async () => {
      const top = await comment('{"body":"hi","visibility":"internal","__proto__":{"polluted":true}}');
      expect(top.status).toBe(400);
      expect(paths(top)).toEqual(['__proto__']);
      const nested = await api.post('/cases', JSON.parse('{"customer":{"id":"p","email":"p@example.org","constructor":{"prototype":{"polluted":true}}},"subject":"s","description":"d"}'));
      expect(nested.status).toBe(400);
      expect(paths(nested)).toEqual(['customer.constructor']);
    });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('refuses a body that is not UTF-8 with 400 instead of storing U+FFFD', async () => {
    await unchanged(async () => {
      const body = Buffer.concat([Buffer.from('{"body":"caf'), Buffer.from([0xe9]), Buffer.from('","visibility":"internal"}')]);
      const r = await comment(body);
      expect(r.status).toBe(400);
      expect(r.json).toMatchObject({ title: 'Malformed body', errors: [{ path: '(body)', message: 'not valid UTF-8' }] });
    });
  });

  it('refuses strings that are not valid Unicode (lone surrogates) naming the field', async () => {
    await unchanged(async () => {
      const r = await comment('{"body":"half an emoji \\ud83d","visibility":"internal"}');
      expect(r.status).toBe(400);
      expect(paths(r)).toEqual(['body']);
    });
    // A whole emoji written as an escaped surrogate pair is fine.
    const ok = await comment('{"body":"whole \\ud83d\\ude00","visibility":"internal"}');
    expect(ok.status).toBe(200);
  });

  it('refuses JSON nested deeper than 32 levels with 400 naming where (never a stack overflow)', async () => {
    await unchanged(async () => {
      const deep = `{"body":"x","visibility":"internal","extra":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
      const r = await comment(deep);
      expect(r.status).toBe(400);
      expect(paths(r)[0]).toMatch(/^extra\.0\.0/);
    });
  });

  it('keeps the answer small for thousands of unknown fields (at most 50 errors)', async () => {
    const body = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i]));
    const r = await comment(JSON.stringify({ body: 'x', visibility: 'internal', ...body }));
    expect(r.status).toBe(400);
    expect(r.json.errors).toHaveLength(50);
  });

  it('takes application/json in any letter case and +json types; refuses other charsets and types with 415', async () => {
    const valid = JSON.stringify({ body: 'ok', visibility: 'internal' });
    expect((await comment(valid, { 'content-type': 'Application/JSON; Charset=UTF-8' })).status).toBe(200);
    expect((await comment(valid, { 'content-type': 'application/merge-patch+json' })).status).toBe(200);
    await unchanged(async () => {
      for (const type of ['application/json; charset=iso-8859-1', 'application/json; charset=utf-16', 'text/plain', 'application/jsonx', 'application/json, text/plain']) {
        const r = await comment(valid, { 'content-type': type });
        expect(r.status, type).toBe(415);
        expect(r.json).toMatchObject({ status: 415 });
      }
    });
  });

  it('answers a body over 64 KB with 413 (and over the gateway limit too), never a 500', async () => {
    const big = JSON.stringify({ body: 'x'.repeat(70_000), visibility: 'internal' });
    expect((await comment(big)).status).toBe(413);
    const huge = await comment(Buffer.alloc(11 * 1024 * 1024, 0x20));
    expect(huge.status).toBe(413);
    expect(huge.json).toMatchObject({ status: 413 });
  });
});

describe('headers', () => {
  it('accepts If-Match as "N", N, W/"N" or *; refuses unbalanced quotes or lists with 400 naming If-Match', async () => {
    const version = (await api.get(`/cases/${caseId}`)).body.version as number;
    const body = JSON.stringify({ body: 'conditional', visibility: 'internal' });
    expect((await comment(body, { 'if-match': `"${version}"` })).status).toBe(200);
    expect((await comment(body, { 'if-match': `${version + 1}` })).status).toBe(200);
    expect((await comment(body, { 'if-match': `W/"${version + 2}"` })).status).toBe(200);
    expect((await comment(body, { 'if-match': '*' })).status).toBe(200);
    await unchanged(async () => {
      for (const value of [`"${version + 4}`, `"${version + 4}", "${version + 5}"`, 'abc', '']) {
        const r = await comment(body, { 'if-match': value });
        expect(r.status, value).toBe(400);
        expect(paths(r)).toEqual(['If-Match']);
      }
    });
  });

  it('refuses an Idempotency-Key that is empty, too long or not visible ASCII, naming it', async () => {
    await unchanged(async () => {
      for (const key of ['', 'x'.repeat(256), 'two words', 'caf\u00e9']) {
        const r = await comment(JSON.stringify({ body: 'x', visibility: 'internal' }), { 'idempotency-key': key });
        expect(r.status, key).toBe(400);
        expect(paths(r)).toEqual(['Idempotency-Key']);
      }
    });
  });
});

describe('query strings', () => {
  it('refuses __proto__ and constructor parameters naming them', async () => {
    const r = await client.send({ method: 'GET', path: '/cases?__proto__=x&constructor=y&limit=1', headers: { authorization: auth } });
    expect(r.status).toBe(400);
    expect(paths(r).sort()).toEqual(['__proto__', 'constructor']);
  });
});

describe('the token endpoint', () => {
  it('refuses an oversized form with 400 invalid_request', async () => {
    const r = await tokenRequest(api.url, { form: `grant_type=client_credentials&pad=${'x'.repeat(10_000)}` });
    expect(r.status).toBe(400);
    expect(r.json.error).toBe('invalid_request');
  });

  it('accepts the form type in any letter case', async () => {
    const r = await tokenRequest(api.url, { contentType: 'Application/X-WWW-Form-Urlencoded; charset=UTF-8' });
    expect(r.status).toBe(200);
  });
});

describe('limits of the store', () => {
  it('takes 60 comments of 10 KB on one case (far past an item\'s 400 KB) without refusing one, and the timer still moves it', async () => {
    const id = (await api.post('/cases', newCaseBody())).body.id;
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) statuses.push((await api.post(`/cases/${id}/comments`, { body: 'x'.repeat(10_000), visibility: 'internal' })).status);
    expect(statuses.every((s) => s === 200)).toBe(true);
    const c = await api.get(`/cases/${id}`);
    expect(c.status).toBe(200);
    expect(c.text.length).toBeLessThan(5_000); // the case carries its state, not its history
    // The timer's own changes still apply to a case with a long history.
    const { cases } = await import('../../functions/app/wiring.ts');
    const { applyDueTimers } = await import('../../functions/domain/sla.ts');
    const { after } = await cases.changeCase(id, (cur, ctx) => applyDueTimers(cur, { ...ctx, now: new Date(Date.parse(cur.sla.levelDueAt) + 1) }), {
      actor: { kind: 'system', id: 'escalation-timer' },
      retime: false,
    });
    expect(after.level).toBe('L1');
  });
});

describe('the one error mapper', () => {
  it('answers AWS throttling with 503 and Retry-After, not a bare 500', async () => {
    const { ProvisionedThroughputExceededException } = await import('@aws-sdk/client-dynamodb');
    const err = new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} });
    const r = toProblem(err);
    expect(r.statusCode).toBe(503);
    expect(r.headers).toMatchObject({ 'content-type': 'application/problem+json', 'retry-after': '1' });
  });

  it('answers DynamoDB\'s item size limit with 409, not a 500', async () => {
    const { DynamoDBServiceException } = await import('@aws-sdk/client-dynamodb');
    const validation = (message: string) => new DynamoDBServiceException({ name: 'ValidationException', $fault: 'client', message, $metadata: {} });
    expect(toProblem(validation('Item size has exceeded the maximum allowed size'))).toMatchObject({ statusCode: 409 });
    expect(toProblem(validation('Invalid KeyConditionExpression')).statusCode).toBe(500);
    // Mapped by class: an error merely calling itself a domain error is not one.
    expect(toProblem(Object.assign(new Error('x'), { name: 'NotFoundError' })).statusCode).toBe(500);
    // Each is an ERROR for ops (captured, not printed: test/support/logs.ts).
    expect(loggedErrors().map((l) => l.message)).toEqual(['case item too large', 'unhandled error', 'unhandled error']);
  });

  it('maps a subclass of a domain error like its parent', async () => {
    const { ConflictError } = await import('../../functions/domain/errors.ts');
    class Special extends ConflictError {
      override name = 'SpecialConflict';
    }
    expect(toProblem(new Special('no')).statusCode).toBe(409);
  });
});
