// The API keeps its word: requests generated from the served GET /openapi.json — valid ones, and mutated ones
// (missing fields, wrong types, unknown fields, out-of-range values, odd path values, bad headers, dates at the
// edges, no or weak tokens) — for every operation, against the local stack. It fails on any 5xx, any status or
// content type the document does not list for the operation, any body that does not validate against the
// document's schema for it (ajv), any request the document calls invalid that is accepted (2xx), and any request
// the document calls valid that is refused as malformed (400, 413, 415): a spec looser than the server.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signLink } from '../../functions/commons/signed-links.ts';
import { ROUTES } from '../../functions/routes.ts';
import { ROOT, type LocalStack } from '../../local/stack.ts';
import { startTestStack, type TestApi } from '../support/stack.ts';
import { branches, mutations, sample, validate, type Json, type Schema } from './contract-support.ts';

let stack: LocalStack;
let api: TestApi;
let doc: Schema;
let token = '';

interface Operation {
  method: string;
  path: string;
  op: Schema;
}
const operations = new Map<string, Operation>();

/** What the document says of the request: valid, invalid, or not decided by the document (state, existence). */
type Expect = 'valid' | 'invalid';

interface Req {
  params?: Record<string, string>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Json | undefined;
  rawBody?: string;
  contentType?: string;
  token?: string | null;
}

const failures: string[] = [];
const seen = new Map<string, Set<number>>();

beforeAll(async () => {
  ({ stack, api } = await startTestStack());
  token = await api.token();
  const r = await fetch(`${api.url}/openapi.json`);
  doc = (await r.json()) as Schema;
  for (const [path, item] of Object.entries<Schema>(doc['paths'])) {
    for (const [method, op] of Object.entries<Schema>(item)) operations.set(op['operationId'], { method: method.toUpperCase(), path, op });
  }
});
afterAll(async () => {
  await stack?.stop();
});

function urlFor(o: Operation, req: Req): string {
  const path = o.path.replace(/\{(\w+)\}/g, (_m, name: string) => req.params?.[name] ?? '');
  const qs = new URLSearchParams(req.query ?? {}).toString();
  return `${api.url}${path}${qs ? `?${qs}` : ''}`;
}

