// The DynamoDB store against DynamoDB Local: a change is all or nothing, the timeline pages in key order with each
// event's emails after it, and the attention index names the work that is left.
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseRecord } from '../../functions/domain/model.ts';
import type { LocalStack } from '../../local/stack.ts';
import { newCaseBody, startTestStack } from '../support/stack.ts';

let stack: LocalStack;
// The stream consumer is off: these tests look at the items exactly as the store wrote them.
beforeAll(async () => ({ stack } = await startTestStack({ consumeStream: false })));
afterAll(() => stack?.stop());

async function modules() {
  const { caseStore } = await import('../../functions/adapters/case-store.ts');
  const { emailStore } = await import('../../functions/adapters/email-store.ts');
  const { timelinePage, needingAttention } = await import('../../functions/adapters/case-queries.ts');
  const { newCase, comment, CreateCaseInput } = await import('../../functions/domain/operations.ts');
  const { idsAfter } = await import('../../functions/app/cases.ts');
  const ports = await import('../../functions/app/ports.ts');
  return { caseStore, emailStore, timelinePage, needingAttention, newCase, comment, CreateCaseInput, idsAfter, ports };
}

async function created(): Promise<CaseRecord> {
  const { caseStore, newCase, CreateCaseInput, idsAfter } = await modules();
  const c = newCase(ulid(), CreateCaseInput.parse(newCaseBody()), { now: new Date(), actor: { kind: 'client', id: 'test' }, policy: stack.policy, newId: idsAfter(undefined) });
  await caseStore.commit({ case: c, expectedVersion: null, events: c.newEvents, emails: c.owedEmails });
  return c;
}

describe('the DynamoDB case store', () => {
  it('writes a change whole or not at all: a stale version leaves no event behind', async () => {
    // Prepare
    const { caseStore, timelinePage, comment, ports, idsAfter: after } = await modules();
    const c = await created();
    const ctx = (last?: string) => ({ now: new Date(), actor: { kind: 'client' as const, id: 'test' }, policy: stack.policy, newId: after(last) });
    const stored = (await caseStore.get(c.id))!;
    const first = { ...comment(stored, { body: 'first', visibility: 'internal' }, ctx(stored.lastEventId)), version: 2 };
    const rival = { ...comment(stored, { body: 'rival', visibility: 'internal' }, ctx(stored.lastEventId)), version: 2 };

    // Act
    await caseStore.commit({ case: first, expectedVersion: 1, events: first.newEvents, emails: [] });
    const lost = caseStore.commit({ case: rival, expectedVersion: 1, events: rival.newEvents, emails: [] });

    // Assess
    await expect(lost).rejects.toBeInstanceOf(ports.StaleVersionError);
    const page = await timelinePage(c.id, 100);
    const bodies = page.entries.flatMap((e) => (e.kind === 'event' && e.event.type === 'commented' ? [e.event.summary ?? e.event.data?.['body']] : []));
    expect(bodies).toHaveLength(1);
    expect((await caseStore.get(c.id))!.version).toBe(2);
  });

  it('refuses a second case with the same id and a second record for one Idempotency-Key', async () => {
    // Prepare
    const { caseStore, ports } = await modules();
    const c = await created();
    const record = { clientId: 'test', key: `k-${ulid()}`, requestHash: 'h', response: { statusCode: 201, body: '{}' } };

    // Act / Assess
    await expect(caseStore.commit({ case: c, expectedVersion: null, events: [], emails: [] })).rejects.toBeInstanceOf(ports.CaseExistsError);
    await caseStore.putIdempotency(record);
    await expect(caseStore.putIdempotency(record)).rejects.toBeInstanceOf(ports.IdempotencyRecordExistsError);
    expect(await caseStore.getIdempotency('test', record.key)).toEqual(record);
  });

  it('pages the timeline in key order, each event followed by the emails it owes, and lists the work left', async () => {
    // Prepare: a case with its acknowledgement owed (nobody consumes the stream here)
    const { emailStore, timelinePage, needingAttention } = await modules();
    const c = await created();

    // Act
    const first = await timelinePage(c.id, 1);
    const second = await timelinePage(c.id, 1, first.nextCursor!);
    const attention = (await needingAttention(1000, new Date(Date.now() + 1000).toISOString())).filter((a) => a.caseId === c.id);

    // Assess
    expect(first.entries.map((e) => e.kind)).toEqual(['event']);
    expect(second.entries).toMatchObject([{ kind: 'email', email: { template: 'acknowledgement', state: 'OWED', caseId: c.id } }]);
    expect(attention.map((a) => a.kind).sort()).toEqual(['case', 'email']);
    const email = attention.find((a) => a.kind === 'email')!;
    expect(email.emailKey).toBe(c.owedEmails[0]!.key);
    expect(await emailStore.getEmail(c.id, email.emailKey!)).toMatchObject({ state: 'OWED', to: c.customer.email });
  });
});
