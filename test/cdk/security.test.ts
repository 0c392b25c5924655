// CDK security: least privilege (no "*" action; "*" resources only where AWS allows nothing narrower, as an exact
// allow-list; each function holds only the grants it needs) and cdk-nag (AwsSolutions + Serverless) plus CDK's own
// validation finding nothing unacknowledged, with every acknowledgement known, justified and actually used.
// One file, one synthesis: the nag checks run last because the final one adds a wildcard to the shared stack.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks, NagPack, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_TABLE } from '../../functions/http/route-table.ts';
import { ROUTES } from '../../functions/routes.ts';
import { routeNeeds } from '../../lib/http-api.ts';
import { flattenCfnReference } from '../../lib/nag.ts';
import { defaultSynth, iamStatements, type Synthesized } from './synth.ts';

let s: Synthesized;
beforeAll(() => {
  s = defaultSynth();
});

/** Actions AWS only grants on Resource "*". */
const XRAY_WRITE = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];
const STATE_MACHINE_STAR = [
  ...XRAY_WRITE,
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
];

/**
 * CDK's own BucketDeployment provider (a singleton Lambda that copies the console's build into its bucket during a
 * deployment) is not one of our functions: it keeps CDK's role (AWSLambdaBasicExecutionRole), copies objects with
 * object-level wildcards and invalidates the distribution on Resource "*". Its findings are acknowledged one by one
 * in lib/console-hosting.ts; here it is told apart by its logical id.
 */
const isCdkProvider = (logicalId: string) => logicalId.startsWith('CustomCDKBucketDeployment');
const PROVIDER_STAR = ['cloudfront:CreateInvalidation', 'cloudfront:GetInvalidation'];

const policyOf = (role: { node: { tryFindChild(id: string): unknown } }) => s.logicalId(role.node.tryFindChild('DefaultPolicy') as never);

describe('IAM', () => {
  it('grants no "*" or "service:*" action', () => {
    for (const st of iamStatements(s.json)) {
      for (const a of st.actions) expect(a, `${st.owner}: ${a}`).not.toMatch(/(^\*$|:\*$)/);
    }
  });

  it('uses Resource "*" only for X-Ray (every function), ListStreams (the stream consumer) and log delivery + X-Ray (the state machine)', () => {
    const smPolicy = policyOf(s.stack.workflow.stateMachine.role as never);
    const star = iamStatements(s.json).filter((st) => st.resources.includes('*'));
    expect(star.length).toBeGreaterThan(0);
    for (const st of star.filter((x) => isCdkProvider(x.owner))) expect(st.actions.sort()).toEqual(PROVIDER_STAR);
    for (const st of star.filter((x) => !isCdkProvider(x.owner))) {
      expect(st.resources, st.owner).toEqual(['*']);
      expect([...STATE_MACHINE_STAR, 'dynamodb:ListStreams'], st.owner).toEqual(expect.arrayContaining(st.actions));
      if (st.owner === policyOf(s.stack.effects.function.role as never)) expect(st.actions.sort(), st.owner).toEqual([...XRAY_WRITE, 'dynamodb:ListStreams'].sort());
      else if (st.owner !== smPolicy) expect(st.actions.sort(), st.owner).toEqual([...XRAY_WRITE].sort());
    }
  });

  it('has no other wildcard resource than the workflow\'s executions, the evaluate function\'s versions and the inbound mail bucket\'s raw/ and attachments/', () => {
    const executions = 'arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<EscalationStateMachine.Name>:*';
    const evaluateVersions = `<${s.logicalId(s.stack.workflow.evaluateFunction)}.Arn>:*`;
    const wild = new Set<string>();
    const providerWild = new Set<string>();
    for (const st of iamStatements(s.json)) {
      for (const r of st.resources.map(flattenCfnReference)) if (r !== '*' && r.includes('*')) (isCdkProvider(st.owner) ? providerWild : wild).add(r);
    }
    const mail = s.logicalId(s.stack.inbound.bucket);
    expect([...wild].sort()).toEqual([evaluateVersions, executions, `<${mail}.Arn>/raw/*`, `<${mail}.Arn>/attachments/*`].sort());
    // The provider: the CDK asset bucket's objects and the console bucket's, nothing else.
    expect([...providerWild].sort()).toEqual([`<${s.logicalId(s.stack.console.bucket)}.Arn>/*`, 'arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*'].sort());
  });

  it('lets the state machine invoke only the evaluate function', () => {
    const smPolicy = policyOf(s.stack.workflow.stateMachine.role as never);
    const invoke = iamStatements(s.json).filter((st) => st.owner === smPolicy && st.actions.includes('lambda:InvokeFunction'));
    expect(invoke).toHaveLength(1);
    expect(invoke[0]!.resources.map(flattenCfnReference).every((r) => r.startsWith(`<${s.logicalId(s.stack.workflow.evaluateFunction)}.Arn>`))).toBe(true);
  });
});