/** Send one request and hold the answer to the document; returns the status and parsed body. */
async function call(opId: string, req: Req, expect: Expect, label: string): Promise<{ status: number; body: any }> {
  const o = operations.get(opId)!;
  const headers: Record<string, string> = { ...(req.headers ?? {}) };
  const t = req.token === undefined ? token : req.token;
  if (t) headers['authorization'] = `Bearer ${t}`;
  let body: string | undefined;
  if (req.rawBody !== undefined) body = req.rawBody;
  else if (req.body !== undefined) body = JSON.stringify(req.body);
  if (body !== undefined) headers['content-type'] = req.contentType ?? 'application/json';
  const res = await fetch(urlFor(o, req), { method: o.method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  const where = `${opId} ${label}: ${o.method} ${urlFor(o, req).replace(api.url, '')} → ${res.status}`;
  const fail = (why: string) => failures.push(`${where}: ${why}${text ? ` — ${text.replace(/\s+/g, ' ').slice(0, 240)}` : ''}`);
  if (!seen.has(opId)) seen.set(opId, new Set());
  seen.get(opId)!.add(res.status);

  if (res.status >= 500) fail('a 5xx');
  const documented = o.op['responses']?.[String(res.status)];
  if (!documented) fail(`status ${res.status} is not documented (documented: ${Object.keys(o.op['responses'] ?? {}).join(', ')})`);
  const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  let parsed: any = text;
  if (documented) {
    const content: Record<string, Schema> = documented['content'] ?? {};
    if (text !== '' && !(mediaType in content)) fail(`content type ${mediaType || '(none)'} is not documented (documented: ${Object.keys(content).join(', ') || 'no body'})`);
    const schema = content[mediaType]?.['schema'];
    if (schema && text !== '') {
      if (mediaType.endsWith('json')) {
        try {
          parsed = JSON.parse(text);
        } catch {
          fail('the body is not JSON');
        }
      }
      const err = validate(schema, parsed);
      if (err) fail(`the body does not match the documented schema: ${err}`);
    }
    for (const [name, h] of Object.entries<Schema>(documented['headers'] ?? {})) {
      const value = res.headers.get(name);
      if (value !== null && h['schema']) {
        const err = validate(h['schema'], value);
        if (err) fail(`header ${name}: ${err}`);
      }
    }
  }
  if (expect === 'invalid' && res.status < 300) fail('a request the document calls invalid was accepted');
  if (expect === 'valid' && [400, 413, 415].includes(res.status) && !orderRule(parsed)) fail('a request the document calls valid was refused as malformed');
  return { status: res.status, body: parsed };
}

/**
 * The one rule a schema cannot state and the operation's description does: a window's start must come before its
 * end (GET /cases createdFrom/createdTo, GET /metrics from/to, where `to` defaults to now).
 */
function orderRule(body: any): boolean {
  return Array.isArray(body?.errors) && body.errors.length > 0 && body.errors.every((e: { message: string }) => /must (not )?be (before|after)/.test(e.message));
}

/** Is the request valid by the document? Parameters as the server reads them (strings, coerced), body as JSON. */
function documentSays(opId: string, req: Req): Expect {
  const { op } = operations.get(opId)!;
  for (const p of (op['parameters'] ?? []) as Schema[]) {
    const where = p['in'] === 'path' ? req.params : p['in'] === 'query' ? req.query : p['in'] === 'header' ? lower(req.headers) : undefined;
    const value = where?.[p['in'] === 'header' ? p['name'].toLowerCase() : p['name']];
    if (value === undefined) {
      if (p['required']) return 'invalid';
      continue;
    }
    if (validate(p['schema'], value, true)) return 'invalid';
  }
  if (op['parameters'] && req.query) {
    const known = new Set((op['parameters'] as Schema[]).filter((p) => p['in'] === 'query').map((p) => p['name']));
    if (known.size && Object.keys(req.query).some((k) => !known.has(k))) return 'invalid';
  }
  const rb = op['requestBody'];
  if (rb) {
    if (req.rawBody !== undefined || (req.contentType && req.contentType !== 'application/json')) return 'invalid';
    if (req.body === undefined) return rb['required'] ? 'invalid' : 'valid';
    if (validate(rb['content']['application/json']['schema'], req.body)) return 'invalid';
  }
  return 'valid';
}

const lower = (h?: Record<string, string>) => (h ? Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v])) : undefined);

async function send(opId: string, req: Req, label: string) {
  return call(opId, req, documentSays(opId, req), label);
}

// ---- fixtures: a case in the state each operation needs, made through the API ----
let n = 0;
async function openCase(): Promise<string> {
  n++;
  const r = await api.post('/cases', {
    customer: { id: `contract-${n % 5}`, email: `contract-${n}@example.org`, lifetimeValue: 100 },
    subject: 'Contract test case',
    description: 'made by the contract test',
    priority: 'P3',
  });
  expect(r.status).toBe(201);
  return r.body.id;
}
async function pausedCase() {
  const id = await openCase();
  expect((await api.post(`/cases/${id}/pause`, {})).status).toBe(200);
  return id;
}
async function resolvedCase() {
  const id = await openCase();
  expect((await api.post(`/cases/${id}/resolve`, { resolution: 'fixed' })).status).toBe(200);
  return id;
}

