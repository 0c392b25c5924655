// The reconciler: the backstop for every effect the stream consumer gave up on. With the consumer off, a committed case
// has no timer and its acknowledgement is unsent; the reconciler does both, once.
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { newCaseBody, startTestStack, TestApi } from '../support/stack.ts';

let stack: LocalStack;
let api: TestApi;

beforeAll(async () => {
  ({ stack, api } = await startTestStack({ consumeStream: false }));
});
afterAll(async () => {
  await stack?.stop();
});

describe('reconciler', () => {
  it('starts the missing timer and sends the owed email of a case whose effects were never done', async () => {
    // Prepare: a case committed 10 s ago whose stream records nobody consumed (imported after the stack set the SDK
    // endpoints).
    const { caseStore } = await import('../../functions/adapters/case-store.ts');
    const { needingAttention } = await import('../../functions/adapters/case-queries.ts');
    const { newCase, CreateCaseInput } = await import('../../functions/domain/operations.ts');
    const id = ulid();
    const input = CreateCaseInput.parse(newCaseBody({ customer: { id: 'orphan', email: 'orphan@example.org' } }));
    const c = newCase(id, input, { now: new Date(Date.now() - 10_000), actor: { kind: 'client', id: 'test' }, policy: stack.policy, newId: ulid });
    await caseStore.commit({ case: c, expectedVersion: null, events: c.newEvents, emails: c.owedEmails });
    const before = (await api.get(`/cases/${id}/workflow`)).body;
    expect(before.executions[0].status).toBe('NOT_STARTED');
    const pending = await needingAttention(100, new Date().toISOString());
    expect(pending.filter((p) => p.caseId === id).map((p) => p.kind).sort()).toEqual(['case', 'email']);

    // Act
    await stack.reconcile();

    // Assess
    const after = (await api.get(`/cases/${id}/workflow`)).body;
    expect(after.executions[0].status).toBe('RUNNING');
    expect(after.timerPending).toBe(false);
    const sent = (await api.emails()).filter((e) => e.destination.to.includes('orphan@example.org'));
    expect(sent).toHaveLength(1);
    expect((await needingAttention(100, new Date().toISOString())).filter((p) => p.caseId === id)).toEqual([]);

    // Running it again changes nothing and sends nothing.
    await stack.reconcile();
    expect((await api.emails()).filter((e) => e.destination.to.includes('orphan@example.org'))).toHaveLength(1);
    expect((await api.get(`/cases/${id}/workflow`)).body.executions).toHaveLength(1);
  });
});
