// Business hours end to end on the local stack, in real time: a calendar whose only working window opens a few
// seconds from now (in Asia/Kolkata, UTC+05:30), so a case created now is outside working hours, waits over the
// non-working stretch, escalates inside the window, and GET /cases/{id}/sla accounts for it. Then policy versions:
// a restart with a new policy file leaves an open case's deadlines alone until a manager moves it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { eventually, newCaseBody, policyFile, startTestStack, uniformBudgets, type TestApi } from '../support/stack.ts';

const ZONE = 'Asia/Kolkata';
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

/** A week whose only working time is [start, end) — split at local midnight if it crosses one. */
function weekWithWindow(start: number, end: number): Record<string, string[]> {
  const week: Record<string, string[]> = Object.fromEntries(DAYS.map((d) => [d, []]));
  const fmt = (t: DateTime) => t.toFormat('HH:mm:ss');
  let from = DateTime.fromMillis(start, { zone: ZONE });
  const until = DateTime.fromMillis(end, { zone: ZONE });
  while (from < until) {
    const midnight = from.plus({ days: 1 }).startOf('day');
    const stop = until < midnight ? until : midnight;
    week[DAYS[from.weekday - 1]!]!.push(`${fmt(from)}-${stop.equals(midnight) ? '24:00' : fmt(stop)}`);
    from = stop;
  }
  return week;
}

const stacks: LocalStack[] = [];
afterAll(async () => {
  for (const s of stacks) await s.stop();
});

/** A stack; `restartOf` starts it on the same table and ports as a stopped one (its data survives in the shared DynamoDB Local). */
async function start(policyPath: string, dataDir?: string, restartOf?: LocalStack): Promise<TestApi> {
  const again = restartOf
    ? { tableName: restartOf.tableName, ports: { api: restartOf.ports.api, stepfunctions: restartOf.ports.stepfunctions, ses: restartOf.ports.ses } }
    : { tableName: `bh-${Math.random().toString(36).slice(2)}` };
  const { stack, api } = await startTestStack({ policyPath, ...(dataDir ? { dataDir } : {}), ...again });
  stacks.push(stack);
  return api;
}

const managers = { support: { managers: {} }, billing: { managers: {} }, engineering: { managers: {} } };

