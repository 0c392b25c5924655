// CDK: what the stack declares, resource by resource (fine-grained assertions, no snapshots).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Runtime, RuntimeFamily } from 'aws-cdk-lib/aws-lambda';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { CASE_INDEXES, projectionFor, TABLE_KEYS, type CaseIndexName } from '../../functions/adapters/case-table-schema.ts';
import { ROUTE_TABLE } from '../../functions/http/route-table.ts';
import { ROUTES } from '../../functions/routes.ts';
import { HANDLER_METADATA_KEY, NODE_RUNTIME } from '../../lib/escalator-function.ts';
import { STATE_NAMES } from '../../lib/escalation-workflow.ts';
import { DEFAULT_THROTTLE, routeKey } from '../../lib/http-api.ts';
import { REPO_ROOT } from '../../lib/paths.ts';
import { defaultSynth, type Synthesized } from './synth.ts';

let s: Synthesized;
beforeAll(() => {
  s = defaultSynth();
});

const resourcesOf = (type: string) => Object.entries(s.json.Resources).filter(([, r]) => r.Type === type);

describe('cases table', () => {
  it('has the keys, billing, PITR, TTL and deletion protection of a stateful table', () => {
    s.template.resourceCountIs('AWS::DynamoDB::Table', 1);
    s.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        KeySchema: [
          { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      }),
    });
    expect(Object.keys(s.json.Resources)).toContain('CasesTable'); // pinned logical id
  });

  it('declares exactly the indexes of the schema, with their projections', () => {
    const [, table] = resourcesOf('AWS::DynamoDB::Table')[0]!;
    const gsis = table.Properties!['GlobalSecondaryIndexes'] as { IndexName: string; KeySchema: unknown; Projection: unknown }[];
    expect(gsis.map((g) => g.IndexName).sort()).toEqual(Object.keys(CASE_INDEXES).sort());
    for (const g of gsis) {
      const name = g.IndexName as CaseIndexName;
      expect(g.KeySchema).toEqual([
        { AttributeName: CASE_INDEXES[name].partitionKey, KeyType: 'HASH' },
        { AttributeName: CASE_INDEXES[name].sortKey, KeyType: 'RANGE' },
      ]);
      const p = projectionFor(name);
      expect(g.Projection).toEqual({ ProjectionType: p });
    }
  });
});

describe('functions', () => {
  const newestNode = () =>
    Runtime.ALL.filter((r) => r.family === RuntimeFamily.NODEJS && /^nodejs\d+\.x$/.test(r.name))
      .map((r) => r.name)
      .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }))
      .at(-1);

  // CDK's BucketDeployment provider (it copies the console's build during a deploy) is CDK's function, not ours.
  const ours = () => resourcesOf('AWS::Lambda::Function').filter(([id]) => !id.startsWith('CustomCDKBucketDeployment'));

  it('one per route plus evaluate, reconciler, bounces, the stream consumer, inbound mail and the pre-token trigger; all arm64 on the newest Node runtime, traced, with own log groups', () => {
    s.template.resourceCountIs('AWS::Lambda::Function', ROUTES.length + 6 + 1);
    expect(ours()).toHaveLength(ROUTES.length + 6);
    expect(NODE_RUNTIME.name).toBe(newestNode());
    for (const [id, fn] of ours()) {
      expect(fn.Properties, id).toMatchObject({
        Architectures: ['arm64'],
        Runtime: NODE_RUNTIME.name,
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
        Environment: { Variables: expect.objectContaining({ NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: 'escalator' }) },
      });
      const logGroupId = ((fn.Properties!['LoggingConfig'] as { LogGroup: { Ref: string } }).LogGroup.Ref);
      expect(s.json.Resources[logGroupId]?.Properties?.['RetentionInDays'], id).toBe(30);
      expect(fn.Properties!['MemorySize'], id).toEqual(expect.any(Number));
      expect(fn.Properties!['Timeout'], id).toEqual(expect.any(Number));
    }
  });

  it('gives every route function time for a write\'s retries and its email, within the HTTP API\'s 30 s', () => {
    for (const route of ROUTES) {
      const fn = s.stack.api.functions[route.operationId]!;
      const timeout = (s.json.Resources[s.logicalId(fn)]!.Properties as { Timeout: number }).Timeout;
      expect(timeout, route.operationId).toBeGreaterThanOrEqual(8 + 10);
      expect(timeout, route.operationId).toBeLessThan(30);
    }
  });

  it('records its handler module as metadata (the local stack maps Lambdas by it), and the module exists', () => {
    const handlers = ours().map(([id, fn]) => {
      const h = fn.Metadata?.[HANDLER_METADATA_KEY] as { file: string; export: string } | undefined;
      expect(h, id).toEqual({ file: expect.any(String), export: expect.any(String) });
      expect(existsSync(join(REPO_ROOT, h!.file)), h!.file).toBe(true);
      expect(fn.Properties!['Handler'], id).toBe(`index.${h!.export}`);
      return `${h!.file}#${h!.export}`;
    });
    expect(handlers).toEqual(expect.arrayContaining([
      ...ROUTE_TABLE.map(({ entry }) => `${entry.file}#${entry.export}`),
      'functions/workflow/evaluate.ts#handler',
      'functions/workflow/reconciler.ts#handler',
      'functions/notifications/bounces.ts#handler',
      'functions/stream/effects.ts#handler',
    ]));
  });

  it('names each route function by its operationId and gives it the API environment', () => {
    for (const { route, entry } of ROUTE_TABLE) {
      const fn = s.stack.api.functions[route.operationId];
      expect(fn?.node.id).toBe(route.operationId);
      const res = s.json.Resources[s.logicalId(fn!)]!;
      expect(res.Metadata?.[HANDLER_METADATA_KEY]).toEqual(entry);
      expect(Object.keys((res.Properties!['Environment'] as { Variables: object }).Variables)).toEqual(
        expect.arrayContaining(['TABLE_NAME', 'STATE_MACHINE_ARN', 'LINK_SIGNING_SECRET_ARN', 'POWERTOOLS_SERVICE_NAME']),
      );
    }
    // Every route declares its needs on its entry (the type requires it): a read route writes nothing.
    for (const route of ROUTES.filter((r) => r.method === 'GET' && r.operationId !== 'answerSurveyLink')) expect(route.needs.table ?? 'read').toBe('read');
  });

  it('keeps asynchronously invoked functions\' failures in the dead-letter queue', () => {
    const dlq = { 'Fn::GetAtt': [s.logicalId(s.stack.ops.deadLetterQueue), 'Arn'] };
    for (const fn of [s.stack.reconciler.function, s.stack.notifications.bounceFunction]) {
      expect(s.json.Resources[s.logicalId(fn)]!.Properties!['DeadLetterConfig']).toEqual({ TargetArn: dlq });
    }
  });
});

