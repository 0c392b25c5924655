// Every action route end to end on the local stack (default policy: hour- and day-scale budgets, so no timer acts
// during a test): success, every conflict, the scopes, If-Match, Idempotency-Key, and what the timeline records.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { eventually, newCaseBody, startTestStack, TestApi } from '../support/stack.ts';

let stack: LocalStack;
let api: TestApi;

beforeAll(async () => {
  ({ stack, api } = await startTestStack());
});
afterAll(async () => {
  await stack?.stop();
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const CLIENT = { kind: 'client', id: 'escalator-local' };

interface Event {
  id: string;
  at: string;
  type: string;
  actor: { kind: string; id: string };
  summary?: string;
  changes?: Record<string, { before: unknown; after: unknown }>;
  data?: Record<string, unknown>;
}

let customerSeq = 0;
/** A new OPEN case (P3, support, L0 unless the body says otherwise) for a customer of its own. */
async function openCase(overrides: Record<string, unknown> = {}) {
  const n = ++customerSeq;
  const r = await api.post('/cases', newCaseBody({ customer: { id: `act-${n}`, email: `act-${n}@example.org`, lifetimeValue: 1200 }, ...overrides }));
  expect(r.status).toBe(201);
  return r.body;
}

async function act(id: string, action: string, body?: unknown, opts: { headers?: Record<string, string>; token?: string } = {}) {
  return api.post(`/cases/${id}/${action}`, body, opts);
}

async function timeline(id: string): Promise<Event[]> {
  const r = await api.get(`/cases/${id}/timeline`);
  expect(r.status).toBe(200);
  return r.body.events;
}
const caseEvents = (events: Event[]) => events.filter((e) => !e.type.startsWith('email.'));
const errorPaths = (body: { errors?: { path: string }[] }) => (body.errors ?? []).map((e) => e.path);

async function resolvedCase(overrides: Record<string, unknown> = {}) {
  const c = await openCase(overrides);
  const r = await act(c.id, 'resolve', { resolution: 'Sent a replacement.' });
  expect(r.status).toBe(200);
  return r.body;
}
async function closedCase() {
  const c = await resolvedCase();
  const r = await act(c.id, 'close', {});
  expect(r.status).toBe(200);
  return r.body;
}

describe('POST /cases/{id}/escalations — hierarchical', () => {
  it('moves one level up by default, restarts the budget of the new level and records who and what', async () => {
    // Prepare
    const c = await openCase();
    expect(c.level).toBe('L0');
    // Act
    const r = await act(c.id, 'escalations', { kind: 'hierarchical', summary: 'Customer asked for a senior agent.' });
    // Assess
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ level: 'L1', department: 'support', status: 'OPEN', version: 2 });
    expect(r.headers.get('etag')).toBe('"2"');
    const event = (await timeline(c.id)).find((e) => e.type === 'escalated')!;
    expect(event).toMatchObject({
      actor: CLIENT,
      summary: 'Customer asked for a senior agent.',
      changes: { level: { before: 'L0', after: 'L1' }, 'sla.levelDueAt': { before: c.sla.levelDueAt, after: r.body.sla.levelDueAt } },
      data: { kind: 'hierarchical', automatic: false },
    });
    // P3 in support: L1 has a day, counted from the escalation.
    expect(r.body.sla.levelStartedAt).toBe(event.at);
    expect(Date.parse(r.body.sla.levelDueAt) - Date.parse(r.body.sla.levelStartedAt)).toBe(1 * DAY);
  });

  it('jumps to toLevel, never goes down or sideways, and refuses to go past the top', async () => {
    // Prepare
    const c = await openCase();
    // Act
    const toL2 = await act(c.id, 'escalations', { kind: 'hierarchical', summary: 'Needs a specialist.', toLevel: 'L2' });
    const down = await act(c.id, 'escalations', { kind: 'hierarchical', summary: 'Back down.', toLevel: 'L1' });
    const same = await act(c.id, 'escalations', { kind: 'hierarchical', summary: 'Again L2.', toLevel: 'L2' });
    const toTop = await act(c.id, 'escalations', { kind: 'hierarchical', summary: 'Executive attention.' });
    const past = await act(c.id, 'escalations', { kind: 'hierarchical', summary: 'Even higher.' });
    // Assess
    expect(toL2.status).toBe(200);
    expect(toL2.body.level).toBe('L2');
    expect(Date.parse(toL2.body.sla.levelDueAt) - Date.parse(toL2.body.sla.levelStartedAt)).toBe(2 * DAY); // P3 L2
    expect(down.status).toBe(409);
    expect(down.headers.get('content-type')).toContain('application/problem+json');
    expect(same.status).toBe(409);
    expect(toTop.status).toBe(200);
    expect(toTop.body.level).toBe('L3');
    expect(past.status).toBe(409);
    const after = (await api.get(`/cases/${c.id}`)).body;
    expect(after).toMatchObject({ level: 'L3', version: 3 });
    expect((await timeline(c.id)).filter((e) => e.type === 'escalated').map((e) => e.changes?.['level'])).toEqual([
      { before: 'L0', after: 'L2' },
      { before: 'L2', after: 'L3' },
    ]);
  });

  it('requires a summary (400 naming summary) and a known level', async () => {
    const c = await openCase();
    const missing = await act(c.id, 'escalations', { kind: 'hierarchical' });
    const blank = await act(c.id, 'escalations', { kind: 'hierarchical', summary: '   ' });
    const badLevel = await act(c.id, 'escalations', { kind: 'hierarchical', summary: 'x', toLevel: 'L9' });
    const noKind = await act(c.id, 'escalations', { summary: 'x' });
    expect(missing.status).toBe(400);
    expect(errorPaths(missing.body)).toContain('summary');
    expect(blank.status).toBe(400);
    expect(errorPaths(blank.body)).toContain('summary');
    expect(badLevel.status).toBe(400);
    expect(errorPaths(badLevel.body)).toContain('toLevel');
    expect(noKind.status).toBe(400);
    expect(errorPaths(noKind.body)).toContain('kind');
    expect((await api.get(`/cases/${c.id}`)).body.version).toBe(1);
  });

  it('refuses to escalate a RESOLVED or CLOSED case (409), and is 404 for an unknown case', async () => {
    const resolved = await resolvedCase();
    const closed = await closedCase();
    expect((await act(resolved.id, 'escalations', { kind: 'hierarchical', summary: 'x' })).status).toBe(409);
    expect((await act(closed.id, 'escalations', { kind: 'hierarchical', summary: 'x' })).status).toBe(409);
    expect((await act(closed.id, 'escalations', { kind: 'functional', summary: 'x', toDepartment: 'billing' })).status).toBe(409);
    expect((await act('01ARZ3NDEKTSV4RRFFQ69G5FAV', 'escalations', { kind: 'hierarchical', summary: 'x' })).status).toBe(404);
    expect((await api.get(`/cases/${closed.id}`)).body).toMatchObject({ status: 'CLOSED', level: 'L0', version: closed.version });
  });
});