describe('grants per function', () => {
  const actionsOf = (fn: { role?: unknown }) => {
    const policy = policyOf(fn.role as never);
    return iamStatements(s.json).filter((st) => st.owner === policy).flatMap((st) => st.actions).sort();
  };
  const WRITE = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'];

  it('gives each route exactly what its entry in the route table declares (needs)', () => {
    for (const route of ROUTES) {
      const needs = routeNeeds(route);
      const actions = actionsOf(s.stack.api.functions[route.operationId]!);
      const has = (a: string) => actions.includes(a);
      expect(has('dynamodb:GetItem'), route.operationId).toBe(needs.table === 'read' || needs.table === 'readWrite');
      expect(WRITE.some(has), route.operationId).toBe(needs.table === 'write' || needs.table === 'readWrite');
      expect(has('states:StartExecution'), route.operationId).toBe(needs.workflow?.includes('start') ?? false);
      expect(has('states:GetExecutionHistory'), route.operationId).toBe(needs.workflow?.includes('history') ?? false);
      expect(has('ses:SendRawEmail'), route.operationId).toBe(needs.email ?? false);
      expect(has('secretsmanager:GetSecretValue'), route.operationId).toBe(needs.linkSigningKey ?? false);
    }
  });

  it('lets case actions only write the table (the stream consumer starts and stops timers and sends email), getWorkflow only read executions, and reads write nothing', () => {
    for (const { route } of ROUTE_TABLE.filter((b) => b.entry.file === 'functions/http/case-actions.ts')) {
      const actions = actionsOf(s.stack.api.functions[route.operationId]!);
      expect(actions.filter((a) => !a.startsWith('xray:') && !a.startsWith('dynamodb:'))).toEqual([]);
      expect(actions).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:ConditionCheckItem']));
    }
    expect(actionsOf(s.stack.effects.function).filter((a) => a.startsWith('states:') || a.startsWith('ses:'))).toEqual(['ses:SendRawEmail', 'states:StartExecution', 'states:StopExecution']);
    expect(actionsOf(s.stack.effects.function)).toEqual(expect.arrayContaining(['dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:DescribeStream']));
    expect(actionsOf(s.stack.api.functions['getWorkflow']!).filter((a) => a.startsWith('states:'))).toEqual(['states:DescribeExecution', 'states:DescribeStateMachineForExecution', 'states:GetExecutionHistory']);
    for (const id of ['listCases', 'getCase', 'getTimeline', 'getMetrics']) {
      expect(actionsOf(s.stack.api.functions[id]!).filter((a) => !a.startsWith('xray:'))).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query']);
    }
    expect(actionsOf(s.stack.api.functions['getOpenApi']!)).toEqual([...XRAY_WRITE].sort());
  });

  it('gives the reconciler list/start/stop/describe, the evaluate function no Step Functions access (no cycle), the bounce handler PutItem', () => {
    expect(actionsOf(s.stack.reconciler.function).filter((a) => a.startsWith('states:'))).toEqual(
      ['states:DescribeExecution', 'states:ListExecutions', 'states:StartExecution', 'states:StopExecution'],
    );
    expect(actionsOf(s.stack.workflow.evaluateFunction).filter((a) => a.startsWith('states:'))).toEqual([]);
    expect(actionsOf(s.stack.notifications.bounceFunction).filter((a) => a.startsWith('dynamodb:'))).toEqual([...WRITE].sort());
  });

  it('scopes ses:SendRawEmail to the sender identity and the configuration set', () => {
    for (const st of iamStatements(s.json).filter((x) => x.actions.includes('ses:SendRawEmail'))) {
      expect(st.actions).toEqual(['ses:SendRawEmail']);
      expect(st.resources.map(flattenCfnReference).sort()).toEqual([
        `arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/<${s.logicalId(s.stack.notifications.identity)}>`,
        `arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:configuration-set/<${s.logicalId(s.stack.notifications.configurationSet)}>`,
      ].sort());
    }
  });

  it('writes each function\'s logs to its own log group only (no AWSLambdaBasicExecutionRole)', () => {
    for (const [id, r] of Object.entries(s.json.Resources).filter(([k, x]) => x.Type === 'AWS::IAM::Role' && !isCdkProvider(k))) {
      expect(r.Properties?.['ManagedPolicyArns'], id).toBeUndefined();
    }
    const logs = iamStatements(s.json).filter((st) => st.actions.includes('logs:PutLogEvents'));
    expect(logs).toHaveLength(Object.entries(s.json.Resources).filter(([k, r]) => r.Type === 'AWS::Lambda::Function' && !isCdkProvider(k)).length);
    for (const st of logs) expect(st.resources).toEqual([{ 'Fn::GetAtt': [expect.any(String), 'Arn'] }]);
  });
});

