// The repository against the local DynamoDB: reads of many cases cross BatchGetItem's 100-key limit.
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { newCaseBody, startTestStack } from '../support/stack.ts';

let stack: LocalStack;
beforeAll(async () => {
  ({ stack } = await startTestStack());
});
afterAll(async () => {
  await stack?.stop();
});

describe('caseRepository.getMany', () => {
  it('returns every existing case of more than one batch and skips unknown ids', async () => {
    // Prepare: 130 cases written straight to the table (imported after the stack set the SDK endpoints)
    const { caseRepository } = await import('../../functions/adapters/case-repository.ts');
    const { newCase, CreateCaseInput } = await import('../../functions/domain/operations.ts');
    const input = CreateCaseInput.parse(newCaseBody());
    const ctx = { now: new Date(), actor: { kind: 'client' as const, id: 'test' }, policy: stack.policy, newId: ulid };
    const ids = Array.from({ length: 130 }, () => ulid());
    for (const id of ids) await caseRepository.create(newCase(id, input, ctx));

    // Act
    const got = await caseRepository.getMany([...ids, ulid()]);

    // Assess
    expect(got.map((c) => c.id).sort()).toEqual([...ids].sort());
    expect(got.every((c) => c.timeline.length === 1 && c.timeline[0]!.type === 'created')).toBe(true);
  });
});
