// The cases API end to end on the local stack: create, read, list, the error statuses of API.md,
// Idempotency-Key replays, If-Match, and persistence across a restart.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, newCaseBody, startTestStack, TestApi } from '../support/stack.ts';
import type { LocalStack } from '../../local/stack.ts';

let stack: LocalStack;
let api: TestApi;
const dataDir = mkdtempSync(join(tmpdir(), 'escalator-cases-'));

beforeAll(async () => {
  ({ stack, api } = await startTestStack({ dataDir }));
});
afterAll(async () => {
  await stack?.stop();
});

describe('POST /cases', () => {
  it('creates a case routed by policy, with deadlines, Location and ETag', async () => {
    // Prepare
    const body = newCaseBody({ priority: 'P1', customer: { id: 'c-plat', email: 'vip@example.org', tier: 'platinum' }, category: 'refund' });
    // Act
    const r = await api.post('/cases', body);
    // Assess
    expect(r.status).toBe(201);
    expect(r.headers.get('location')).toBe(`/cases/${r.body.id}`);
    expect(r.headers.get('etag')).toBe('"1"');
    expect(r.body).toMatchObject({ status: 'OPEN', priority: 'P1', level: 'L2', department: 'billing', version: 1 });
    const created = Date.parse(r.body.createdAt);
    expect(Date.parse(r.body.sla.closeBy) - created).toBe(30 * 86_400_000);
    expect(Date.parse(r.body.sla.levelDueAt) - created).toBe(4 * 3_600_000); // P1 at L2: PT4H
    expect(r.body.sla).toMatchObject({ breached: false, overdue: false });
  });

  it('reads back what it created', async () => {
    const created = await api.post('/cases', newCaseBody());
    const r = await api.get(`/cases/${created.body.id}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual(created.body);
  });

  it('names every invalid field, and rejects unknown ones', async () => {
    const r = await api.post('/cases', { customer: { id: 'x', email: 'not-an-email' }, subject: '', priority: 'P9', colour: 'red' });
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toContain('application/problem+json');
    const paths = r.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['customer.email', 'subject', 'description', 'priority', 'colour']));
  });

  it('answers malformed JSON with 400, a non-JSON body with 415 and a huge body with 413', async () => {
    const malformed = await api.request('POST', '/cases', { rawBody: '{"subject": ', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.title).toBe('Malformed JSON');
    const text = await api.request('POST', '/cases', { rawBody: 'subject=hi', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    const huge = await api.post('/cases', newCaseBody({ description: 'x'.repeat(70_000) }));
    expect(huge.status).toBe(413);
  });

  it('refuses a request without a token (401) and one without the write scope (403)', async () => {
    const none = await api.post('/cases', newCaseBody(), { token: null });
    expect(none.status).toBe(401);
    const readOnly = await api.post('/cases', newCaseBody(), { token: await api.token('cases/read') });
    expect(readOnly.status).toBe(403);
  });

  it('replays an Idempotency-Key: same response, one case; another body with the key is a 409', async () => {
    const headers = { 'idempotency-key': 'create-42' };
    const body = newCaseBody({ customer: { id: 'idem-cust', email: 'idem@example.org' } });
    const first = await api.post('/cases', body, { headers });
    const again = await api.post('/cases', body, { headers });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const list = await api.get('/cases?customerId=idem-cust');
    expect(list.body.items).toHaveLength(1);
    const other = await api.post('/cases', { ...body, subject: 'something else' }, { headers });
    expect(other.status).toBe(409);
  });
});

describe('GET /cases/{id}', () => {
  it('is 404 for an unknown or malformed id', async () => {
    expect((await api.get('/cases/01ARZ3NDEKTSV4RRFFQ69G5FAV')).status).toBe(404);
    expect((await api.get('/cases/nope')).status).toBe(404);
  });
});

describe('GET /cases', () => {
  it('pages through a filtered list with cursors, newest first, no duplicates', async () => {
    // Prepare: 7 cases for one customer, 2 for another
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await api.post('/cases', newCaseBody({ customer: { id: 'pager', email: 'p@example.org' }, subject: `n${i}` }))).body.id);
    for (let i = 0; i < 2; i++) await api.post('/cases', newCaseBody({ customer: { id: 'other', email: 'o@example.org' } }));
    // Act
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r: { status: number; body: { items: { id: string }[]; nextCursor: string | null } } = await api.get(`/cases?customerId=pager&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.status).toBe(200);
      seen.push(...r.body.items.map((c) => c.id));
      cursor = r.body.nextCursor;
      pages++;
    } while (cursor);
    // Assess
    expect(seen).toEqual([...ids].reverse());
    expect(pages).toBe(3);
  });

  it('filters by status, level, department and breached', async () => {
    await api.post('/cases', newCaseBody({ customer: { id: 'f1', email: 'f1@example.org' }, category: 'bug' }));
    await api.post('/cases', newCaseBody({ customer: { id: 'f2', email: 'f2@example.org' }, priority: 'P1' }));
    const eng = await api.get('/cases?department=engineering');
    expect(eng.body.items.length).toBeGreaterThan(0);
    expect(eng.body.items.every((c: { department: string }) => c.department === 'engineering')).toBe(true);
    const l1Open = await api.get('/cases?status=OPEN&level=L1');
    expect(l1Open.body.items.some((c: { customer: { id: string } }) => c.customer.id === 'f2')).toBe(true);
    expect(l1Open.body.items.every((c: { level: string; status: string }) => c.level === 'L1' && c.status === 'OPEN')).toBe(true);
    const breached = await api.get('/cases?breached=true');
    expect(breached.body.items).toEqual([]);
  });

  it('rejects bad filters and a forged cursor with 400 naming the parameter', async () => {
    const bad = await api.get('/cases?status=DONE&limit=1000');
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(['status', 'limit']));
    const forged = await api.get(`/cases?cursor=${Buffer.from('{"i":"byCreated","k":{"pk":1}}').toString('base64url')}`);
    expect(forged.status).toBe(400);
    expect(forged.body.errors[0].path).toBe('cursor');
  });
});

