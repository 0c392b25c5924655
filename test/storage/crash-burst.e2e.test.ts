// `kill -9` of the whole local stack in the middle of a burst of creates and public comments. After a restart on the
// same data: every case and comment the API confirmed is there, every email they owe is sent exactly once (its record
// says so and no email reaches SES twice), and every open case has its running timer.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { childPorts, childToken, killHard, startChildStack } from '../support/child-stack.ts';
import { eventually, newCaseBody, policyFile, uniformBudgets } from '../support/stack.ts';

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

interface StoreEmail {
  messageId: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string };
}

describe('kill -9 during a burst of creates and comments', () => {
  it('loses no case, comment or email, sends none twice, and leaves every open case with its timer', async () => {
    // Prepare: hour-long budgets, so only the burst's own emails (acknowledgements, public comments) are owed
    const env = await childPorts();
    const dataDir = mkdtempSync(join(tmpdir(), 'escalator-burst-'));
    const policy = policyFile({
      budgets: uniformBudgets(3600),
      closeBy: 'PT2H',
      warnAt: null,
      departments: { support: { managers: {} }, billing: { managers: {} }, engineering: { managers: {} } },
    });
    let stack = await startChildStack(env, dataDir, policy, children);
    let token = await childToken(stack.api);
    const post = (path: string, body: unknown) =>
      fetch(`${stack.api}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const seenBefore = new Map<string, StoreEmail>();
    const pollStore = async () => {
      try {
        for (const m of ((await (await fetch(`${stack.ses}/store`)).json()) as { emails: StoreEmail[] }).emails) seenBefore.set(m.messageId, m);
      } catch {
        // the stack is gone
      }
    };

    // Act: 8 writers creating cases and commenting on them; kill -9 once enough has happened
    const cases = new Map<string, { customer: string; comments: string[] }>();
    let stop = false;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        try {
          const customer = `burst-${w}-${i}@example.org`;
          const r = await post('/cases', newCaseBody({ customer: { id: `burst-${w}-${i}`, email: customer } }));
          if (r.status !== 201) continue;
          const id = ((await r.json()) as { id: string }).id;
          cases.set(id, { customer, comments: [] });
          for (let k = 0; k < 3 && !stop; k++) {
            const text = `Update ${k} on ${id}: we are on it.`;
            const c = await post(`/cases/${id}/comments`, { body: text, visibility: 'public' });
            if (c.status === 200) cases.get(id)!.comments.push(text);
          }
        } catch {
          return; // the stack died under us
        }
      }
    };
    const writers = Array.from({ length: 8 }, (_, w) => writer(w));
    await eventually(async () => cases.size >= 25, 60_000, 50);
    await pollStore();
    const killedAt = new Date().toISOString();
    await killHard(stack.child);
    stop = true;
    await Promise.all(writers);

    stack = await startChildStack(env, dataDir, policy, children);
    token = await childToken(stack.api);
    const get = async (path: string) => (await fetch(`${stack.api}${path}`, { headers: { authorization: `Bearer ${token}` } })).json() as Promise<any>;

    // Assess: every confirmed case and comment is there, and each case's emails all settle as sent
    expect(cases.size).toBeGreaterThanOrEqual(25);
    for (const [id, expected] of cases) {
      const events = await eventually(async () => {
        const t = await get(`/cases/${id}/timeline?limit=1000`);
        const emails = (t.events as { type: string; at: string }[]).filter((e) => e.type.startsWith('email.'));
        // Settled: sent, or given up on as unconfirmed; a claim the killed process held stays `sending` until the
        // reconciler gives up on it (after two minutes) — never resent.
        const settled = (e: { type: string; at: string }) => ['email.sent', 'email.unconfirmed'].includes(e.type) || (e.type === 'email.sending' && e.at < killedAt);
        return emails.length && emails.every(settled) ? (t.events as any[]) : undefined;
      }, 30_000, 200);
      const comments = events.filter((e) => e.type === 'commented').map((e) => e.summary);
      for (const text of expected.comments) expect(comments).toContain(text);
      // One record per owed email: the acknowledgement and one per public comment on the timeline.
      const emails = events.filter((e) => e.type.startsWith('email.'));
      expect(emails.map((e) => e.data.template).sort()).toEqual(['acknowledgement', ...comments.map(() => 'public-comment')].sort());
      const wf = await get(`/cases/${id}/workflow`);
      expect(wf.timerPending).toBe(false);
      expect(wf.executions.find((e: { current: boolean }) => e.current).status).toBe('RUNNING');
    }
    // No email reached SES twice: neither within the restarted stack's store nor across the two (each body is unique).
    const after = ((await (await fetch(`${stack.ses}/store`)).json()) as { emails: StoreEmail[] }).emails;
    const ours = (m: StoreEmail) => m.destination.to.some((t) => t.startsWith('burst-'));
    const bodies = [...[...seenBefore.values()].filter(ours), ...after.filter(ours)].map((m) => `${m.destination.to[0]}|${m.subject}|${m.body.text}`);
    expect(new Set(bodies).size).toBe(bodies.length);
    await killHard(stack.child);
  }, 180_000);
});