/** Path parameters naming something in the state where a valid request succeeds. */
async function target(opId: string): Promise<Record<string, string>> {
  switch (opId) {
    case 'resumeCase':
      return { id: await pausedCase() };
    case 'reopenCase':
    case 'closeCase':
      return { id: await resolvedCase() };
    case 'approveCompensation': {
      const id = await openCase();
      const r = await api.post(`/cases/${id}/compensations`, { kind: 'refund', amount: 1_000_000, currency: stack.policy.compensation.currency });
      return { id, compensationId: r.body.compensations.find((o: { status: string }) => o.status === 'PENDING_APPROVAL').id };
    }
    case 'answerSurveyLink':
    case 'submitFeedback':
      return { token: signLink(await resolvedCase(), 'feedback', new Date(Date.now() + 3_600_000), process.env['LINK_SIGNING_KEY']!) };
    default:
      return { id: await openCase() };
  }
}

function bodySchemaOf(opId: string): Schema | undefined {
  return operations.get(opId)!.op['requestBody']?.['content']?.['application/json']?.['schema'];
}
function queryParams(opId: string): Schema[] {
  return ((operations.get(opId)!.op['parameters'] ?? []) as Schema[]).filter((p) => p['in'] === 'query');
}

/** Valid bodies: each branch, with required fields only and with every field. */
function validBodies(opId: string): (Json | undefined)[] {
  const s = bodySchemaOf(opId);
  if (!s) return [undefined];
  // A draft policy is too rich for the sampler (patterns, cross-field rules): the shipped demo policy is a valid one.
  const bodies = opId === 'simulatePolicy' ? [{ policy: JSON.parse(readFileSync(join(ROOT, 'policies', 'demo.json'), 'utf8')) as Json }] : branches(s).flatMap((_b, branch) => [sample(s, { branch }), sample(s, { branch, full: true })]);
  // The generator's own check: a "valid" body the document refuses would make every verdict below meaningless.
  for (const b of bodies) expect(validate(s, b), `${opId}: generated ${JSON.stringify(b)}`).toBeUndefined();
  return bodies;
}

/** Valid queries: none, and every parameter (the opaque cursor only comes from a previous page). */
function validQueries(opId: string): Record<string, string>[] {
  const params = queryParams(opId).filter((p) => p['name'] !== 'cursor');
  if (!params.length) return [{}];
  const full = Object.fromEntries(params.map((p) => [p['name'], String(sample(p['schema'], { full: true }))]));
  if ('createdFrom' in full) full['createdFrom'] = '2020-01-01T00:00:00.000Z';
  if ('from' in full) full['from'] = '2020-01-01T00:00:00.000Z';
  return [{}, full];
}

const ODD_PATH_VALUES = [
  'not-a-case',
  '01hzzzzzzzzzzzzzzzzzzzzzzz', // a ULID in lower case
  '0'.repeat(27),
  'I'.repeat(26), // I is not a Crockford digit
  encodeURIComponent('01J0000000000000000000000\u0000'),
  encodeURIComponent('💥'.repeat(10)),
  encodeURIComponent(' '),
  encodeURIComponent("'; DROP TABLE cases; --"),
  'x'.repeat(2_000),
];

const DATE_EDGES_VALID = [
  '0000-01-01T00:00:00Z',
  '1969-12-31T23:59:59.999Z',
  '1970-01-01T00:00:00.000Z',
  '1970-01-01T00:04:59Z',
  '2024-02-29T12:00:00Z',
  '2026-11-22T07:00:00.000+14:00',
  '9999-12-31T23:59:59.999Z',
];
const DATE_EDGES_INVALID = ['2026-02-29T00:00:00Z', '2026-13-01T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01', 'yesterday', '', '1e12'];

describe('the served OpenAPI document', () => {
  it('has every operation of the route table, and only those', () => {
    expect([...operations.keys()].sort()).toEqual(ROUTES.map((r) => r.operationId).sort());
  });
});

