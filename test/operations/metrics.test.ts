// A scripted day of activity in ~20 s of real time (second-scale policy): dozens of cases across repeat customers,
// priorities and categories; escalations by hand and by the timer, transfers, pauses, resolutions, reopenings,
// breaches, overdue cases and survey answers from the follow-up emails. Then GET /metrics, and every figure is
// recomputed here independently, from each case's timeline (GET /cases/{id}/timeline), and must be equal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { eventually, newCaseBody, policyFile, startTestStack, TestApi } from '../support/stack.ts';

const CLOSE_BY_MS = 12_000;
const seconds = (s: number) => ({ L0: `PT${s}S`, L1: `PT${s}S`, L2: `PT${s}S`, L3: `PT${s}S` });

let stack: LocalStack;
let api: TestApi;

beforeAll(async () => {
  ({ stack } = await startTestStack({
    policyPath: policyFile({
      // P1 and P2 cases climb on their own and breach; P3 and P4 only move when the close-by rule fires.
      budgets: { P1: seconds(1), P2: seconds(2), P3: seconds(3600), P4: seconds(3600) },
      closeBy: `PT${CLOSE_BY_MS / 1000}S`,
      followUpAfter: 'PT1S',
      warnAt: null,
      departments: { support: { managers: {} }, billing: { managers: {} }, engineering: { managers: {} } },
    }),
  }));
  // The script runs on second-scale deadlines: writes return at once (as a client sees them) instead of waiting for the
  // stream's effects; every check waits on the state it needs.
  api = new TestApi(stack, false);
});
afterAll(async () => {
  await stack?.stop();
});

