// The reconciler: a crash between the case write and the timer start (or the first email) loses nothing.
import { ulid } from 'ulid';
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

describe('reconciler', () => {
  it('starts the missing timer and sends the owed email of a case whose writer died right after the write', async () => {
    // Prepare: exactly what a Lambda that died after its conditional write leaves behind (imported after the stack
    // set the SDK endpoints).
    const { caseRepository } = await import('../../functions/adapters/case-repository.ts');
    const { newCase, CreateCaseInput } = await import('../../functions/domain/operations.ts');
    const id = ulid();
    const input = CreateCaseInput.parse(newCaseBody({ customer: { id: 'orphan', email: 'orphan@example.org' } }));
    const record = newCase(id, input, { now: new Date(Date.now() - 10_000), actor: { kind: 'client', id: 'test' }, policy: stack.policy, newId: ulid });
    await caseRepository.create(record);
    const before = (await api.get(`/cases/${id}/workflow`)).body;
    expect(before.executions[0].status).toBe('NOT_STARTED');
    expect(await caseRepository.needingAttention()).toContain(id);

    // Act
    await stack.reconcile();

    // Assess
    const after = (await api.get(`/cases/${id}/workflow`)).body;
    expect(after.executions[0].status).toBe('RUNNING');
    expect(after.timerPending).toBe(false);
    const emails = await eventually(async () => {
      const sent = (await api.emails()).filter((e) => e.destination.to.includes('orphan@example.org'));
      return sent.length ? sent : undefined;
    });
    expect(emails).toHaveLength(1);
    expect(await caseRepository.needingAttention()).not.toContain(id);

    // Running it again changes nothing and sends nothing.
    await stack.reconcile();
    expect((await api.emails()).filter((e) => e.destination.to.includes('orphan@example.org'))).toHaveLength(1);
    expect((await api.get(`/cases/${id}/workflow`)).body.executions).toHaveLength(1);
  });
});