/** The acknowledgements this stack may carry, by rule (finding ids included). Anything else fails the test. */
const allowed = (): Record<string, RegExp> => ({
  'AwsSolutions-IAM5[Resource::*]': /X-Ray|log delivery|invalidat/,
  'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<EscalationStateMachine.Name>:*]': /execution/,
  [`AwsSolutions-IAM5[Resource::<${s.logicalId(s.stack.workflow.evaluateFunction)}.Arn>:*]`]: /LambdaInvoke/,
  'Serverless-LambdaDLQ': /synchronously/,
  'AwsSolutions-APIG4': /public by design/,
  'AwsSolutions-COG8': /administrator.*MFA/,
  // The ops console (lib/console-hosting.ts): its distribution, and CDK's BucketDeployment provider.
  'AwsSolutions-CFR1': /Cognito sign-in/,
  'AwsSolutions-CFR2': /WAF/,
  'AwsSolutions-CFR4': /cloudfront\.net/,
  'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]': /BucketDeployment/,
  'AwsSolutions-IAM5[Action::s3:GetBucket*]': /BucketDeployment/,
  'AwsSolutions-IAM5[Action::s3:GetObject*]': /BucketDeployment/,
  'AwsSolutions-IAM5[Action::s3:List*]': /BucketDeployment/,
  'AwsSolutions-IAM5[Action::s3:Abort*]': /BucketDeployment/,
  'AwsSolutions-IAM5[Action::s3:DeleteObject*]': /BucketDeployment/,
  'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]': /asset bucket/,
  [`AwsSolutions-IAM5[Resource::<${s.logicalId(s.stack.console.bucket)}.Arn>/*]`]: /console bucket/,
  // Inbound mail (lib/inbound.ts): one object per message and per attachment.
  [`AwsSolutions-IAM5[Resource::<${s.logicalId(s.stack.inbound.bucket)}.Arn>/raw/*]`]: /raw messages/,
  [`AwsSolutions-IAM5[Resource::<${s.logicalId(s.stack.inbound.bucket)}.Arn>/attachments/*]`]: /attachments/,
  'AwsSolutions-L1': /BucketDeployment/,
  'Serverless-LambdaLatestVersion': /BucketDeployment/,
  'Serverless-LambdaTracing': /deployments/,
  'AwsSolutions-SMG4': /rotation/,
  'Serverless-SQSRedrivePolicy': /dead-letter queue/,
});