// ---- the script ----
type Priority = 'P1' | 'P2' | 'P3' | 'P4';
interface Spec {
  customer: string;
  priority: Priority;
  category?: string;
  tier?: 'standard' | 'gold' | 'platinum';
  /** What happens to the case after it is created. */
  plan: (id: string) => Promise<void>;
}
interface Created {
  id: string;
  customer: string;
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function ok(path: string, body: unknown = {}): Promise<any> {
  const r = await api.post(path, body);
  if (r.status !== 200) throw new Error(`${path}: ${r.status} ${r.text}`);
  return r.body;
}
const getCase = async (id: string) => (await api.get(`/cases/${id}`)).body;
const until = (id: string, pred: (c: any) => boolean, timeoutMs = 20_000) =>
  eventually(async () => {
    const c = await getCase(id);
    return pred(c) ? c : undefined;
  }, timeoutMs, 250);

const resolve = (id: string, text = 'Sorted.') => ok(`/cases/${id}/resolve`, { resolution: text });
const escalate = (id: string, toLevel?: string) => ok(`/cases/${id}/escalations`, { kind: 'hierarchical', summary: 'Needs more seniority.', ...(toLevel ? { toLevel } : {}) });
const transfer = (id: string, toDepartment: string) => ok(`/cases/${id}/escalations`, { kind: 'functional', summary: `Belongs to ${toDepartment}.`, toDepartment });

/** The case id a survey token is for (the token's body is readable; only its signature is secret). */
const caseOfToken = (token: string) => (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as { c: string }).c;

/** Answer the survey of a case from the link in its follow-up email (waits for the email). */
async function rate(id: string, rating: number): Promise<void> {
  const token = await eventually(async () => {
    for (const m of await api.emails()) {
      for (const [, t] of (m.body.text ?? '').matchAll(/\/feedback\/([\w-]+\.[\w-]+)\?rating=\d/g)) if (caseOfToken(t!) === id) return t;
    }
    return undefined;
  }, 20_000, 300);
  const r = await fetch(`${api.url}/feedback/${token}?rating=${rating}`);
  expect(r.status).toBe(200);
}

/** Resolve now, wait for the follow-up to close the case, then answer the survey (or not). */
const resolvedAndRated = (rating: number | null, before?: (id: string) => Promise<unknown>) => async (id: string) => {
  await before?.(id);
  await resolve(id);
  await until(id, (c) => c.status === 'CLOSED');
  if (rating !== null) await rate(id, rating);
};
const neglected = async (id: string) => void (await until(id, (c) => c.sla.overdue));

/** Batch A: created at the start; by the end every one of them is closed or overdue. */
function batchA(): Spec[] {
  const s = (customer: string, priority: Priority, plan: Spec['plan'], extra: Partial<Spec> = {}): Spec => ({ customer, priority, plan, ...extra });
  return [
    // Left alone: P1/P2 climb L0/L1 → L3 and breach, then go overdue; P4 is moved to L3 by the close-by rule.
    s('c01', 'P2', neglected),
    s('c02', 'P2', neglected),
    s('c03', 'P2', neglected, { category: 'refund' }),
    s('c04', 'P2', neglected, { category: 'bug' }),
    s('c05', 'P1', neglected, { tier: 'platinum' }),
    s('c06', 'P1', neglected),
    s('c06', 'P4', neglected),
    s('c07', 'P4', neglected, { category: 'invoice' }),
    // Resolved at once; most customers answer the survey.
    s('c01', 'P3', resolvedAndRated(5)),
    s('c02', 'P3', resolvedAndRated(4), { category: 'refund' }),
    s('c08', 'P3', resolvedAndRated(3), { category: 'bug' }),
    s('c09', 'P3', resolvedAndRated(null)),
    s('c10', 'P4', resolvedAndRated(5), { tier: 'gold' }),
    s('c01', 'P3', resolvedAndRated(2)),
    // Escalated or transferred by hand, then resolved.
    s('c11', 'P3', resolvedAndRated(4, (id) => escalate(id, 'L2'))),
    s('c12', 'P3', resolvedAndRated(null, (id) => escalate(id))),
    s('c08', 'P3', resolvedAndRated(1, (id) => transfer(id, 'billing'))),
    s('c09', 'P4', resolvedAndRated(5, (id) => transfer(id, 'engineering')), { category: 'refund' }),
    // Reopened: twice, once; and once after the follow-up closed it (surveyed twice, rated once).
    s('c10', 'P3', async (id) => {
      for (let i = 0; i < 2; i++) {
        await resolve(id, `Attempt ${i + 1}.`);
        await ok(`/cases/${id}/reopen`, { reason: 'Still broken.' });
      }
      await resolvedAndRated(3)(id);
    }),
    s('c03', 'P3', async (id) => {
      await resolve(id, 'First try.');
      await ok(`/cases/${id}/reopen`, {});
      await resolvedAndRated(null)(id);
    }),
    s('c04', 'P3', async (id) => {
      await resolvedAndRated(2)(id);
      await ok(`/cases/${id}/reopen`, { reason: 'It broke again.' });
      await resolve(id, 'Second fix.');
      await until(id, (c) => c.status === 'CLOSED');
    }),
    // Paused and left waiting: still PAUSED when the close-by rule moves it to L3.
    s('c12', 'P3', async (id) => {
      await ok(`/cases/${id}/pause`, { reason: 'Waiting for the customer.' });
      await neglected(id);
    }, { category: 'billing' }),
    s('c13', 'P3', async (id) => {
      await ok(`/cases/${id}/pause`, {});
      await neglected(id);
    }),
    // Paused a moment, resumed, then left to breach.
    s('c13', 'P2', async (id) => {
      await ok(`/cases/${id}/pause`, {});
      await wait(300);
      await ok(`/cases/${id}/resume`, {});
      await until(id, (c) => c.sla.breached && c.sla.overdue);
    }),
    // Resolved while climbing, before the breach.
    s('c14', 'P1', async (id) => {
      await until(id, (c) => c.level !== 'L1');
      await resolvedAndRated(4)(id);
    }),
    s('c02', 'P2', async (id) => {
      await until(id, (c) => c.level !== 'L0');
      await resolvedAndRated(null)(id);
    }),
    // Resolved only after going overdue: not within the deadline.
    s('c05', 'P4', async (id) => {
      await neglected(id);
      await resolvedAndRated(1)(id);
    }),
    s('c07', 'P3', async (id) => {
      await neglected(id);
      await resolvedAndRated(null)(id);
    }, { category: 'bug' }),
    // Made urgent: the P1 budget is already used up, so it climbs at once.
    s('c11', 'P4', async (id) => {
      await ok(`/cases/${id}/priority`, { priority: 'P1', summary: 'Production is down.' });
      await until(id, (c) => c.sla.breached && c.sla.overdue);
    }),
    // Worked on (public reply, compensation) but never resolved.
    s('c14', 'P3', async (id) => {
      await ok(`/cases/${id}/comments`, { body: 'We are on it.', visibility: 'public' });
      await ok(`/cases/${id}/compensations`, { kind: 'credit', amount: 10, currency: 'USD' });
      await neglected(id);
    }),
  ];
}

/** Batch B: created once batch A is overdue, so their close-by deadline is still ahead when the figures are taken. */
function batchB(): Spec[] {
  const s = (customer: string, priority: Priority, plan: Spec['plan'], extra: Partial<Spec> = {}): Spec => ({ customer, priority, plan, ...extra });
  return [
    s('c01', 'P3', async () => undefined),
    s('c02', 'P4', async (id) => void (await escalate(id))),
    s('c15', 'P3', async (id) => void (await escalate(id, 'L2')), { category: 'bug' }),
    s('c16', 'P3', async (id) => void (await ok(`/cases/${id}/pause`, {})), { category: 'refund' }),
    s('c05', 'P4', async (id) => void (await transfer(id, 'engineering')), { tier: 'platinum' }),
    s('c08', 'P3', resolvedAndRated(5)),
    s('c17', 'P1', async (id) => void (await until(id, (c) => c.sla.breached))),
    s('c03', 'P4', async () => undefined, { category: 'invoice' }),
  ];
}

async function create(spec: Spec): Promise<Created> {
  const r = await api.post(
    '/cases',
    newCaseBody({
      customer: { id: spec.customer, email: `${spec.customer}@example.org`, tier: spec.tier ?? 'standard', lifetimeValue: 1000 },
      priority: spec.priority,
      subject: `Case for ${spec.customer}`,
      ...(spec.category ? { category: spec.category } : {}),
    }),
  );
  expect(r.status).toBe(201);
  return { id: r.body.id, customer: spec.customer };
}

async function play(specs: Spec[]): Promise<{ cases: Created[]; done: Promise<unknown> }> {
  const cases = await Promise.all(specs.map(create));
  return { cases, done: Promise.all(specs.map((s, i) => s.plan(cases[i]!.id))) };
}

// ---- the independent recomputation, from timelines ----
interface Event {
  at: string;
  type: string;
  changes?: Record<string, { before: unknown; after: unknown }>;
  data?: Record<string, unknown>;
}

/** A case as its timeline tells it. */
interface Replayed {
  id: string;
  customer: string;
  createdAt: number;
  status: string;
  level: string;
  department: string;
  breached: boolean;
  overdue: boolean;
  resolvedAt: number | undefined;
  reopenings: number;
  rating: number | undefined;
  followUps: number;
  escalations: { automatic: number; manual: number; transfers: number };
}

function replay(id: string, customer: string, events: Event[]): Replayed {
  const created = events.find((e) => e.type === 'created')!;
  const r: Replayed = {
    id,
    customer,
    createdAt: Date.parse(created.at),
    status: 'OPEN',
    level: String(created.data!['level']),
    department: String(created.data!['department']),
    breached: false,
    overdue: false,
    resolvedAt: undefined,
    reopenings: 0,
    rating: undefined,
    followUps: 0,
    escalations: { automatic: 0, manual: 0, transfers: 0 },
  };
  for (const e of events) {
    const after = (field: string) => e.changes?.[field]?.after;
    if (after('status') !== undefined) r.status = String(after('status'));
    if (after('level') !== undefined) r.level = String(after('level'));
    if (after('department') !== undefined) r.department = String(after('department'));
    switch (e.type) {
      case 'sla.breached':
        r.breached = true;
        break;
      case 'sla.overdue':
        r.overdue = true;
        if (e.changes?.['level']) r.escalations.automatic++;
        break;
      case 'escalated':
        if (e.data?.['automatic']) r.escalations.automatic++;
        else r.escalations.manual++;
        break;
      case 'transferred':
        r.escalations.transfers++;
        break;
      case 'resolved':
        r.resolvedAt = Date.parse(e.at);
        break;
      case 'reopened':
        r.resolvedAt = undefined;
        r.reopenings++;
        break;
      case 'feedback.received':
        r.rating = Number(e.data!['rating']);
        break;
      case 'followed-up':
        r.followUps++;
        break;
    }
  }
  return r;
}

function nearestRank(sorted: number[], p: number): number | null {
  return sorted.length ? sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]! : null;
}

