// Infrastructure: the Escalator stack. Stateful resources (cases table, user pool, signing key) are separate
// constructs with pinned logical ids and RETAIN/deletion protection; everything else can be replaced at will.
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { Policy } from '../functions/domain/policy.ts';
import { Auth } from './auth.ts';
import { CasesTable } from './cases-table.ts';
import { ConsoleHosting } from './console-hosting.ts';
import { EscalationWorkflow } from './escalation-workflow.ts';
import { EscalatorApi } from './http-api.ts';
import { InboundEmail } from './inbound.ts';
import { Notifications } from './notifications.ts';
import { Observability } from './observability.ts';
import { Ops } from './ops.ts';
import { Reconciler } from './reconciler.ts';
import { StreamEffects } from './stream-effects.ts';

export interface EscalatorStackProps extends StackProps {
  /** The validated policy (parsePolicy's output): drives the SES identity and configuration set, and is inlined into
   * every function bundle. */
  readonly policy: Policy;
  readonly alarmEmail?: string | undefined;
  readonly cognitoDomainPrefix?: string | undefined;
  readonly sesSandboxRecipients?: readonly string[];
  /** The domain customers reply to; default `reply.<the policy's sender domain>` (inboundDomainFor). */
  readonly inboundDomain?: string | undefined;
}

/** A subdomain of the sender's own: its MX record can point at SES without touching the domain's other mail. */
export function inboundDomainFor(policy: Policy, override?: string): string {
  return (override ?? `reply.${policy.notifications.from.split('@')[1]}`).toLowerCase();
}

export class EscalatorStack extends Stack {
  // Stateful
  readonly cases: CasesTable;
  readonly auth: Auth;
  // Stateless
  readonly ops: Ops;
  readonly notifications: Notifications;
  readonly workflow: EscalationWorkflow;
  readonly api: EscalatorApi;
  readonly reconciler: Reconciler;
  readonly effects: StreamEffects;
  readonly console: ConsoleHosting;
  readonly inbound: InboundEmail;
  readonly observability: Observability;

  constructor(scope: Construct, id: string, props: EscalatorStackProps) {
    super(scope, id, props);
    const { policy } = props;
    const inboundDomain = inboundDomainFor(policy, props.inboundDomain);

    this.cases = new CasesTable(this, 'Cases');
    this.auth = new Auth(this, 'Auth', { domainPrefix: props.cognitoDomainPrefix, policy });

    this.ops = new Ops(this, 'Ops', { alarmEmail: props.alarmEmail });
    this.notifications = new Notifications(this, 'Notifications', {
      policy,
      cases: this.cases,
      ops: this.ops,
      sandboxRecipients: props.sesSandboxRecipients ?? [],
      inboundDomain,
    });
    const shared = {
      policy,
      cases: this.cases,
      email: this.notifications.sending,
      linkSigningKey: this.notifications.linkSigningKey,
      ops: this.ops,
    };
    this.workflow = new EscalationWorkflow(this, 'EscalationWorkflow', shared);
    this.api = new EscalatorApi(this, 'Api', { ...shared, stateMachine: this.workflow.stateMachine, auth: this.auth });
    this.reconciler = new Reconciler(this, 'Reconciler', { ...shared, stateMachine: this.workflow.stateMachine });
    this.effects = new StreamEffects(this, 'StreamEffects', { ...shared, stateMachine: this.workflow.stateMachine });
    this.console = new ConsoleHosting(this, 'Console', { api: this.api, auth: this.auth });
    this.inbound = new InboundEmail(this, 'Inbound', { policy, domain: inboundDomain, cases: this.cases, linkSigningKey: this.notifications.linkSigningKey, ops: this.ops });
    // Last: its alarm status widget lists every alarm the constructs above raised.
    this.observability = new Observability(this, 'Observability', { ops: this.ops, api: this.api, stateMachine: this.workflow.stateMachine, streamEffects: this.effects.function });

    const output = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    output('ApiUrl', this.api.url, 'Base URL of the API (set the policy\'s notifications.publicBaseUrl to it)');
    output('TokenUrl', this.auth.tokenUrl, 'OAuth2 token endpoint (client_credentials)');
    output('ConsoleUrl', `${this.console.origin}/console/`, 'The ops console (set the policy\'s notifications.consoleUrl to it, without the final /, for links in manager emails)');
    output('ConsoleClientId', this.auth.consoleClient.userPoolClientId, 'The console\'s app client (hosted UI, authorization code + PKCE)');
    output('IntegrationClientId', this.auth.integrationClient.userPoolClientId, 'App client with cases/read cases/write');
    output('ManagerClientId', this.auth.managerClient.userPoolClientId, 'App client with cases/read cases/write cases/manage');
    output('UserPoolId', this.auth.userPool.userPoolId, 'Cognito user pool (client secrets: aws cognito-idp describe-user-pool-client)');
    output('TableName', this.cases.table.tableName, 'Cases table');
    output('StateMachineArn', this.workflow.stateMachine.stateMachineArn, 'Escalation workflow');
    output('ConfigurationSetName', this.notifications.configurationSet.configurationSetName, 'SES configuration set (bounces and complaints)');
    output('SenderIdentity', policy.notifications.from, 'SES identity to verify (or take the account out of the sandbox)');
    output('InboundDomain', inboundDomain, 'Customers reply to reply+<case>.<signature>@ this domain: point its MX record at SES receiving (README "Receiving replies")');
    output('ReceiptRuleSetName', this.inbound.ruleSet.receiptRuleSetName, 'Make it active: aws ses set-active-receipt-rule-set --rule-set-name <this>');
    output('InboundBucketName', this.inbound.bucket.bucketName, 'Raw inbound messages (raw/) and the attachments kept from replies (attachments/)');
    output('DashboardName', this.observability.dashboard.dashboardName, 'CloudWatch dashboard: API, workflow executions, business metrics, reconciler lag, alarms');
    output('AlarmTopicArn', this.ops.alarmTopic.topicArn, 'Subscribe operations to this topic');
    output('DeadLetterQueueUrl', this.ops.deadLetterQueue.queueUrl, 'Failed asynchronous events (reconciler runs, bounce notifications) and stream records the effects consumer gave up on');
  }
}