describe('POST /cases/{id}/escalations — functional (transfer)', () => {
  it('moves the case to the department, keeps the level and applies that department\'s budgets', async () => {
    // Prepare: P3 in support at L0 has 8 h; engineering gives P3 at L0 a day (policies/default.json).
    const c = await openCase();
    expect(Date.parse(c.sla.levelDueAt) - Date.parse(c.createdAt)).toBe(8 * HOUR);
    // Act
    const r = await act(c.id, 'escalations', { kind: 'functional', summary: 'Looks like a bug in the firmware.', toDepartment: 'engineering' });
    // Assess
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ department: 'engineering', level: 'L0', version: 2 });
    expect(Date.parse(r.body.sla.levelDueAt) - Date.parse(r.body.sla.levelStartedAt)).toBe(1 * DAY);
    const event = (await timeline(c.id)).find((e) => e.type === 'transferred')!;
    expect(event).toMatchObject({
      actor: CLIENT,
      summary: 'Looks like a bug in the firmware.',
      changes: { department: { before: 'support', after: 'engineering' }, 'sla.levelDueAt': { before: c.sla.levelDueAt, after: r.body.sla.levelDueAt } },
      data: { kind: 'functional' },
    });
    expect(r.body.sla.levelStartedAt).toBe(event.at);
    // A later escalation uses the new department's budgets too (engineering P3 L1: 2 days).
    const up = await act(c.id, 'escalations', { kind: 'hierarchical', summary: 'Needs the on-call engineer.' });
    expect(Date.parse(up.body.sla.levelDueAt) - Date.parse(up.body.sla.levelStartedAt)).toBe(2 * DAY);
  });

  it('refuses a transfer to the same department (409) and names an unknown one (400 toDepartment)', async () => {
    const c = await openCase();
    const same = await act(c.id, 'escalations', { kind: 'functional', summary: 'Stay.', toDepartment: 'support' });
    const unknown = await act(c.id, 'escalations', { kind: 'functional', summary: 'To legal.', toDepartment: 'legal' });
    const malformed = await act(c.id, 'escalations', { kind: 'functional', summary: 'To legal.', toDepartment: 'Legal Dept' });
    const noSummary = await act(c.id, 'escalations', { kind: 'functional', toDepartment: 'billing' });
    expect(same.status).toBe(409);
    expect(unknown.status).toBe(400);
    expect(errorPaths(unknown.body)).toEqual(['toDepartment']);
    expect(malformed.status).toBe(400);
    expect(errorPaths(malformed.body)).toContain('toDepartment');
    expect(noSummary.status).toBe(400);
    expect(errorPaths(noSummary.body)).toContain('summary');
    expect((await api.get(`/cases/${c.id}`)).body).toMatchObject({ department: 'support', version: 1 });
  });
});