function expectedMetrics(all: Replayed[], window: { from: string; to: string }, asOf: string) {
  const from = Date.parse(window.from);
  const to = Date.parse(window.to);
  const inWindow = all.filter((c) => c.createdAt >= from && c.createdAt < to);
  const n = inWindow.length;
  const rate = (k: number, d: number) => (d === 0 ? null : k / d);
  const durations = inWindow.filter((c) => c.resolvedAt !== undefined).map((c) => (c.resolvedAt! - c.createdAt) / 1000).sort((a, b) => a - b);
  const closeBy = (c: Replayed) => c.createdAt + CLOSE_BY_MS;
  const known = inWindow.filter((c) => c.resolvedAt !== undefined || closeBy(c) <= Date.parse(asOf));
  const inTime = known.filter((c) => c.resolvedAt !== undefined && c.resolvedAt <= closeBy(c));
  const customers = new Map<string, number>();
  for (const c of inWindow) customers.set(c.customer, (customers.get(c.customer) ?? 0) + 1);
  const rated = inWindow.filter((c) => c.rating !== undefined);
  const surveyed = inWindow.filter((c) => c.followUps > 0).length;
  const open = all.filter((c) => c.status === 'OPEN' || c.status === 'PAUSED');
  const byDepartment: Record<string, number> = {};
  for (const c of open) byDepartment[c.department] = (byDepartment[c.department] ?? 0) + 1;
  const sum = (f: (c: Replayed) => number) => inWindow.reduce((s, c) => s + f(c), 0);
  return {
    window,
    asOf,
    cases: n,
    breachRate: rate(inWindow.filter((c) => c.breached).length, n),
    resolutionTimeSeconds: { median: nearestRank(durations, 50), p90: nearestRank(durations, 90), count: durations.length },
    closedWithinDeadlineRate: rate(inTime.length, known.length),
    escalations: { automatic: sum((c) => c.escalations.automatic), manual: sum((c) => c.escalations.manual), transfers: sum((c) => c.escalations.transfers) },
    repeat: {
      customersWithMultipleCases: [...customers.values()].filter((k) => k > 1).length,
      customers: customers.size,
      reopenedCases: inWindow.filter((c) => c.reopenings > 0).length,
      reopenings: sum((c) => c.reopenings),
    },
    csat: {
      average: rated.length ? rated.reduce((s, c) => s + c.rating!, 0) / rated.length : null,
      responses: rated.length,
      surveyed,
      responseRate: rate(rated.length, surveyed),
    },
    open: {
      total: open.length,
      byLevel: Object.fromEntries(['L0', 'L1', 'L2', 'L3'].map((l) => [l, open.filter((c) => c.level === l).length])),
      byDepartment,
    },
  };
}

