import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, newCaseBody, startTestStack, type TestApi } from '../support/stack.ts';
import type { LocalStack } from '../../local/stack.ts';

let stack: LocalStack;
let api: TestApi;
beforeAll(async () => ({ stack, api } = await startTestStack()));
afterAll(() => stack?.stop());

describe('smoke', () => {
  it('creates a case, emails it, starts its timer', async () => {
    const r = await api.post('/cases', newCaseBody());
    expect(r.status).toBe(201);
    await eventually(async () => (await api.emails()).length >= 1);
    const wf = await eventually(async () => { const w = await api.get(`/cases/${r.body.id}/workflow`); return w.body.timerPending === false ? w : undefined; });
    const tl = await api.get(`/cases/${r.body.id}/timeline`);
    console.log(JSON.stringify(tl.body).slice(0, 1500), JSON.stringify(wf.body).slice(0,300));
  });
});