describe('POST /cases/{id}/comments', () => {
  it('records internal notes without emailing the customer, and emails public replies', async () => {
    // Prepare
    const c = await openCase();
    // Act
    const internal = await act(c.id, 'comments', { body: 'Checked the courier logs: box crushed in transit.', visibility: 'internal' });
    const pub = await act(c.id, 'comments', { body: 'We have asked the courier to collect the parcel.', visibility: 'public' });
    // Assess
    expect(internal.status).toBe(200);
    expect(internal.body.version).toBe(2);
    expect(pub.status).toBe(200);
    expect(pub.body.version).toBe(3);
    const comments = (await timeline(c.id)).filter((e) => e.type === 'commented');
    expect(comments.map((e) => [e.summary, e.data?.['visibility'], e.actor])).toEqual([
      ['Checked the courier logs: box crushed in transit.', 'internal', CLIENT],
      ['We have asked the courier to collect the parcel.', 'public', CLIENT],
    ]);
    const toCustomer = await eventually(async () => {
      const mails = (await api.emails()).filter((m) => m.destination.to.includes(c.customer.email));
      return mails.some((m) => (m.body.text ?? '').includes('collect the parcel')) ? mails : undefined;
    });
    expect(toCustomer.some((m) => `${m.body.text ?? ''}${m.body.html ?? ''}`.includes('courier logs'))).toBe(false);
  });

  it('refuses a comment on a CLOSED case (409) and an invalid one (400)', async () => {
    const closed = await closedCase();
    expect((await act(closed.id, 'comments', { body: 'Anyone there?', visibility: 'public' })).status).toBe(409);
    const open = await openCase();
    const bad = await act(open.id, 'comments', { body: '', visibility: 'secret' });
    expect(bad.status).toBe(400);
    expect(errorPaths(bad.body)).toEqual(expect.arrayContaining(['body', 'visibility']));
    // A RESOLVED case still takes comments.
    const resolved = await resolvedCase();
    expect((await act(resolved.id, 'comments', { body: 'Follow-up note.', visibility: 'internal' })).status).toBe(200);
  });
});