// ---- the test ----
describe('GET /metrics after a day of activity', () => {
  it('yields exactly the figures recomputed from the timelines', async () => {
    // Prepare: two cases before the window, the window's two batches, one case after it.
    const before = await Promise.all([create({ customer: 'c01', priority: 'P3', plan: async () => undefined }), create({ customer: 'c18', priority: 'P4', plan: async () => undefined })]);
    await wait(5);
    const from = new Date().toISOString();
    const a = await play(batchA());
    const aDone = a.done;
    // Once the first batch has gone overdue, the second arrives.
    await Promise.all(a.cases.slice(0, 8).map((c) => until(c.id, (x) => x.sla.overdue)));
    const b = await play(batchB());
    await Promise.all([aDone, b.done]);
    await wait(5);
    const to = new Date().toISOString();
    const after = await create({ customer: 'c02', priority: 'P3', plan: async () => undefined });
    const all: Created[] = [...before, ...a.cases, ...b.cases, after];
    // Nothing is left moving: the first batch and the cases before it are closed or overdue, every survey answered.
    for (const c of [...before, ...a.cases]) await until(c.id, (x) => x.status === 'CLOSED' || x.sla.overdue);

    // Act
    const m = await api.get(`/metrics?from=${from}&to=${to}`);
    expect(m.status).toBe(200);
    const timelines = await Promise.all(all.map(async (c) => (await api.get(`/cases/${c.id}/timeline`)).body.events as Event[]));
    const again = await api.get(`/metrics?from=${from}&to=${to}`);

    // Assess: the snapshot was stable while the timelines were read
    const { asOf: _a1, ...first } = m.body;
    const { asOf: _a2, ...second } = again.body;
    expect(second, 'a case changed while the figures were being checked').toEqual(first);
    const replayed = all.map((c, i) => replay(c.id, c.customer, timelines[i]!));

    // The timelines tell the same story as the cases.
    const cases = await Promise.all(all.map((c) => getCase(c.id)));
    expect(replayed.map((r) => [r.status, r.level, r.department, r.breached, r.overdue, r.reopenings, r.rating ?? null, r.resolvedAt ?? null, r.createdAt])).toEqual(
      cases.map((c) => [c.status, c.level, c.department, c.sla.breached, c.sla.overdue, c.reopenCount, c.feedback?.rating ?? null, c.resolvedAt ? Date.parse(c.resolvedAt) : null, Date.parse(c.createdAt)]),
    );

    // Every figure, recomputed independently.
    expect(m.body).toEqual(expectedMetrics(replayed, { from, to }, m.body.asOf));

    // The day was as varied as intended (so the comparison above is not vacuous).
    expect(m.body.cases).toBe(a.cases.length + b.cases.length);
    expect(m.body.breachRate).toBeGreaterThan(0);
    expect(m.body.breachRate).toBeLessThan(1);
    expect(m.body.closedWithinDeadlineRate).toBeGreaterThan(0);
    expect(m.body.closedWithinDeadlineRate).toBeLessThan(1);
    expect(m.body.resolutionTimeSeconds.count).toBeGreaterThan(10);
    expect(m.body.resolutionTimeSeconds.p90).toBeGreaterThan(m.body.resolutionTimeSeconds.median);
    expect(m.body.escalations.automatic).toBeGreaterThan(10);
    expect(m.body.escalations.manual).toBeGreaterThanOrEqual(4);
    expect(m.body.escalations.transfers).toBeGreaterThanOrEqual(3);
    expect(m.body.repeat.customersWithMultipleCases).toBeGreaterThan(5);
    expect(m.body.repeat.reopenedCases).toBe(3);
    expect(m.body.repeat.reopenings).toBe(4);
    expect(m.body.csat.responses).toBe(13);
    expect(m.body.csat.responseRate).toBeLessThan(1);
    // Cases reopened after their follow-up were surveyed twice and count once.
    const followUps = replayed.filter((r) => r.createdAt >= Date.parse(from) && r.createdAt < Date.parse(to)).reduce((n, r) => n + r.followUps, 0);
    expect(replayed.some((r) => r.followUps > 1)).toBe(true);
    expect(m.body.csat.surveyed).toBeLessThan(followUps);
    expect(m.body.open.total).toBeGreaterThan(10);
    // Open cases at more than one level: P3/P4 wait at L0 while P1/P2 climb (how far they got by now depends on how
    // fast the machine ran the script, so only "at least two levels" is certain).
    expect(Object.values(m.body.open.byLevel).filter((k) => (k as number) > 0).length).toBeGreaterThanOrEqual(2);
    expect(Object.keys(m.body.open.byDepartment).sort()).toEqual(['billing', 'engineering', 'support']);
    // The cases outside the window count only as open cases.
    expect(replayed.filter((r) => r.createdAt < Date.parse(from) || r.createdAt >= Date.parse(to))).toHaveLength(3);
  }, 60_000);

  it('refuses a window that ends before it starts, and needs the read scope', async () => {
    const bad = await api.get('/metrics?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z');
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(['from']);
    const garbage = await api.get('/metrics?from=yesterday');
    expect(garbage.status).toBe(400);
    expect((await api.get('/metrics', { token: null })).status).toBe(401);
    expect((await api.get('/metrics', { token: await api.token('cases/write') })).status).toBe(403);
  });
});
