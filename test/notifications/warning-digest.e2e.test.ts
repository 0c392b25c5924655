// Pre-breach warnings that fall together reach a manager as one digest, end to end: the stream consumer holds each
// warning (the policy has a digest span), the reconciler gathers them across cases once the span has closed and sends
// one email listing every case, soonest deadline first; each warning's record says it went out in that digest, and
// nothing is sent twice.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, type LocalStack } from '../../local/stack.ts';
import { eventually, newCaseBody, policyFile, startTestStack, TestApi } from '../support/stack.ts';
import { emailEvents, managers, timeline } from './email-support.ts';

let stack: LocalStack;
let api: TestApi;
const MANAGER = 'support-l0@example.com';

beforeAll(async () => {
  const demo = JSON.parse(readFileSync(join(ROOT, 'policies', 'demo.json'), 'utf8')) as { notifications: Record<string, unknown> };
  // Every level 40 s; the warning at 20 % (8 s), held for company for 3 s: well before any case escalates.
  const level = { L0: 'PT40S', L1: 'PT40S', L2: 'PT40S', L3: 'PT40S' };
  const policyPath = policyFile({
    budgets: { P1: level, P2: level, P3: level, P4: level },
    warnAt: 0.2,
    closeBy: 'PT10M',
    departments: { support: { managers: managers('support') } },
    routing: { defaultLevel: 'L0', defaultDepartment: 'support', categories: {}, rules: [] },
    notifications: { ...demo.notifications, warningDigest: 'PT3S' },
  });
  ({ stack, api } = await startTestStack({ policyPath }));
});
afterAll(async () => {
  await stack?.stop();
});

async function toManager(): Promise<{ subject: string; text: string }[]> {
  return (await api.emails()).filter((m) => m.destination.to.map((t) => t.toLowerCase()).includes(MANAGER)).map((m) => ({ subject: m.subject, text: m.body.text ?? '' }));
}

describe('warning digest', () => {
  it('sends the warnings that fall together as one email to the manager, once', async () => {
    // Prepare: three cases opened together, so their warnings fall due within the span
    const made: { id: string; reference: string }[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await api.post('/cases', newCaseBody({ customer: { id: `digest-${i}`, email: `digest-${i}@example.org`, name: `Customer ${i}` }, subject: `Digest case ${i}` }));
      expect(r.status).toBe(201);
      made.push({ id: r.body.id, reference: r.body.reference });
    }

    // Act: the warnings fall due; the stream consumer holds them; the reconciler sends the digest once the span closed
    await eventually(async () => {
      const all = await Promise.all(made.map((c) => timeline(api, c.id)));
      return all.every((ev) => ev.some((e) => e.type === 'sla.warning'));
    }, 30_000);
    const heldMeanwhile = await toManager();
    const digest = await eventually(async () => {
      await stack.reconcile();
      return (await toManager()).find((m) => /cases will escalate soon/.test(m.subject));
    }, 30_000, 500);
    await stack.reconcile(); // a second run finds nothing left to send

    // Assess: nothing went out while the warnings were held; then one email naming every case
    expect(heldMeanwhile).toEqual([]);
    const sent = await toManager();
    expect(sent).toHaveLength(1);
    expect(digest.subject).toMatch(/^\[P3 L0\] 3 cases will escalate soon; the first, ESC-\w+, in /);
    for (const c of made) expect(digest.text).toContain(c.reference);
    expect(digest.text).toMatch(/Then it:\s+escalates to L1/);
    for (const c of made) {
      const warning = emailEvents(await timeline(api, c.id)).find((e) => e.template === 'breach-warning');
      expect(warning).toMatchObject({ type: 'email.sent', to: MANAGER });
      expect(warning?.summary).toContain('sent in one digest of 3 warnings');
    }
  });
});