describe('If-Match', () => {
  it('applies a write at the current version and refuses a stale one with 409', async () => {
    const c = (await api.post('/cases', newCaseBody())).body;
    const ok = await api.post(`/cases/${c.id}/comments`, { body: 'looking into it', visibility: 'internal' }, { headers: { 'if-match': '"1"' } });
    expect(ok.status).toBe(200);
    expect(ok.body.version).toBe(2);
    const stale = await api.post(`/cases/${c.id}/comments`, { body: 'again', visibility: 'internal' }, { headers: { 'if-match': '"1"' } });
    expect(stale.status).toBe(409);
    expect((await api.get(`/cases/${c.id}`)).body.version).toBe(2);
  });
});

describe('restart', () => {
  it('keeps cases in the data folder across a restart', async () => {
    const c = (await api.post('/cases', newCaseBody({ subject: 'survives a restart' }))).body;
    const ports = stack.ports;
    await stack.stop();
    ({ stack, api } = await startTestStack({ dataDir, ports }));
    const r = await api.get(`/cases/${c.id}`);
    expect(r.status).toBe(200);
    expect(r.body.subject).toBe('survives a restart');
  });
});

describe('the short case reference', () => {
  it('is given to every case, found by GET /cases?reference=, and used in the acknowledgement instead of the id', async () => {
    // Prepare
    const created = (await api.post('/cases', newCaseBody({ customer: { id: 'c-ref', email: 'ref@example.org' } }))).body;
    // Act
    const found = await api.get(`/cases?reference=${created.reference}`);
    const malformed = await api.get('/cases?reference=7K2M9Q');
    // Assess
    expect(created.reference).toMatch(/^ESC-[0-9A-HJKMNP-TV-Z]{6}$/);
    expect(found.body.items.map((c: { id: string }) => c.id)).toEqual([created.id]);
    expect(malformed.status).toBe(400);
    const ack = await eventually(async () => (await api.emails()).find((e) => e.destination.to.includes('ref@example.org')));
    expect(ack.subject).toContain(`[Case ${created.reference}]`);
    expect(ack.body.text).toContain(`Your case reference is ${created.reference}.`);
    expect(`${ack.subject}${ack.body.text}`).not.toContain(created.id);
  });

  it('is unique: a new case whose reference is taken gets the next one derived from its id, in the same transaction', async () => {
    // Prepare: the first reference of a new id claimed by another case (imported after the stack set the endpoints)
    const { caseStore } = await import('../../functions/adapters/case-store.ts');
    const { caseReference, CreateCaseInput, newCase } = await import('../../functions/domain/operations.ts');
    const { cases } = await import('../../functions/app/wiring.ts');
    const { ulid } = await import('ulid');
    const id = ulid();
    const rival = newCase(ulid(), CreateCaseInput.parse(newCaseBody()), { now: new Date(), actor: { kind: 'client', id: 'test' }, policy: stack.policy, newId: ulid });
    await caseStore.commit({ case: { ...rival, reference: caseReference(id) }, expectedVersion: null, events: rival.newEvents, emails: [] });
    // Act
    const { case: c } = await cases.createCase(id, CreateCaseInput.parse(newCaseBody()), { kind: 'client', id: 'test' });
    // Assess
    expect(c!.reference).not.toBe(caseReference(id));
    expect(c!.reference).toBe(caseReference(id, 1));
    expect((await api.get(`/cases?reference=${c!.reference}`)).body.items.map((x: { id: string }) => x.id)).toEqual([id]);
  });
});