describe.each(ROUTES.map((r) => r.operationId))('%s keeps the document\'s word', (opId) => {
  it('valid, mutated and unauthorised requests', async () => {
    const start = failures.length;
    const o = operations.get(opId)!;
    const isWrite = o.method === 'POST';
    const needsTarget = /\{\w+\}/.test(o.path);

    // Valid requests, each on a fresh target (a valid write changes its case).
    let succeeded = 0;
    for (const body of validBodies(opId)) {
      for (const query of validQueries(opId)) {
        const params = needsTarget ? await target(opId) : {};
        const r = await send(opId, { params, query, ...(body !== undefined ? { body } : {}) }, `valid ${JSON.stringify(body ?? query)}`.slice(0, 120));
        if (r.status < 300) succeeded++;
      }
    }
    expect(succeeded, `${opId}: no valid request succeeded, so its success schema was never checked`).toBeGreaterThan(0);

    // Mutated bodies: every way to break the schema, plus the wire-level ones.
    const params = needsTarget ? await target(opId) : {};
    const schema = bodySchemaOf(opId);
    if (schema) {
      // A draft policy's rules reach across the document (routing names departments it defines, calendars it lists),
      // which a JSON Schema cannot state: a mutation the schema accepts may rightly be refused. Its refusals are checked
      // by the policy tests (test/domain/policy.test.ts) and the what-if test instead.
      const mutate = opId === 'simulatePolicy' ? [] : validBodies(opId);
      for (const valid of mutate) {
        for (const m of mutations(schema, valid!)) await send(opId, { params, ...(m.value !== undefined ? { body: m.value } : {}) }, `body ${m.name}`);
      }
      await send(opId, { params, rawBody: '{"unterminated": ' }, 'malformed JSON');
      await send(opId, { params, rawBody: JSON.stringify(validBodies(opId)[0]), contentType: 'text/plain' }, 'not JSON (text/plain)');
      await send(opId, { params, rawBody: JSON.stringify({ pad: 'x'.repeat(70 * 1024) }) }, 'a body over 64 KB');
      await send(opId, { params, body: [validBodies(opId)[0]!] }, 'an array instead of an object');
    } else if (isWrite) {
      await send(opId, { params, body: { colour: 'teal' } }, 'a body where none is accepted');
    }

    // Mutated queries: each parameter broken, dates at the edges, an unknown parameter.
    for (const p of queryParams(opId)) {
      const s: Schema = p['schema'];
      const values: string[] = [];
      if (s['enum']) values.push('NOT_AN_OPTION');
      if (s['type'] === 'integer' || s['type'] === 'number') values.push('abc', '1.5', '-1', '1e9', '');
      if (s['maxLength'] !== undefined) values.push('x'.repeat(s['maxLength'] + 1));
      if (s['format'] === 'date-time') values.push(...DATE_EDGES_VALID, ...DATE_EDGES_INVALID);
      for (const v of values) await send(opId, { params, query: { [p['name']]: v } }, `query ${p['name']}=${v.slice(0, 40)}`);
    }
    // The survey link ignores what mail clients and link trackers append (utm_*…): by design, not a query a client writes.
    if (queryParams(opId).length && opId !== 'answerSurveyLink') await send(opId, { params, query: { colour: 'teal' } }, 'an unknown query parameter');

    // Odd path values (with a valid query and body, so the path is the only thing wrong).
    const query = validQueries(opId).at(-1)!;
    for (const name of [...o.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!)) {
      for (const v of ODD_PATH_VALUES) await send(opId, { params: { ...params, [name]: v }, query, ...(validBodies(opId)[0] !== undefined ? { body: validBodies(opId)[0] } : {}) }, `path ${name}=${v.slice(0, 30)}`);
    }
    if (needsTarget && 'id' in params) {
      // A well-formed id that names no case: a 404 the document lists.
      await send(opId, { params: { ...params, id: '01ARZ3NDEKTSV4RRFFQ69G5FAV' }, query, ...(validBodies(opId)[0] !== undefined ? { body: validBodies(opId)[0] } : {}) }, 'an unknown case');
    }

    // Headers of conditional writes.
    if ((o.op['parameters'] ?? []).some((p: Schema) => p['name'] === 'If-Match')) {
      const body = validBodies(opId)[0];
      for (const v of ['abc', '"1', '"-1"', '1, 2', '"1" "2"', 'W/', '"1234567890123"']) {
        await send(opId, { params, headers: { 'if-match': v }, ...(body !== undefined ? { body } : {}) }, `If-Match ${v}`);
      }
      for (const v of ['has space', 'x'.repeat(256), '']) {
        await send(opId, { params, headers: { 'idempotency-key': v }, ...(body !== undefined ? { body } : {}) }, `Idempotency-Key ${v.slice(0, 20)}`);
      }
      if (needsTarget) await send(opId, { params: await target(opId), headers: { 'if-match': '"999"' }, ...(body !== undefined ? { body } : {}) }, 'a stale If-Match');
    }

    // Tokens: none, garbage, and one without the operation's scope.
    const scopes: string[] = o.op['security']?.[0]?.['oauth2'] ?? [];
    if (scopes.length) {
      const body = validBodies(opId)[0];
      const b = body !== undefined ? { body } : {};
      const r1 = await call(opId, { params, query, token: null, ...b }, 'invalid', 'no token');
      const r2 = await call(opId, { params, query, token: 'not.a.jwt', ...b }, 'invalid', 'a garbage token');
      const other = ['cases/read', 'cases/write', 'cases/manage'].find((s) => !scopes.includes(s))!;
      const r3 = await call(opId, { params, query, token: await api.token(other), ...b }, 'invalid', `a token with only ${other}`);
      expect([r1.status, r2.status, r3.status]).toEqual([401, 401, 403]);
    }

    expect(failures.slice(start), failures.slice(start).join('\n')).toEqual([]);
  });
});