describe('escalation workflow', () => {
  const definition = () => {
    const [, sm] = resourcesOf('AWS::StepFunctions::StateMachine')[0]!;
    const join = sm.Properties!['DefinitionString'] as { 'Fn::Join': [string, unknown[]] };
    const text = join['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : `\${${JSON.stringify(p).replace(/"/g, "'")}}`)).join('');
    return JSON.parse(text) as { StartAt: string; States: Record<string, Record<string, unknown>>; QueryLanguage?: string };
  };

  it('is a STANDARD state machine with ALL logging, tracing and no custom name', () => {
    s.template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    s.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true, Destinations: [Match.anyValue()] },
      TracingConfiguration: { Enabled: true },
      StateMachineName: Match.absent(),
    });
    expect(Object.keys(s.json.Resources)).toContain('EscalationStateMachine'); // pinned logical id
  });

  it('runs Evaluate → Done? → WaitForNextDeadline(TimestampPath $.wakeAt) → Evaluate, in JSONPath', () => {
    const d = definition();
    const evaluateArn = `\${{'Fn::GetAtt':['${s.logicalId(s.stack.workflow.evaluateFunction)}','Arn']}}`;
    expect(d.QueryLanguage).toBeUndefined();
    expect(JSON.stringify(d)).not.toMatch(/"Assign"|JSONata|"Arguments"/);
    expect(d.StartAt).toBe(STATE_NAMES.wait);
    expect(Object.keys(d.States).sort()).toEqual(Object.values(STATE_NAMES).sort());
    expect(d.States[STATE_NAMES.evaluate]).toEqual({
      Type: 'Task',
      Comment: expect.any(String),
      Resource: evaluateArn,
      Next: STATE_NAMES.done,
      Retry: [
        {
          ErrorEquals: ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'],
          IntervalSeconds: 2,
          MaxAttempts: 6,
          BackoffRate: 2,
        },
        { ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 5, MaxAttempts: 5, BackoffRate: 2 },
      ],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: STATE_NAMES.failed }],
    });
    expect(d.States[STATE_NAMES.done]).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.done', BooleanEquals: true, Next: STATE_NAMES.finished }],
      Default: STATE_NAMES.wait,
    });
    expect(d.States[STATE_NAMES.wait]).toMatchObject({ Type: 'Wait', TimestampPath: '$.wakeAt', Next: STATE_NAMES.evaluate });
    expect(d.States[STATE_NAMES.finished]).toEqual({ Type: 'Succeed' });
    expect(d.States[STATE_NAMES.failed]).toMatchObject({ Type: 'Fail', Error: 'TimerFailed', Cause: expect.stringMatching(/reconciler/) });
  });

  it('alarms on failed executions and evaluate errors to the alarm topic', () => {
    const topic = { Ref: s.logicalId(s.stack.ops.alarmTopic) };
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/States',
      MetricName: 'ExecutionsFailed',
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: 'EscalationStateMachine' } }],
      AlarmActions: [topic],
    });
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: s.logicalId(s.stack.workflow.evaluateFunction) } }],
      AlarmActions: [topic],
    });
  });
});

