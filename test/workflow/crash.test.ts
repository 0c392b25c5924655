// Crash safety: `npm start` killed with SIGKILL while cases wait for deadlines that fall during the downtime.
// After a restart every due escalation happens exactly once, every case has its timer, and no email repeats.
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

const startStack = async (env: Record<string, string>, dataDir: string, policy: string) => (await startChildStack(env, dataDir, policy, children)).child;

describe('SIGKILL with deadlines falling during the downtime', () => {
  it('applies every due escalation exactly once after restart and leaves no case without its timer', async () => {
    // Prepare
    const env = await childPorts();
    const ports = { PORT: env['PORT'], SES_PORT: env['SES_PORT'] };
    const dataDir = mkdtempSync(join(tmpdir(), 'escalator-crash-'));
    const policy = policyFile({ budgets: uniformBudgets(3), closeBy: 'PT60S', warnAt: null });
    const api = `http://127.0.0.1:${ports.PORT}`;
    const token = () => childToken(api);
    const get = async (path: string, t: string) => (await fetch(`${api}${path}`, { headers: { authorization: `Bearer ${t}` } })).json() as Promise<any>;

    let first = await startStack(env, dataDir, policy);
    let t = await token();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${api}/cases`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
        body: JSON.stringify(newCaseBody({ customer: { id: `crash-${i}`, email: `crash${i}@example.org` } })),
      });
      expect(r.status).toBe(201);
      ids.push(((await r.json()) as { id: string }).id);
    }
    const createdAt = Date.now();
    // Let the acknowledgements go out (and be recorded as sent) before the crash.
    await eventually(async () => {
      for (const id of ids) {
        const events = (await get(`/cases/${id}/timeline`, t)).events as { type: string; data?: { template?: string } }[];
        if (!events.some((e) => e.type === 'email.sent' && e.data?.template === 'acknowledgement')) return false;
      }
      return true;
    }, 10_000);

    // Act: kill -9, stay down across two deadlines (3 s and 6 s), restart on the same data.
    await killHard(first);
    await new Promise((r) => setTimeout(r, Math.max(0, createdAt + 7_000 - Date.now())));
    const second = await startStack(env, dataDir, policy);
    t = await token();

    // Assess
    for (const id of ids) {
      await eventually(async () => {
        const r = await get(`/cases/${id}`, t);
        return ['L2', 'L3'].includes(r.level) ? r : undefined;
      }, 15_000);
      const events = ((await get(`/cases/${id}/timeline`, t)).events as { type: string; changes?: { level?: { after: string } } }[]);
      const climbs = events.filter((e) => e.type === 'escalated').map((e) => e.changes?.level?.after);
      expect(new Set(climbs).size).toBe(climbs.length); // no level reached twice
      expect(climbs.slice(0, 2)).toEqual(['L1', 'L2']);
      const wf = await get(`/cases/${id}/workflow`, t);
      expect(wf.timerPending).toBe(false);
      expect(wf.executions.find((e: { current: boolean }) => e.current).status).toBe('RUNNING');
      const acks = events.filter((e) => e.type === 'email.sent' && (e as { data?: { template?: string } }).data?.template === 'acknowledgement');
      expect(acks).toHaveLength(1);
    }
    // No acknowledgement was sent again by the restarted stack.
    const after = (await (await fetch(`http://127.0.0.1:${ports.SES_PORT}/store`)).json()) as { emails: { subject: string }[] };
    expect(after.emails.filter((e) => /received your request/i.test(e.subject))).toEqual([]);
    second.kill('SIGTERM');
    await new Promise((r) => second.once('exit', r));
    first = second;
  }, 90_000);
});