/** Acknowledgements recorded on this construct itself (ids without the `annotation::` prefix CDK may add). */
function ownAcknowledgements(c: IConstruct): { path: string; id: string; reason: string }[] {
  return c.node.metadata
    .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ path: c.node.path, id: id.replace(/^annotation::/i, ''), reason })));
}

function acknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap(ownAcknowledgements);
}

describe('cdk-nag', () => {
  it('leaves nothing in the synth\'s validation report (all plugins, CDK annotations included)', () => {
    const report = JSON.parse(readFileSync(join(s.assembly.directory, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; violations: unknown[] }[];
    };
    expect(report.pluginReports.flatMap((r) => r.violations.map((v) => ({ plugin: r.pluginName, v })))).toEqual([]);
  });

  it('finds no unacknowledged error or warning in AwsSolutions or Serverless', () => {
    for (const pack of [new AwsSolutionsChecks(), new ServerlessChecks()]) {
      const result = pack.validateScope(s.app);
      expect(result.violations.map((v) => `${v.ruleName} @ ${v.violatingResources.map((r) => r.constructPath).join(', ')}`), pack.readPackName).toEqual([]);
    }
  });

  describe('acknowledgements', () => {
    const original = (NagPack.prototype as unknown as { isAcknowledged: (resource: IConstruct, ruleId: string) => boolean }).isAcknowledged;
    const used = new Set<string>();
    beforeAll(() => {
      // Record which acknowledgements silence a finding (cdk-nag's private check; a rename fails this test, not the app).
      (NagPack.prototype as unknown as { isAcknowledged: typeof original }).isAcknowledged = function (resource, ruleId) {
        const hit = original.call(this, resource, ruleId);
        if (hit) {
          for (let c: IConstruct | undefined = resource; c; c = c.node.scope) {
            if (ownAcknowledgements(c).some((a) => a.id === ruleId)) used.add(`${c.node.path}|${ruleId}`);
          }
        }
        return hit;
      };
      for (const pack of [new AwsSolutionsChecks(), new ServerlessChecks()]) pack.validateScope(s.app);
    });
    afterAll(() => {
      (NagPack.prototype as unknown as { isAcknowledged: typeof original }).isAcknowledged = original;
    });

    it('are all on the allow-list, each with its reason', () => {
      const acks = acknowledgements(s.app);
      expect(acks.length).toBeGreaterThan(0);
      const rules = allowed();
      for (const a of acks) {
        expect(Object.keys(rules), `${a.path}: ${a.id}`).toContain(a.id);
        expect(a.reason, `${a.path}: ${a.id}`).toMatch(rules[a.id]!);
        expect(a.reason.length).toBeGreaterThan(40);
      }
    });

    it('each silence a real finding (no stale suppression)', () => {
      const stale = acknowledgements(s.app).filter((a) => !used.has(`${a.path}|${a.id}`));
      expect(stale.map((a) => `${a.path}: ${a.id}`)).toEqual([]);
    });
  });

  it('still reports a new wildcard (the packs are live, the acknowledgements narrow)', () => {
    // Prepare: a wildcard action on a function that already has its X-Ray Resource "*" acknowledged.
    s.stack.api.functions['getOpenApi']!.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:*'], resources: ['*'] }));
    // Act
    const result = new AwsSolutionsChecks().validateScope(s.app);
    // Assess
    expect(result.violations.map((v) => v.ruleName)).toEqual(['AwsSolutions-IAM5[Action::dynamodb:*]']);
  });
});
