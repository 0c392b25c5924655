// A case that lives long: 2,000 comments of 1 KB on one case are all accepted, the whole timeline reads back in order
// through its cursor, and the capacity a comment consumes (ReturnConsumedCapacity) does not grow with the history: its
// write is the case's state and one event, never the history.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { newCaseBody, startTestStack, TestApi } from '../support/stack.ts';

let stack: LocalStack;
let api: TestApi;
beforeAll(async () => {
  ({ stack } = await startTestStack());
  api = new TestApi(stack, false); // internal notes owe no effects: nothing to wait for between comments
});
afterAll(() => stack?.stop());

const COMMENTS = 2_000;

describe('a case with a long history', () => {
  it('takes 2,000 comments of 1 KB, pages them back in order, and writes the same per comment at the end as at the start', async () => {
    // Prepare: the write capacity of every TransactWriteItems the handlers make (same process: the stack's own client)
    const { ddb } = await import('../../functions/commons/clients/dynamodb.ts');
    const consumed: number[] = [];
    ddb().middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as Record<string, unknown>;
        if (context.commandName === 'TransactWriteItemsCommand') input['ReturnConsumedCapacity'] = 'TOTAL';
        const out = await next(args);
        const cap = (out.output as { ConsumedCapacity?: { CapacityUnits?: number }[] }).ConsumedCapacity;
        if (cap) consumed.push(cap.reduce((n, c) => n + (c.CapacityUnits ?? 0), 0));
        return out;
      },
      { step: 'initialize', name: 'testConsumedCapacity' },
    );
    const id: string = (await api.post('/cases', newCaseBody())).body.id;
    const body = (i: number) => `#${String(i).padStart(4, '0')} ${'log line '.repeat(113).slice(0, 1_018)}`;

    // Act
    const refused: number[] = [];
    consumed.length = 0;
    for (let i = 1; i <= COMMENTS; i++) {
      const r = await api.post(`/cases/${id}/comments`, { body: body(i), visibility: 'internal' });
      if (r.status !== 200) refused.push(r.status);
    }

    // Assess: none refused…
    expect(refused).toEqual([]);
    // …and each comment wrote the same at the 2,000th as at the 10th (case state + one event, never the history). The
    // first few may differ: while the case's timer start is being confirmed, the case also sits in the sparse index.
    expect(consumed).toHaveLength(COMMENTS);
    const steady = consumed.slice(9);
    const changes = steady.flatMap((n, i) => (i > 0 && n !== steady[i - 1] ? [`comment ${i + 10}: ${steady[i - 1]}→${n}`] : []));
    expect(changes, 'capacity per comment changed').toEqual([]);
    expect(consumed[COMMENTS - 1]).toBe(consumed[9]);
    // …and the whole timeline reads back through the cursor, oldest first, each page one query.
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor ? `?limit=500&cursor=${encodeURIComponent(cursor)}` : '?limit=500';
      const page = await api.get(`/cases/${id}/timeline${q}`);
      expect(page.status).toBe(200);
      seen.push(...(page.body.events as { type: string; summary?: string; data?: { body?: string } }[]).filter((e) => e.type === 'commented').map((e) => (e.data?.body ?? e.summary ?? '').slice(0, 5)));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: COMMENTS }, (_, i) => `#${String(i + 1).padStart(4, '0')}`));
    expect(pages).toBeGreaterThanOrEqual(Math.ceil((COMMENTS + 2) / 500));
    const c = await api.get(`/cases/${id}`);
    expect(c.body.version).toBe(COMMENTS + 1);
    expect(c.text.length).toBeLessThan(5_000); // the case is its state, whatever its history
  }, 300_000);
});