describe('HTTP API', () => {
  const routeResource = (key: string) => resourcesOf('AWS::ApiGatewayV2::Route').find(([, r]) => r.Properties!['RouteKey'] === key);

  it('has one route per route-table entry, each to its own function', () => {
    s.template.resourceCountIs('AWS::ApiGatewayV2::Route', ROUTES.length);
    for (const route of ROUTES) {
      const found = routeResource(routeKey(route));
      expect(found, routeKey(route)).toBeDefined();
      const integrationId = ((found![1].Properties!['Target'] as { 'Fn::Join': [string, [string, { Ref: string }]] })['Fn::Join'][1][1]).Ref;
      const fnId = s.logicalId(s.stack.api.functions[route.operationId]!);
      expect(s.json.Resources[integrationId]!.Properties).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0', IntegrationUri: { 'Fn::GetAtt': [fnId, 'Arn'] } });
    }
  });

  it('puts the Cognito JWT authorizer with the route\'s scope on every scoped route, and nothing on public ones', () => {
    const authorizerId = resourcesOf('AWS::ApiGatewayV2::Authorizer')[0]![0];
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Issuer: { 'Fn::Join': ['', ['https://cognito-idp.', { Ref: 'AWS::Region' }, '.amazonaws.com/', { Ref: 'EscalatorUserPool' }]] },
        Audience: [{ Ref: s.logicalId(s.stack.auth.integrationClient) }, { Ref: s.logicalId(s.stack.auth.managerClient) }, { Ref: s.logicalId(s.stack.auth.consoleClient) }],
      },
    });
    for (const route of ROUTES) {
      const props = routeResource(routeKey(route))![1].Properties!;
      if (route.scope) {
        expect(props, routeKey(route)).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: { Ref: authorizerId }, AuthorizationScopes: [route.scope] });
      } else {
        expect(props['AuthorizerId'], routeKey(route)).toBeUndefined();
        expect(props['AuthorizationScopes'], routeKey(route)).toBeUndefined();
        expect(props['AuthorizationType'] ?? 'NONE', routeKey(route)).toBe('NONE');
      }
    }
    const publicRoutes = ROUTES.filter((r) => !r.scope).map((r) => r.path);
    expect(publicRoutes).toEqual(expect.arrayContaining(['/feedback/{token}', '/openapi.json']));
  });

  it('throttles the stage and the public routes, and writes JSON access logs', () => {
    const [, stage] = resourcesOf('AWS::ApiGatewayV2::Stage')[0]!;
    expect(stage.Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: DEFAULT_THROTTLE.rateLimit, ThrottlingBurstLimit: DEFAULT_THROTTLE.burstLimit },
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [s.logicalId(s.stack.api.accessLogs), 'Arn'] }, Format: expect.any(String) },
    });
    const format = JSON.parse((stage.Properties!['AccessLogSettings'] as { Format: string }).Format) as Record<string, string>;
    expect(format).toMatchObject({ requestId: '$context.requestId', routeKey: '$context.routeKey', status: '$context.status' });
    expect(Object.values(format)).not.toContain('$context.path'); // survey tokens travel in the path
    const settings = stage.Properties!['RouteSettings'] as Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }>;
    for (const route of ROUTES.filter((r) => !r.scope)) {
      expect(settings[routeKey(route)], routeKey(route)).toEqual({ ThrottlingRateLimit: expect.any(Number), ThrottlingBurstLimit: expect.any(Number) });
      expect(settings[routeKey(route)]!.ThrottlingRateLimit).toBeLessThan(DEFAULT_THROTTLE.rateLimit);
    }
    for (const key of Object.keys(settings)) expect(routeResource(key), key).toBeDefined();
  });
});

