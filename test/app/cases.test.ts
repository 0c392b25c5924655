// The change use cases against in-memory ports: one transaction per change, optimistic retries, If-Match, and an
// Idempotency-Key that is written with the change so a retry can neither apply twice nor half.
import { describe, expect, it } from 'vitest';
import { caseUseCases, idsAfter, type Idempotency } from '../../functions/app/cases.ts';
import { IdempotencyKeyReuseError, NotFoundError, VersionConflictError } from '../../functions/domain/errors.ts';
import { comment, CreateCaseInput, escalate } from '../../functions/domain/operations.ts';
import { agent, T0, testPolicy } from '../support/domain-fixtures.ts';
import { FakeCaseStore } from '../support/fakes.ts';

const policy = testPolicy();
const input = CreateCaseInput.parse({ customer: { id: 'c-1', email: 'ana@example.org' }, subject: 'Broken', description: 'It broke.' });
const setup = () => {
  const store = new FakeCaseStore();
  return { store, cases: caseUseCases({ store, policy: () => policy, now: () => T0 }) };
};
const idem = (key: string, hash = 'h1'): Idempotency => ({ clientId: 'agent-1', key, hash, respond: (c) => ({ statusCode: 200, body: `v${c.version}` }) });
const CASE_ID = '01JD0000000000000000000000';

describe('createCase', () => {
  it('writes the case, its created event and the acknowledgement it owes in one commit', async () => {
    // Prepare
    const { store, cases } = setup();
    // Act
    const { case: c } = await cases.createCase(CASE_ID, input, agent);
    // Assess
    expect(store.commits).toBe(1);
    expect(store.events.get(CASE_ID)!.map((e) => e.type)).toEqual(['created']);
    expect([...store.emails.values()].map((e) => [e.template, e.state])).toEqual([['acknowledgement', 'OWED']]);
    expect((await store.get(CASE_ID))!.lastEventId).toBe(c!.newEvents[0]!.id);
  });

  it('replays an Idempotency-Key: the first response, no second case; another request with it is refused', async () => {
    // Prepare
    const { store, cases } = setup();
    const first = await cases.createCase(CASE_ID, input, agent, idem('k'));
    // Act
    const again = await cases.createCase('01JD0000000000000000000001', input, agent, idem('k'));
    // Assess
    expect(again.response).toEqual({ ...first.response, headers: { 'idempotent-replayed': 'true' } });
    expect(store.cases.size).toBe(1);
    await expect(cases.createCase('01JD0000000000000000000002', input, agent, idem('k', 'other'))).rejects.toBeInstanceOf(IdempotencyKeyReuseError);
  });
});

describe('changeCase', () => {
  it('re-applies a change that lost the race on the fresh case, so neither write is lost', async () => {
    // Prepare: a rival comment lands between this change's read and its commit, once
    const { store, cases } = setup();
    await cases.createCase(CASE_ID, input, agent);
    let rivalDone = false;
    store.beforeCommit = () => {
      if (rivalDone) return;
      rivalDone = true;
      const cur = store.cases.get(CASE_ID)!;
      const next = comment({ ...cur, newEvents: [], owedEmails: [] }, { body: 'rival', visibility: 'internal' }, { now: T0, actor: agent, policy, newId: idsAfter(cur.lastEventId) });
      store.cases.set(CASE_ID, { ...next, version: cur.version + 1, newEvents: [], owedEmails: [] });
      store.events.get(CASE_ID)!.push(...next.newEvents);
    };
    // Act
    const { after } = await cases.changeCase(CASE_ID, (c, ctx) => comment(c, { body: 'mine', visibility: 'internal' }, ctx), { actor: agent });
    // Assess
    expect(after.version).toBe(3);
    expect(store.events.get(CASE_ID)!.map((e) => e.summary ?? e.type)).toEqual([expect.stringContaining('Opened'), 'rival', 'mine']);
  });

  it('refuses a stale If-Match with 409 and writes nothing', async () => {
    // Prepare
    const { store, cases } = setup();
    await cases.createCase(CASE_ID, input, agent);
    // Act / Assess
    await expect(cases.changeCase(CASE_ID, (c, ctx) => comment(c, { body: 'x', visibility: 'internal' }, ctx), { actor: agent, ifMatch: 7 })).rejects.toBeInstanceOf(VersionConflictError);
    expect(store.commits).toBe(1);
  });

  it('answers an unknown case with NotFoundError', async () => {
    const { cases } = setup();
    await expect(cases.changeCase(CASE_ID, (c) => c, { actor: agent })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('writes the Idempotency-Key record in the change\'s own commit, and replays it without applying twice', async () => {
    // Prepare
    const { store, cases } = setup();
    await cases.createCase(CASE_ID, input, agent);
    const op = (c: Parameters<typeof escalate>[0], ctx: Parameters<typeof escalate>[2]) => escalate(c, { kind: 'hierarchical', summary: 'Senior agent.' }, ctx);
    // Act
    const first = await cases.changeCase(CASE_ID, op, { actor: agent, idempotency: idem('esc') });
    const replay = await cases.changeCase(CASE_ID, op, { actor: agent, idempotency: idem('esc') });
    // Assess
    expect(store.commits).toBe(2); // the create, and the escalation with its key record
    expect(first.response).toEqual({ statusCode: 200, body: 'v2' });
    expect(replay.response).toEqual({ statusCode: 200, body: 'v2', headers: { 'idempotent-replayed': 'true' } });
    expect(store.events.get(CASE_ID)!.filter((e) => e.type === 'escalated')).toHaveLength(1);
  });
});

describe('idsAfter', () => {
  it('mints ids that sort after the newest stored one, even from a clock that is behind', () => {
    const ahead = '7ZZZZZZZZZZZZZZZZZZZZZZZZY';
    const next = idsAfter(ahead);
    const [a, b] = [next(), next()];
    expect(a > ahead).toBe(true);
    expect(b > a).toBe(true);
  });
});