describe('business hours on the local stack', () => {
  it('a case created outside working hours waits, escalates inside the next window, and the explanation accounts for it', async () => {
    // Prepare: the window opens 20 s from now (whole seconds) and lasts 30 s; every level's budget is 3 s
    const windowStart = Math.ceil((Date.now() + 20_000) / 1000) * 1000;
    const policyPath = policyFile({
      budgets: uniformBudgets(3),
      warnAt: null,
      closeBy: 'P1D',
      departments: managers,
      calendars: { 'kolkata-desk': { timeZone: ZONE, week: weekWithWindow(windowStart, windowStart + 30_000) } },
      calendar: 'kolkata-desk',
    });
    const api = await start(policyPath);

    // Act: create the case before the window opens
    const c = (await api.post('/cases', newCaseBody())).body;
    expect(Date.parse(c.createdAt), 'the stack took too long to start for this test').toBeLessThan(windowStart - 2_000);

    // Assess: the deadline is 3 s into the window, and the timer waits for exactly that
    expect(c.sla.levelDueAt).toBe(new Date(windowStart + 3_000).toISOString());
    const waiting = (await api.get(`/cases/${c.id}/sla`)).body;
    const level = waiting.deadlines.find((d: { kind: string }) => d.kind === 'level');
    expect(waiting.clock).toMatchObject({ calendar: 'kolkata-desk', timeZone: ZONE });
    expect(level.budget).toMatchObject({ iso: 'PT3S', ms: 3_000, usedMs: 0, leftMs: 3_000 });
    expect(level.explanation).toContain('that was outside working hours, so the clock started');
    expect(level.windows).toEqual([expect.objectContaining({ start: new Date(windowStart).toISOString(), ms: 3_000 })]);
    expect((await api.get(`/cases/${c.id}/workflow`)).body.nextWakeUp).toBe(c.sla.levelDueAt);
    // still L0 just before the window opens: nothing happened over the non-working stretch
    await new Promise((r) => setTimeout(r, Math.max(0, windowStart - Date.now() - 500)));
    expect((await api.get(`/cases/${c.id}`)).body.level).toBe('L0');

    // the escalation comes inside the window
    const escalated = await eventually(async () => {
      const r = (await api.get(`/cases/${c.id}`)).body;
      return r.level === 'L1' ? r : undefined;
    }, 10_000);
    expect(escalated.sla.levelDueAt).toBe(new Date(windowStart + 6_000).toISOString());
    const events = (await api.get(`/cases/${c.id}/timeline`)).body.events as { type: string; at: string }[];
    expect(events.find((e) => e.type === 'escalated')?.at).toBe(new Date(windowStart + 3_000).toISOString());

    const explained = (await api.get(`/cases/${c.id}/sla`)).body;
    expect(explained.escalations[0]).toMatchObject({ type: 'escalated', automatic: true, from: 'L0', to: 'L1', at: new Date(windowStart + 3_000).toISOString() });
    expect(explained.deadlines[0].explanation).toContain("when the previous level's budget ran out and the case escalated to L1");
    expect(explained.summary.join(' ')).toContain('1 escalation so far: automatic escalation L0→L1');
    expect(explained.policy).toMatchObject({ pinned: true, upToDate: true, version: c.sla.policyVersion });
  }, 60_000);

  it('a restart with a new policy file keeps an open case on its version until a manager moves it', async () => {
    // Prepare: a case under budgets of 1 day, then a restart with budgets of 1 hour
    const dataDir = mkdtempSync(join(tmpdir(), 'escalator-pinned-'));
    const day = { L0: 'P1D', L1: 'P1D', L2: 'P1D', L3: 'P1D' };
    const hour = { L0: 'PT1H', L1: 'PT1H', L2: 'PT1H', L3: 'PT1H' };
    // The run's shared DynamoDB Local keeps the table across the restart (the handlers' clients, made once per process
    // as in a Lambda, keep their endpoint); the data folder keeps the keys and executions.
    const first = await start(policyFile({ budgets: { P1: day, P2: day, P3: day, P4: day }, departments: managers }), dataDir);
    const c = (await first.post('/cases', newCaseBody())).body;
    const stopped = stacks.pop()!;
    await stopped.stop();
    // The same table and ports: the handlers' SDK clients, created once per process as in a Lambda, keep their endpoints.
    const second = await start(policyFile({ budgets: { P1: hour, P2: hour, P3: hour, P4: hour }, departments: managers }), dataDir, stopped);

    // Assess: same deadline, same version, and the explanation says a newer policy exists
    const after = (await second.get(`/cases/${c.id}`)).body;
    expect(after.sla.levelDueAt).toBe(c.sla.levelDueAt);
    expect(after.sla.policyVersion).toBe(c.sla.policyVersion);
    const explained = (await second.get(`/cases/${c.id}/sla`)).body;
    expect(explained.policy.upToDate).toBe(false);

    // Act: a manager moves it; a writer may not
    const reader = await second.token('cases/read cases/write');
    expect((await second.post(`/cases/${c.id}/policy`, {}, { token: reader })).status).toBe(403);
    const moved = await second.post(`/cases/${c.id}/policy`, { reason: 'new SLA agreed with the customer' });
    expect(moved.status).toBe(200);
    expect(moved.body.sla.levelDueAt).toBe(new Date(Date.parse(c.createdAt) + 3_600_000).toISOString());
    expect(moved.body.sla.policyVersion).not.toBe(c.sla.policyVersion);
    const events = (await second.get(`/cases/${c.id}/timeline`)).body.events as { type: string; summary: string }[];
    expect(events.find((e) => e.type === 'policy.adopted')?.summary).toBe('new SLA agreed with the customer');
    // Again: already on the current policy, nothing moves and nothing more is recorded.
    const again = await second.post(`/cases/${c.id}/policy`, {});
    expect(again.status).toBe(200);
    expect(again.body.version).toBe(moved.body.version);
  }, 90_000);

  it('POST /policies/simulate replays the window\'s cases against a draft, for managers only, and names a bad calendar entry', async () => {
    // Prepare: two cases under 1-day budgets
    const day = { L0: 'P1D', L1: 'P1D', L2: 'P1D', L3: 'P1D' };
    const path = policyFile({ budgets: { P1: day, P2: day, P3: day, P4: day }, departments: managers });
    const api = await start(path);
    const from = new Date(Date.now() - 1_000).toISOString();
    await api.post('/cases', newCaseBody());
    await api.post('/cases', newCaseBody({ priority: 'P1' }));
    const draft = { ...(JSON.parse((await import('node:fs')).readFileSync(path, 'utf8')) as Record<string, unknown>), name: 'draft', budgets: uniformBudgets(1) };

    // Act: once four 1-second budgets have passed since creation
    await new Promise((r) => setTimeout(r, 4_500));
    const r = await api.post('/policies/simulate', { policy: draft, from });

    // Assess: both cases escalate through every level and breach in the draft world; none did really
    expect(r.status).toBe(200);
    expect(r.body.window.from).toBe(from);
    expect(r.body.actual).toMatchObject({ cases: 2, breached: 0 });
    // (the P1 case starts at L1 by the demo policy's routing, so only the other one escalates to L1)
    expect(r.body.simulated).toMatchObject({ cases: 2, breached: 2, breachRate: 1, escalations: { automatic: { L1: 1, L2: 2, L3: 2 } } });
    expect(r.body.draft.version).toMatch(/^draft@/);
    const writer = await api.token('cases/read cases/write');
    expect((await api.post('/policies/simulate', { policy: draft }, { token: writer })).status).toBe(403);
    const bad = await api.post('/policies/simulate', { policy: { ...draft, calendars: { desk: { timeZone: 'Mars/Olympus', week: { mon: ['09:00-17:00'] } } } } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toContainEqual(expect.objectContaining({ path: 'policy.calendars.desk.timeZone' }));
  }, 60_000);
});