describe('POST /cases/{id}/compensations and …/approve', () => {
  it('approves an offer within the level\'s authority at once', async () => {
    // Prepare: L0 may approve 25 USD for a standard customer.
    const c = await openCase();
    // Act
    const r = await act(c.id, 'compensations', { kind: 'credit', amount: 20, currency: 'USD', note: 'For the trouble.' });
    // Assess
    expect(r.status).toBe(200);
    expect(r.body.compensations).toEqual([
      expect.objectContaining({ kind: 'credit', amount: 20, currency: 'USD', note: 'For the trouble.', status: 'APPROVED', authorityLimit: 25, offeredBy: CLIENT, approvedBy: CLIENT }),
    ]);
    const offered = (await timeline(c.id)).find((e) => e.type === 'compensation.offered')!;
    expect(offered).toMatchObject({ actor: CLIENT, data: { compensationId: r.body.compensations[0].id, status: 'APPROVED', amount: 20 } });
  });

  it('holds an offer above the authority for a manager: cases/manage approves it once, and the timeline says who', async () => {
    // Prepare
    const c = await openCase();
    const offer = await act(c.id, 'compensations', { kind: 'refund', amount: 100, currency: 'USD' });
    expect(offer.status).toBe(200);
    const pending = offer.body.compensations[0];
    expect(pending).toMatchObject({ status: 'PENDING_APPROVAL', authorityLimit: 25, offeredBy: CLIENT });
    expect(pending.approvedBy).toBeUndefined();
    // Act
    const agent = await api.post(`/cases/${c.id}/compensations/${pending.id}/approve`, {}, { token: await api.token('cases/read cases/write') });
    const manager = await api.post(`/cases/${c.id}/compensations/${pending.id}/approve`, {});
    const twice = await api.post(`/cases/${c.id}/compensations/${pending.id}/approve`, {});
    const unknown = await api.post(`/cases/${c.id}/compensations/01ARZ3NDEKTSV4RRFFQ69G5FAV/approve`, {});
    // Assess
    expect(agent.status).toBe(403);
    expect(manager.status).toBe(200);
    expect(manager.body.compensations[0]).toMatchObject({ id: pending.id, status: 'APPROVED', approvedBy: CLIENT });
    expect(twice.status).toBe(409);
    expect(unknown.status).toBe(404);
    const events = await timeline(c.id);
    expect(events.filter((e) => e.type === 'compensation.approved')).toEqual([
      expect.objectContaining({
        actor: CLIENT,
        data: { compensationId: pending.id },
        changes: { [`compensations.${pending.id}.status`]: { before: 'PENDING_APPROVAL', after: 'APPROVED' } },
      }),
    ]);
    expect((await api.get(`/cases/${c.id}`)).body.version).toBe(3);
  });

  it('refuses another currency (400 naming currency) and invalid amounts', async () => {
    const c = await openCase();
    const eur = await act(c.id, 'compensations', { kind: 'refund', amount: 10, currency: 'EUR' });
    const lower = await act(c.id, 'compensations', { kind: 'refund', amount: 10, currency: 'usd' });
    const negative = await act(c.id, 'compensations', { kind: 'cash', amount: -5, currency: 'USD' });
    expect(eur.status).toBe(400);
    expect(errorPaths(eur.body)).toEqual(['currency']);
    expect(lower.status).toBe(400);
    expect(errorPaths(lower.body)).toEqual(['currency']);
    expect(negative.status).toBe(400);
    expect(errorPaths(negative.body)).toEqual(expect.arrayContaining(['kind', 'amount']));
    expect((await api.get(`/cases/${c.id}`)).body).toMatchObject({ version: 1, compensations: [] });
  });

  it('refuses an offer on a CLOSED case (409)', async () => {
    const closed = await closedCase();
    expect((await act(closed.id, 'compensations', { kind: 'credit', amount: 5, currency: 'USD' })).status).toBe(409);
  });
});