describe('dates at the edges give the right answer', () => {
  it('lists cases: a window before 1970 holds none, one starting before 1970 holds every case, from after to is a 400', async () => {
    const id = await openCase();
    const list = (q: Record<string, string>) => send('listCases', { query: { limit: '100', ...q } }, `dates ${JSON.stringify(q)}`);
    expect((await list({ createdTo: '1969-12-31T23:59:59.999Z' })).body.items).toEqual([]);
    expect((await list({ createdTo: '0000-01-01T00:00:00Z' })).body.items).toEqual([]);
    expect((await list({ createdFrom: '1969-12-31T00:00:00Z' })).body.items.map((c: { id: string }) => c.id)).toContain(id);
    expect((await list({ createdFrom: '0000-01-01T00:00:00Z', createdTo: '9999-12-31T23:59:59.999Z' })).body.items.map((c: { id: string }) => c.id)).toContain(id);
    expect((await list({ createdFrom: '9999-01-01T00:00:00Z' })).body.items).toEqual([]);
    const r = await call('listCases', { query: { createdFrom: '2026-02-01T00:00:00Z', createdTo: '2026-01-01T00:00:00Z' } }, 'invalid', 'from after to');
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([{ path: 'createdFrom', message: 'must not be after createdTo' }]);
    expect(failures).toEqual([]);
  });

  it('metrics: a window before 1970 counts nothing, one from before 1970 counts every case, from after to is a 400', async () => {
    await openCase();
    const metrics = (q: Record<string, string>) => send('getMetrics', { query: q }, `dates ${JSON.stringify(q)}`);
    expect((await metrics({ from: '1960-01-01T00:00:00Z', to: '1969-12-31T23:59:59.999Z' })).body.cases).toBe(0);
    const all = await metrics({ from: '0000-01-01T00:00:00Z' });
    expect(all.status).toBe(200);
    expect(all.body.cases).toBeGreaterThan(0);
    expect((await metrics({ from: '1969-12-31T23:55:00Z', to: '9999-12-31T23:59:59.999Z' })).body.cases).toBe(all.body.cases);
    expect((await call('getMetrics', { query: { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' } }, 'invalid', 'from after to')).status).toBe(400);
    expect(failures).toEqual([]);
  });
});