describe('auth', () => {
  it('is a user pool without self sign-up, with the cases resource server and its three scopes', () => {
    s.template.hasResourceProperties('AWS::Cognito::UserPool', { AdminCreateUserConfig: { AllowAdminCreateUserOnly: true } });
    s.template.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
      Identifier: 'cases',
      Scopes: [
        { ScopeName: 'read', ScopeDescription: Match.anyValue() },
        { ScopeName: 'write', ScopeDescription: Match.anyValue() },
        { ScopeName: 'manage', ScopeDescription: Match.anyValue() },
      ],
    });
    s.template.resourceCountIs('AWS::Cognito::UserPoolDomain', 1);
  });

  it('has an integration client (read, write) and a manager client (read, write, manage), client credentials only', () => {
    s.template.resourceCountIs('AWS::Cognito::UserPoolClient', 3); // and the console's (test/cdk/console.test.ts)
    for (const [client, scopes] of [
      [s.stack.auth.integrationClient, ['cases/read', 'cases/write']],
      [s.stack.auth.managerClient, ['cases/read', 'cases/write', 'cases/manage']],
    ] as const) {
      const props = s.json.Resources[s.logicalId(client)]!.Properties!;
      expect(props).toMatchObject({ GenerateSecret: true, AllowedOAuthFlows: ['client_credentials'], AllowedOAuthFlowsUserPoolClient: true });
      // Each scope is `<resource server identifier>/<name>`; the resource server's Ref is its identifier, `cases`.
      const serverId = s.logicalId(s.stack.auth.resourceServer);
      const named = (props['AllowedOAuthScopes'] as { 'Fn::Join': [string, [{ Ref: string }, string]] }[]).map((j) => {
        expect(j['Fn::Join'][1][0]).toEqual({ Ref: serverId });
        return `cases${j['Fn::Join'][1][1]}`;
      });
      expect(named).toEqual(scopes);
    }
  });
});

describe('notifications', () => {
  it('verifies the policy\'s sender, tracks its mail with a configuration set and routes bounces and complaints to the bounce handler', () => {
    const set = { Ref: s.logicalId(s.stack.notifications.configurationSet) };
    s.template.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'support@example.com', ConfigurationSetAttributes: { ConfigurationSetName: set } });
    s.template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      ConfigurationSetName: set,
      EventDestination: {
        Enabled: true,
        MatchingEventTypes: ['bounce', 'complaint'],
        SnsDestination: { TopicARN: { Ref: s.logicalId(s.stack.notifications.feedbackTopic) } },
      },
    });
    s.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: { Ref: s.logicalId(s.stack.notifications.feedbackTopic) },
      Endpoint: { 'Fn::GetAtt': [s.logicalId(s.stack.notifications.bounceFunction), 'Arn'] },
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [s.logicalId(s.stack.ops.deadLetterQueue), 'Arn'] } },
    });
  });

  it('generates a 64-character link-signing key and gives its ARN, never its value, to the functions', () => {
    s.template.hasResourceProperties('AWS::SecretsManager::Secret', { GenerateSecretString: Match.objectLike({ PasswordLength: 64 }) });
    const secretRef = { Ref: s.logicalId(s.stack.notifications.linkSigningKey) };
    // The stream consumer signs the survey links in the follow-up email.
    const effects = s.json.Resources[s.logicalId(s.stack.effects.function)]!;
    expect((effects.Properties!['Environment'] as { Variables: Record<string, unknown> }).Variables['LINK_SIGNING_SECRET_ARN']).toEqual(secretRef);
  });
});

describe('stream effects', () => {
  it('streams the table\'s new and old images to the effects consumer: partial batch failures, bisect, bounded retries, a dead-letter destination', () => {
    s.template.hasResourceProperties('AWS::DynamoDB::Table', { StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' } });
    s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: s.logicalId(s.stack.effects.function) },
      EventSourceArn: { 'Fn::GetAtt': ['CasesTable', 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [s.logicalId(s.stack.ops.deadLetterQueue), 'Arn'] } } },
    });
  });

  it('alarms when the consumer throws or falls behind', () => {
    const alarms = resourcesOf('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties!);
    const effectsFn = { Name: 'FunctionName', Value: { Ref: s.logicalId(s.stack.effects.function) } };
    expect(alarms.filter((a) => (a['Dimensions'] as unknown[] | undefined)?.some((d) => JSON.stringify(d) === JSON.stringify(effectsFn))).map((a) => a['MetricName']).sort()).toEqual(['Errors', 'IteratorAge']);
  });
});

describe('reconciler and outputs', () => {
  it('runs the reconciler every minute, with retries and a dead-letter queue', () => {
    s.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [s.logicalId(s.stack.reconciler.function), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [s.logicalId(s.stack.ops.deadLetterQueue), 'Arn'] } },
        }),
      ],
    });
  });

  it('outputs what a client and an operator need', () => {
    for (const name of ['ApiUrl', 'TokenUrl', 'IntegrationClientId', 'ManagerClientId', 'UserPoolId', 'StateMachineArn', 'ConfigurationSetName']) {
      s.template.hasOutput(name, {});
    }
  });
});