describe('POST /cases/{id}/pause and /resume', () => {
  it('stops the clock and restarts it with the time that was left; pausing twice or resuming an open case is a 409', async () => {
    // Prepare
    const c = await openCase();
    const notPaused = await act(c.id, 'resume', {});
    expect(notPaused.status).toBe(409);
    // Act
    const paused = await act(c.id, 'pause', { reason: 'Waiting for photos of the damage.' });
    const again = await act(c.id, 'pause', {});
    await new Promise((r) => setTimeout(r, 300)); // real time must pass while paused
    const resumed = await act(c.id, 'resume', {});
    // Assess
    expect(paused.status).toBe(200);
    expect(paused.body.status).toBe('PAUSED');
    expect(paused.body.sla.pausedAt).toBeDefined();
    expect(paused.body.sla.levelDueAt).toBe(c.sla.levelDueAt);
    expect(again.status).toBe(409);
    expect(resumed.status).toBe(200);
    expect(resumed.body.status).toBe('OPEN');
    expect(resumed.body.sla.pausedAt).toBeUndefined();
    const events = await timeline(c.id);
    const p = events.find((e) => e.type === 'paused')!;
    const r = events.find((e) => e.type === 'resumed')!;
    expect(p).toMatchObject({ actor: CLIENT, summary: 'Waiting for photos of the damage.', changes: { status: { before: 'OPEN', after: 'PAUSED' } } });
    expect(r).toMatchObject({ actor: CLIENT, changes: { status: { before: 'PAUSED', after: 'OPEN' }, 'sla.levelDueAt': { before: c.sla.levelDueAt, after: resumed.body.sla.levelDueAt } } });
    const pausedFor = Date.parse(r.at) - Date.parse(p.at);
    expect(pausedFor).toBeGreaterThanOrEqual(300);
    expect(Date.parse(resumed.body.sla.levelDueAt) - Date.parse(c.sla.levelDueAt)).toBe(pausedFor);
    expect(Date.parse(resumed.body.sla.levelStartedAt) - Date.parse(c.sla.levelStartedAt)).toBe(pausedFor);
    // The 30-day rule is not extended by pauses.
    expect(resumed.body.sla.closeBy).toBe(c.sla.closeBy);
  });

  it('refuses to pause a resolved case (409)', async () => {
    const resolved = await resolvedCase();
    expect((await act(resolved.id, 'pause', {})).status).toBe(409);
    expect((await act(resolved.id, 'resume', {})).status).toBe(409);
  });
});

