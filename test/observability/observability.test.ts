// Every kind of function is observable the same way: a log line carrying the Lambda context and the case it works
// on, EMF business metrics in one namespace, and X-Ray subsegments for the invocation and each AWS SDK call. The
// local stack runs the deployed handler modules in this process, so their stdout and their UDP datagrams to an
// X-Ray daemon address are read here (test/support/logs.ts captures the structured lines).
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context } from 'aws-lambda';
import type { LocalStack } from '../../local/stack.ts';
import type { Subsegment } from '../../functions/commons/tracing.ts';
import { emittedMetrics, structuredLines } from '../support/logs.ts';
import { eventually, newCaseBody, policyFile, startTestStack, TestApi, uniformBudgets } from '../support/stack.ts';
import { createTransport } from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';

const TRACE_ROOT = '1-67891233-abcdef012345678912345678';
const LAMBDA_SEGMENT = '53995c3f42cd8ad8';

let stack: LocalStack;
let api: TestApi;
let daemon: Socket;
const received: Subsegment[] = [];

beforeAll(async () => {
  // A stand-in X-Ray daemon: the functions send what the real one receives on Lambda.
  daemon = createSocket('udp4');
  daemon.on('message', (m) => {
    const [header, body] = m.toString('utf8').split('\n');
    if (header === '{"format":"json","version":1}' && body) received.push(JSON.parse(body) as Subsegment);
  });
  await new Promise<void>((r) => daemon.bind(0, '127.0.0.1', r));
  Object.assign(process.env, {
    AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.address().port}`,
    // Lambda sets this per invocation; here every invocation belongs to the one sampled trace.
    _X_AMZN_TRACE_ID: `Root=${TRACE_ROOT};Parent=${LAMBDA_SEGMENT};Sampled=1`,
    LOG_LEVEL: 'INFO',
  });
  ({ stack, api } = await startTestStack({
    metrics: true,
    policyPath: policyFile({ budgets: uniformBudgets(2), warnAt: null }),
  }));
});
afterAll(async () => {
  await stack?.stop();
  daemon?.close();
  for (const k of ['AWS_XRAY_DAEMON_ADDRESS', '_X_AMZN_TRACE_ID', 'LOG_LEVEL']) delete process.env[k];
});

type Line = Record<string, unknown>;
const linesOf = (functionName: string, caseId?: string): Line[] =>
  structuredLines().filter((l) => l['function_name'] === functionName && (caseId === undefined || l['caseId'] === caseId));

function expectLambdaContext(line: Line | undefined): void {
  expect(line).toBeDefined();
  expect(line).toMatchObject({ service: 'escalator', cold_start: expect.any(Boolean) });
  expect(String(line!['function_request_id'])).toMatch(/^[0-9a-f-]{32,36}$/);
  expect(String(line!['function_arn'])).toContain(':function:');
}

/** A Lambda context as the runtime hands it over (the handlers called directly below get one). */
function context(functionName: string): Context {
  return {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: 'a'.repeat(32),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'test',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 10_000,
  } as Context;
}

describe('logs', () => {
  it('an API function, the stream consumer and the workflow task each log with the Lambda context and the case id', async () => {
    // Prepare + Act: a case whose first level's 2 s budget runs out, so the workflow task escalates it
    const c = (await api.post('/cases', newCaseBody())).body;
    await eventually(async () => (await api.get(`/cases/${c.id}`)).body.level === 'L1', 10_000);

    // Assess
    const http = linesOf('createCase', c.id).find((l) => l['message'] === 'request answered');
    expectLambdaContext(http);
    expect(http).toMatchObject({ status: 201, route: 'POST /cases' });

    const stream = await eventually(async () => linesOf('effects', c.id).find((l) => l['message'] === 'email settled'));
    expectLambdaContext(stream);
    expect(stream).toMatchObject({ template: expect.any(String), state: 'SENT' });

    const task = await eventually(async () => linesOf('evaluate', c.id).find((l) => l['message'] === 'timer evaluated' && l['caseLevel'] === 'L1'));
    expectLambdaContext(task);
  });

  it('the bounce handler logs against the case the bounced email was about; the sign-in trigger with its context', async () => {
    // Prepare
    const { handler: bounces } = await import('../../functions/notifications/bounces.ts');
    const { handler: preToken } = await import('../../functions/auth/pre-token.ts');
    const message = {
      eventType: 'Bounce',
      bounce: { bounceType: 'Permanent', bounceSubType: 'General', bouncedRecipients: [{ emailAddress: 'gone@example.org' }] },
      mail: { tags: { case: ['01JCASEBOUNCED0000000000000'], template: ['acknowledgement'] } },
    };
    // Act
    await bounces({ Records: [{ Sns: { Message: JSON.stringify(message), MessageId: 'm-1' } }] } as never, context('bounces'));
    await preToken(
      { userName: 'ops', request: { groupConfiguration: { groupsToOverride: ['escalator-agents'] }, scopes: ['cases/read', 'cases/manage'] }, response: {} } as never,
      context('preToken'),
    );
    // Assess
    const bounce = linesOf('bounces', '01JCASEBOUNCED0000000000000').find((l) => l['message'] === 'address suppressed');
    expectLambdaContext(bounce);
    // A sign-in concerns no case: its line carries the Lambda context and the user.
    const signIn = linesOf('preToken').find((l) => l['message'] === 'token scopes');
    expectLambdaContext(signIn);
    expect(signIn).toMatchObject({ userName: 'ops', suppressed: ['cases/manage'] });
    expect(signIn?.['caseId']).toBeUndefined();
  });
});

describe('inbound', () => {
  it('the inbound function logs the reply it landed with the Lambda context and the case id', async () => {
    // Prepare: a case, and the reply address its acknowledgement carries
    const customer = 'reply.observed@example.org';
    const c = (await api.post('/cases', newCaseBody({ customer: { id: 'reply-observed', email: customer, name: 'Ana Lima' } }))).body;
    const ack = await eventually(async () => (await api.emails()).find((m) => m.destination.to.includes(customer)));
    const replyTo = (ack as unknown as { replyTo: string[] }).replyTo[0]!;
    const raw = await new MailComposer({ from: customer, to: replyTo, subject: `Re: [Case ${c.reference}]`, text: 'Still broken, sorry.', messageId: '<observed-1@example.org>' }).compile().build();
    // Act: a mail server delivers the customer's reply to the local SMTP server
    const transport = createTransport({ host: '127.0.0.1', port: stack.ports.smtp, secure: false, ignoreTLS: true });
    try {
      await transport.sendMail({ envelope: { from: customer, to: [replyTo] }, raw });
    } finally {
      transport.close();
    }
    // Assess
    const line = await eventually(async () => linesOf('receive', c.id).find((l) => l['message'] === 'inbound message'));
    expectLambdaContext(line);
    expect(line).toMatchObject({ outcome: 'landed', action: 'comment', messageId: '<observed-1@example.org>' });
  });
});

describe('metrics', () => {
  it('an escalation emits EMF in the one namespace: the case created, the emails sent, the escalation by kind and level', async () => {
    // Act
    const c = (await api.post('/cases', newCaseBody())).body;
    await eventually(async () => (await api.get(`/cases/${c.id}`)).body.level === 'L1', 10_000);
    // Assess
    const forCase = await eventually(async () => {
      const m = emittedMetrics().filter((x) => x.values['caseId'] === c.id);
      return m.some((x) => x.metrics.some((y) => y.Name === 'Escalations')) ? m : undefined;
    });
    const { METRICS_NAMESPACE } = await import('../../functions/commons/observability.ts');
    expect(new Set(forCase.map((m) => m.namespace))).toEqual(new Set([METRICS_NAMESPACE]));
    const escalation = forCase.find((m) => m.metrics.some((y) => y.Name === 'Escalations'))!;
    expect(escalation.dimensions).toEqual([['service', 'kind', 'level']]);
    expect(escalation.values).toMatchObject({ Escalations: 1, kind: 'hierarchical', level: 'L1', service: 'escalator' });
    const names = forCase.flatMap((m) => m.metrics.map((y) => y.Name));
    expect(names).toContain('CasesCreated');
    expect(names).toContain('EmailsSent');
    const created = forCase.find((m) => m.metrics.some((y) => y.Name === 'CasesCreated'))!;
    expect(created.values['CasesCreated']).toBe(1);
    expect(created.metrics.find((y) => y.Name === 'CasesCreated')?.Unit).toBe('Count');
  });
});

describe('tracing', () => {
  it('every invocation is a subsegment of Lambda\'s segment, and its DynamoDB, Step Functions and SES calls are aws subsegments under it', async () => {
    // Act
    const c = (await api.post('/cases', newCaseBody())).body;
    await eventually(async () => (await api.get(`/cases/${c.id}`)).body.level === 'L1', 10_000);
    // Assess
    // Each invocation's subsegment is sent when it ends: wait until every SDK call's parent has arrived.
    const services = await eventually(async () => {
      const calls = received.filter((s) => s.namespace === 'aws');
      const ids = new Set(received.map((s) => s.id));
      const names = new Set(calls.map((s) => s.name));
      return ['DynamoDB', 'SFN', 'SES'].every((n) => names.has(n)) && calls.every((s) => ids.has(s.parent_id)) ? names : undefined;
    });
    expect(services).toEqual(new Set(['DynamoDB', 'SFN', 'SES']));
    const invocations = new Map(received.filter((s) => s.name.startsWith('## ')).map((s) => [s.id, s]));
    const kinds = new Set([...invocations.values()].map((s) => s.name));
    for (const kind of ['## http', '## stream-effects', '## evaluate']) expect(kinds).toContain(kind);
    for (const inv of invocations.values()) {
      expect(inv).toMatchObject({ trace_id: TRACE_ROOT, parent_id: LAMBDA_SEGMENT, type: 'subsegment' });
      expect(inv.end_time).toBeGreaterThanOrEqual(inv.start_time);
    }
    for (const call of received.filter((s) => s.namespace === 'aws')) {
      expect(invocations.has(call.parent_id)).toBe(true);
      expect(call.trace_id).toBe(TRACE_ROOT);
      expect(call.aws?.['operation']).toMatch(/^[A-Z][A-Za-z]+$/);
    }
    const put = received.find((s) => s.name === 'DynamoDB' && s.aws?.['operation'] === 'TransactWriteItems');
    expect(put?.http?.response.status).toBe(200);
    expect(received.find((s) => s.name === 'SFN')?.aws?.['operation']).toBe('StartExecution');
    expect(received.find((s) => s.name === 'SES')?.aws?.['operation']).toBe('SendRawEmail');
    // A call that failed is marked: the stream consumer's conditional claim of an already-claimed email, if any, is an error (4xx), never a fault.
    for (const failed of received.filter((s) => s.namespace === 'aws' && (s.error || s.fault))) {
      expect(failed.cause?.exceptions[0]?.type).toBeTruthy();
    }
  });
});
