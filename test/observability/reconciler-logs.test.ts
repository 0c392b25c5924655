// The reconciler is observable like every other function: its log line for a case it repaired carries the Lambda
// context and the case id. A stack of its own (its own process: the local stack's environment is per process) that
// does not consume the stream, so the timer start is left to the reconciler.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { structuredLines } from '../support/logs.ts';
import { eventually, newCaseBody, policyFile, startTestStack, TestApi, uniformBudgets } from '../support/stack.ts';

let stack: LocalStack;
let api: TestApi;

beforeAll(async () => {
  process.env['LOG_LEVEL'] = 'INFO';
  ({ stack, api } = await startTestStack({ consumeStream: false, metrics: true, policyPath: policyFile({ budgets: uniformBudgets(60), warnAt: null }) }));
});
afterAll(async () => {
  await stack?.stop();
  delete process.env['LOG_LEVEL'];
});

it('logs the case it started a timer for, with the Lambda context, and reports its lag', async () => {
  // Prepare
  const c = (await api.post('/cases', newCaseBody())).body;
  // Act: run the reconciler until the case is past the stream consumer's grace period and handled
  const line = await eventually(async () => {
    await stack.reconcile();
    return structuredLines().find((l) => l['function_name'] === 'reconciler' && l['caseId'] === c.id && l['message'] === 'timer started by the reconciler');
  }, 20_000, 500);
  // Assess
  expect(line).toMatchObject({ service: 'escalator', timerVersion: 1, function_arn: expect.stringContaining(':function:reconciler') });
  expect(String(line!['function_request_id'])).toMatch(/^[0-9a-f-]{32,36}$/);
  // The run that found the case waiting reported how long it had waited (the lag alarm's metric), in seconds.
  const lag = structuredLines().filter((l) => typeof l['ReconcilerLagSeconds'] === 'number').map((l) => l['ReconcilerLagSeconds'] as number);
  expect(Math.max(...lag)).toBeGreaterThanOrEqual(5);
  expect(structuredLines().some((l) => l['TimersStartedByReconciler'] === 1)).toBe(true);
});