describe('POST /cases/{id}/resolve, /reopen and /close', () => {
  it('requires a resolution (400 naming resolution) and resolves once', async () => {
    const c = await openCase();
    const none = await act(c.id, 'resolve', {});
    const blank = await act(c.id, 'resolve', { resolution: ' ' });
    expect(none.status).toBe(400);
    expect(errorPaths(none.body)).toContain('resolution');
    expect(blank.status).toBe(400);
    expect(errorPaths(blank.body)).toContain('resolution');
    const ok = await act(c.id, 'resolve', { resolution: 'Refunded in full.' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'RESOLVED', resolution: 'Refunded in full.', version: 2 });
    const resolvedEvent = (await timeline(c.id)).find((e) => e.type === 'resolved')!;
    expect(ok.body.resolvedAt).toBe(resolvedEvent.at);
    expect(resolvedEvent).toMatchObject({ actor: CLIENT, summary: 'Refunded in full.', changes: { status: { before: 'OPEN', after: 'RESOLVED' } } });
    const twice = await act(c.id, 'resolve', { resolution: 'Again.' });
    expect(twice.status).toBe(409);
    expect((await api.get(`/cases/${c.id}`)).body).toMatchObject({ resolution: 'Refunded in full.', version: 2 });
  });

  it('resolves a PAUSED case too', async () => {
    const c = await openCase();
    await act(c.id, 'pause', {});
    const r = await act(c.id, 'resolve', { resolution: 'The customer confirmed it works.' });
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('RESOLVED');
    expect(r.body.sla.pausedAt).toBeUndefined();
  });

  it('reopens at the level the case had, counting each reopening; reopening an OPEN case is a 409', async () => {
    // Prepare
    const c = await openCase();
    expect((await act(c.id, 'reopen', {})).status).toBe(409);
    await act(c.id, 'escalations', { kind: 'hierarchical', summary: 'Specialist.', toLevel: 'L2' });
    await act(c.id, 'resolve', { resolution: 'Replaced the unit.' });
    // Act
    const first = await act(c.id, 'reopen', { reason: 'The replacement is broken too.' });
    const whileOpen = await act(c.id, 'reopen', {});
    await act(c.id, 'resolve', { resolution: 'Refunded.' });
    const second = await act(c.id, 'reopen', {});
    // Assess
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'OPEN', level: 'L2', reopenCount: 1 });
    expect(first.body.resolution).toBeUndefined();
    expect(first.body.resolvedAt).toBeUndefined();
    expect(Date.parse(first.body.sla.levelDueAt) - Date.parse(first.body.sla.levelStartedAt)).toBe(2 * DAY); // a fresh L2 budget
    expect(whileOpen.status).toBe(409);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ status: 'OPEN', level: 'L2', reopenCount: 2 });
    const reopened = (await timeline(c.id)).filter((e) => e.type === 'reopened');
    expect(reopened.map((e) => [e.actor, e.changes?.['status'], e.data?.['reopenCount']])).toEqual([
      [CLIENT, { before: 'RESOLVED', after: 'OPEN' }, 1],
      [CLIENT, { before: 'RESOLVED', after: 'OPEN' }, 2],
    ]);
    expect(reopened[0]!.summary).toBe('The replacement is broken too.');
  });

  it('reopens a CLOSED case', async () => {
    const closed = await closedCase();
    const r = await act(closed.id, 'reopen', {});
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'OPEN', reopenCount: 1 });
    expect(r.body.closedAt).toBeUndefined();
  });

  it('closes only a RESOLVED case, and only with cases/manage', async () => {
    const c = await openCase();
    expect((await act(c.id, 'close', {})).status).toBe(409);
    await act(c.id, 'resolve', { resolution: 'Done.' });
    const agent = await act(c.id, 'close', {}, { token: await api.token('cases/read cases/write') });
    expect(agent.status).toBe(403);
    const manager = await act(c.id, 'close', { reason: 'Customer confirmed by phone.' });
    expect(manager.status).toBe(200);
    expect(manager.body.status).toBe('CLOSED');
    const closedEvent = (await timeline(c.id)).find((e) => e.type === 'closed')!;
    expect(manager.body.closedAt).toBe(closedEvent.at);
    expect(closedEvent).toMatchObject({ actor: CLIENT, summary: 'Customer confirmed by phone.', changes: { status: { before: 'RESOLVED', after: 'CLOSED' } } });
    expect((await act(c.id, 'close', {})).status).toBe(409);
  });

  it('needs a token with the write scope for every action', async () => {
    const c = await openCase();
    const readOnly = await api.token('cases/read');
    expect((await act(c.id, 'comments', { body: 'x', visibility: 'internal' }, { token: readOnly })).status).toBe(403);
    expect((await api.post(`/cases/${c.id}/comments`, { body: 'x', visibility: 'internal' }, { token: null })).status).toBe(401);
  });
});

describe('POST /cases/{id}/priority', () => {
  it('changes the priority and moves the current level\'s deadline; the same priority is a 409', async () => {
    const c = await openCase(); // P3 at L0: 8 h
    const r = await act(c.id, 'priority', { priority: 'P1', summary: 'The customer is a hospital.' });
    expect(r.status).toBe(200);
    expect(r.body.priority).toBe('P1');
    expect(r.body.sla.levelStartedAt).toBe(c.sla.levelStartedAt); // the level keeps the time it has used
    expect(Date.parse(r.body.sla.levelDueAt) - Date.parse(c.sla.levelStartedAt)).toBe(1 * HOUR); // P1 at L0
    expect((await timeline(c.id)).find((e) => e.type === 'priority.changed')).toMatchObject({
      actor: CLIENT,
      summary: 'The customer is a hospital.',
      changes: { priority: { before: 'P3', after: 'P1' }, 'sla.levelDueAt': { before: c.sla.levelDueAt, after: r.body.sla.levelDueAt } },
    });
    expect((await act(c.id, 'priority', { priority: 'P1', summary: 'Again.' })).status).toBe(409);
    const noSummary = await act(c.id, 'priority', { priority: 'P2' });
    expect(noSummary.status).toBe(400);
    expect(errorPaths(noSummary.body)).toContain('summary');
    const closed = await closedCase();
    expect((await act(closed.id, 'priority', { priority: 'P1', summary: 'Too late.' })).status).toBe(409);
  });
});

