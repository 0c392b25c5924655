// 50 concurrent conflicting actions on one case: each gets a success or a 409, no update is lost, and the timeline
// and the case agree. Budgets are an hour (no timer acts during the test), so every version is a request's change.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { newCaseBody, policyFile, startTestStack, TestApi, uniformBudgets } from '../support/stack.ts';

let stack: LocalStack;
let api: TestApi;

beforeAll(async () => {
  ({ stack, api } = await startTestStack({
    policyPath: policyFile({
      budgets: uniformBudgets(3600),
      closeBy: 'P30D',
      followUpAfter: 'P3D',
      warnAt: null,
      departments: { support: { managers: {} }, billing: { managers: {} }, engineering: { managers: {} } },
    }),
  }));
});
afterAll(async () => {
  await stack?.stop();
});

interface Event {
  id: string;
  type: string;
  actor: { kind: string; id: string };
  summary?: string;
  data?: Record<string, unknown>;
}

/** One request of the mix; `tag` is unique and ends up in the event the request's change records. */
interface Attempt {
  tag: string;
  type: string;
  path: string;
  body: unknown;
}

const N = 50;

function mix(): Attempt[] {
  const out: Attempt[] = [];
  const priorities = ['P1', 'P2', 'P4', 'P3'];
  for (let i = 0; i < N; i++) {
    const tag = `req-${String(i).padStart(2, '0')}`;
    switch (i % 8) {
      case 0:
      case 1:
        out.push({ tag, type: 'commented', path: 'comments', body: { body: tag, visibility: i % 16 === 0 ? 'public' : 'internal' } });
        break;
      case 2:
        out.push({ tag, type: 'paused', path: 'pause', body: { reason: tag } });
        break;
      case 3:
        out.push({ tag, type: 'resumed', path: 'resume', body: { reason: tag } });
        break;
      case 4:
        out.push({ tag, type: 'escalated', path: 'escalations', body: { kind: 'hierarchical', summary: tag } });
        break;
      case 5:
        out.push({ tag, type: 'transferred', path: 'escalations', body: { kind: 'functional', summary: tag, toDepartment: i % 16 === 5 ? 'billing' : 'support' } });
        break;
      case 6:
        out.push({ tag, type: 'compensation.offered', path: 'compensations', body: { kind: 'credit', amount: i % 3 === 0 ? 500 : 10, currency: 'USD', note: tag } });
        break;
      default:
        out.push({ tag, type: 'priority.changed', path: 'priority', body: { priority: priorities[(i >> 3) % 4], summary: tag } });
    }
  }
  return out;
}

/** Where each kind of event carries the request's tag. */
function tagOf(e: Event, compensationNotes: Map<string, string>): string | undefined {
  if (e.type === 'compensation.offered') return compensationNotes.get(String(e.data?.['compensationId']));
  return e.summary;
}

describe('50 concurrent actions on one case', () => {
  it('answers each with 2xx or 409, loses no update, and the timeline and the version agree', async () => {
    // Prepare
    const c = (await api.post('/cases', newCaseBody({ customer: { id: 'busy', email: 'busy@example.org', lifetimeValue: 1200 } }))).body;
    const attempts = mix();
    const types = new Set(attempts.map((a) => a.type));

    // Act: all at once
    const answers = await Promise.all(attempts.map((a) => api.post(`/cases/${c.id}/${a.path}`, a.body)));

    // Assess: only successes and conflicts
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s !== 200 && s !== 409), JSON.stringify(answers.filter((r) => r.status !== 200 && r.status !== 409).map((r) => r.body))).toEqual([]);
    const ok = attempts.filter((_a, i) => statuses[i] === 200);
    const refused = attempts.filter((_a, i) => statuses[i] === 409);
    expect(ok.length + refused.length).toBe(N);
    expect(ok.length).toBeGreaterThan(0);
    // Each success names a distinct version: 2, 3, … 1 + successes.
    const versions = answers.filter((r) => r.status === 200).map((r) => r.body.version as number).sort((a, b) => a - b);
    expect(versions).toEqual(ok.map((_a, i) => i + 2));

    const final = (await api.get(`/cases/${c.id}`)).body;
    const notes = new Map<string, string>((final.compensations as { id: string; note: string }[]).map((o) => [o.id, o.note]));
    const events = ((await api.get(`/cases/${c.id}/timeline`)).body.events as Event[]).filter((e) => types.has(e.type));
    const tags = events.map((e) => tagOf(e, notes));

    // Every success is on the timeline exactly once, as the change it asked for; no refused request is.
    for (const a of ok) {
      const mine = events.filter((e, i) => tags[i] === a.tag);
      expect(mine.map((e) => e.type), a.tag).toEqual([a.type]);
      expect(mine[0]!.actor).toEqual({ kind: 'client', id: 'escalator-local' });
    }
    for (const a of refused) expect(tags, a.tag).not.toContain(a.tag);
    expect(events).toHaveLength(ok.length);
    // The case agrees: one version per change (no timer acted), and each state reflects the successes.
    expect(final.version).toBe(1 + ok.length);
    expect(final.compensations).toHaveLength(ok.filter((a) => a.type === 'compensation.offered').length);
    const escalations = ok.filter((a) => a.type === 'escalated').length;
    expect(final.level).toBe(['L0', 'L1', 'L2', 'L3'][escalations]);
    const pauses = ok.filter((a) => a.type === 'paused').length;
    const resumes = ok.filter((a) => a.type === 'resumed').length;
    expect(pauses - resumes).toBe(final.status === 'PAUSED' ? 1 : 0);
    // The last change on the timeline is the case's state: its priority and department are the last ones set.
    const lastPriority = [...events].reverse().find((e) => e.type === 'priority.changed');
    if (lastPriority) expect(final.priority).toBe((attempts.find((a) => a.tag === lastPriority.summary)!.body as { priority: string }).priority);
    const lastTransfer = [...events].reverse().find((e) => e.type === 'transferred');
    if (lastTransfer) expect(final.department).toBe((attempts.find((a) => a.tag === lastTransfer.summary)!.body as { toDepartment: string }).toDepartment);
  }, 60_000);
});