describe('If-Match on actions', () => {
  /** Each action, with a case in the state it needs; `path` may name a pending compensation. */
  const actions: [string, () => Promise<{ id: string; version: number; path: string; body: unknown }>][] = [
    ['escalations', async () => ({ ...(await openCase()), path: 'escalations', body: { kind: 'hierarchical', summary: 'Up.' } })],
    ['escalations (transfer)', async () => ({ ...(await openCase()), path: 'escalations', body: { kind: 'functional', summary: 'Billing.', toDepartment: 'billing' } })],
    ['comments', async () => ({ ...(await openCase()), path: 'comments', body: { body: 'Note.', visibility: 'internal' } })],
    ['compensations', async () => ({ ...(await openCase()), path: 'compensations', body: { kind: 'credit', amount: 5, currency: 'USD' } })],
    [
      'compensations/{id}/approve',
      async () => {
        const c = await openCase();
        const offered = (await act(c.id, 'compensations', { kind: 'refund', amount: 400, currency: 'USD' })).body;
        return { ...offered, path: `compensations/${offered.compensations[0].id}/approve`, body: {} };
      },
    ],
    ['pause', async () => ({ ...(await openCase()), path: 'pause', body: {} })],
    [
      'resume',
      async () => {
        const c = await openCase();
        return { ...(await act(c.id, 'pause', {})).body, path: 'resume', body: {} };
      },
    ],
    ['resolve', async () => ({ ...(await openCase()), path: 'resolve', body: { resolution: 'Done.' } })],
    ['reopen', async () => ({ ...(await resolvedCase()), path: 'reopen', body: {} })],
    ['close', async () => ({ ...(await resolvedCase()), path: 'close', body: {} })],
    ['priority', async () => ({ ...(await openCase()), path: 'priority', body: { priority: 'P2', summary: 'Urgent now.' } })],
  ];

  it.each(actions)('%s: a stale version is a 409 that changes nothing; the current one applies', async (_name, prepare) => {
    // Prepare: the case moved on by one change (a comment) since the client read it
    const c = await prepare();
    const moved = await act(c.id, 'comments', { body: 'Someone else was here.', visibility: 'internal' });
    expect(moved.status).toBe(200);
    const before = await timeline(c.id);
    // Act
    const stale = await act(c.id, c.path, c.body, { headers: { 'if-match': `"${c.version}"` } });
    const current = await act(c.id, c.path, c.body, { headers: { 'if-match': `"${moved.body.version}"` } });
    // Assess
    expect(stale.status).toBe(409);
    expect(stale.body.title).toBe('Version conflict');
    expect(current.status).toBe(200);
    expect(current.body.version).toBe(moved.body.version + 1);
    expect(caseEvents(await timeline(c.id))).toHaveLength(caseEvents(before).length + 1);
  });

  it('refuses a malformed If-Match with 400', async () => {
    const c = await openCase();
    const r = await act(c.id, 'comments', { body: 'x', visibility: 'internal' }, { headers: { 'if-match': 'yesterday' } });
    expect(r.status).toBe(400);
    expect(errorPaths(r.body)).toEqual(['If-Match']);
  });
});

describe('Idempotency-Key on actions', () => {
  it('replays the first response and applies the action once', async () => {
    // Prepare
    const c = await openCase();
    const headers = { 'idempotency-key': `escalate-${c.id}` };
    const body = { kind: 'hierarchical', summary: 'Senior agent please.' };
    // Act
    const first = await act(c.id, 'escalations', body, { headers });
    const again = await act(c.id, 'escalations', body, { headers });
    // Assess
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(first.body).toMatchObject({ level: 'L1', version: 2 });
    expect((await api.get(`/cases/${c.id}`)).body).toMatchObject({ level: 'L1', version: 2 });
    const escalated = (await timeline(c.id)).filter((e) => e.type === 'escalated');
    expect(escalated).toHaveLength(1);
  });

  it('replays after the case has moved on, and refuses the key with another body (409)', async () => {
    const c = await openCase();
    const headers = { 'idempotency-key': `comment-${c.id}` };
    const first = await act(c.id, 'comments', { body: 'First.', visibility: 'internal' }, { headers });
    await act(c.id, 'comments', { body: 'Unrelated.', visibility: 'internal' });
    const replay = await act(c.id, 'comments', { body: 'First.', visibility: 'internal' }, { headers });
    const other = await act(c.id, 'comments', { body: 'Different.', visibility: 'internal' }, { headers });
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(first.body);
    expect(replay.body.version).toBe(2);
    expect(other.status).toBe(409);
    const comments = (await timeline(c.id)).filter((e) => e.type === 'commented').map((e) => e.summary);
    expect(comments).toEqual(['First.', 'Unrelated.']);
    expect((await api.get(`/cases/${c.id}`)).body.version).toBe(3);
  });

  it('frees the key when the action is refused, so a corrected retry goes through', async () => {
    const c = await openCase();
    const headers = { 'idempotency-key': `resume-${c.id}` };
    expect((await act(c.id, 'resume', {}, { headers })).status).toBe(409);
    await act(c.id, 'pause', {});
    const retry = await act(c.id, 'resume', {}, { headers });
    expect(retry.status).toBe(200);
    expect(retry.body.status).toBe('OPEN');
  });
});

describe('GET /cases/{id}/timeline', () => {
  it('records every change with who, when and before/after, oldest first, and never rewrites earlier events', async () => {
    // Prepare
    const c = await openCase();
    await act(c.id, 'comments', { body: 'Looking into it.', visibility: 'public' });
    await act(c.id, 'escalations', { kind: 'hierarchical', summary: 'Senior agent.' });
    await act(c.id, 'pause', {});
    const early = await timeline(c.id);
    // Act
    await act(c.id, 'resume', {});
    await act(c.id, 'escalations', { kind: 'functional', summary: 'Billing owns refunds.', toDepartment: 'billing' });
    const offer = await act(c.id, 'compensations', { kind: 'refund', amount: 150, currency: 'USD' }); // above L1's 100
    await api.post(`/cases/${c.id}/compensations/${offer.body.compensations[0].id}/approve`, {});
    await act(c.id, 'priority', { priority: 'P2', summary: 'Customer is upset.' });
    await act(c.id, 'resolve', { resolution: 'Refund approved.' });
    await act(c.id, 'reopen', {});
    const late = await timeline(c.id);
    // Assess
    const earlyCase = caseEvents(early);
    const lateCase = caseEvents(late);
    expect(lateCase.slice(0, earlyCase.length)).toEqual(earlyCase); // append-only
    expect(lateCase.map((e) => e.type)).toEqual([
      'created',
      'commented',
      'escalated',
      'paused',
      'resumed',
      'transferred',
      'compensation.offered',
      'compensation.approved',
      'priority.changed',
      'resolved',
      'reopened',
    ]);
    expect(lateCase.every((e) => typeof e.id === 'string' && !Number.isNaN(Date.parse(e.at)))).toBe(true);
    expect(lateCase.slice(1).every((e) => e.actor.kind === 'client' && e.actor.id === 'escalator-local')).toBe(true);
    expect(new Set(late.map((e) => e.id)).size).toBe(late.length);
    const ats = lateCase.map((e) => Date.parse(e.at));
    expect([...ats].sort((a, b) => a - b)).toEqual(ats); // oldest first
    // Each email comes right after the event that owed it.
    late.forEach((e, i) => {
      if (!e.type.startsWith('email.')) return;
      const owner = late.slice(0, i).reverse().find((x) => !x.type.startsWith('email.'));
      expect(owner?.id, e.summary).toBe(e.data?.['forEvent']);
    });
    // The case's final version is one per change.
    expect((await api.get(`/cases/${c.id}`)).body.version).toBe(lateCase.length);
    // Emails sent for the case are listed too (the acknowledgement, the public reply…).
    expect(late.filter((e) => e.type === 'email.sent').map((e) => e.data?.['template'])).toEqual(
      expect.arrayContaining(['acknowledgement', 'public-comment', 'status-update', 'approval-request', 'resolution']),
    );
  });

  it('is 404 for an unknown case and needs the read scope', async () => {
    expect((await api.get('/cases/01ARZ3NDEKTSV4RRFFQ69G5FAV/timeline')).status).toBe(404);
    const c = await openCase();
    expect((await api.get(`/cases/${c.id}/timeline`, { token: null })).status).toBe(401);
  });
});
