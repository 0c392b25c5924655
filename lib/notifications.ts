// Infrastructure: email. The SES identity the policy sends as, a configuration set whose bounce and complaint events
// reach a small Lambda that records suppressions, and the secret that signs the links customers click.
import { Duration } from 'aws-cdk-lib';
import { ConfigurationSet, ConfigurationSetEventDestination, EmailIdentity, EmailSendingEvent, EventDestination, Identity } from 'aws-cdk-lib/aws-ses';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { Policy } from '../functions/domain/policy.ts';
import type { CasesTable } from './cases-table.ts';
import { type EmailSending, EscalatorFunction } from './escalator-function.ts';
import { acknowledge } from './nag.ts';
import type { Ops } from './ops.ts';

export interface NotificationsProps {
  readonly policy: Policy;
  readonly cases: CasesTable;
  readonly ops: Ops;
  /**
   * SES sandbox only: recipient addresses to verify as identities (SES sends to verified recipients only, and
   * authorizes ses:SendRawEmail against the recipient identity too).
   */
  readonly sandboxRecipients?: readonly string[];
  /** The domain customers reply to: senders put the case's reply address on customer emails. */
  readonly inboundDomain?: string;
}

export class Notifications extends Construct {
  readonly identity: EmailIdentity;
  readonly configurationSet: ConfigurationSet;
  readonly feedbackTopic: Topic;
  readonly bounceFunction: EscalatorFunction;
  /** HMAC key for customer links (survey); functions get its ARN and read access, never the value in the template. */
  readonly linkSigningKey: Secret;
  /** What a sending function is bound with (identity ARNs + configuration set). */
  readonly sending: EmailSending;

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);
    const { notifications } = props.policy;

    // The policy may name the set (functions then pass it explicitly); otherwise CloudFormation names it.
    this.configurationSet = new ConfigurationSet(this, 'ConfigurationSet', {
      ...(notifications.configurationSet ? { configurationSetName: notifications.configurationSet } : {}),
      reputationMetrics: true,
      sendingEnabled: true,
    });
    // The set is the identity's default, so every email from it is tracked even when a sender names no set.
    this.identity = new EmailIdentity(this, 'SenderIdentity', {
      identity: Identity.email(notifications.from),
      configurationSet: this.configurationSet,
    });
    const recipientIdentities = (props.sandboxRecipients ?? []).map(
      (address, i) => new EmailIdentity(this, `SandboxRecipient${i + 1}`, { identity: Identity.email(address) }),
    );
    this.sending = {
      identityArns: [this.identity.emailIdentityArn, ...recipientIdentities.map((r) => r.emailIdentityArn)],
      configurationSetName: this.configurationSet.configurationSetName,
      ...(props.inboundDomain ? { inboundDomain: props.inboundDomain } : {}),
    };

    this.feedbackTopic = new Topic(this, 'EmailFeedbackTopic', {
      displayName: 'Escalator email bounces and complaints',
      masterKey: props.ops.topicKey,
      enforceSSL: true,
    });
    new ConfigurationSetEventDestination(this, 'BouncesAndComplaints', {
      configurationSet: this.configurationSet,
      destination: EventDestination.snsTopic(this.feedbackTopic),
      events: [EmailSendingEvent.BOUNCE, EmailSendingEvent.COMPLAINT],
    });

    this.bounceFunction = new EscalatorFunction(this, 'BounceFunction', {
      handler: { file: 'functions/notifications/bounces.ts', export: 'handler' },
      description: 'Records permanently bounced and complaining addresses as suppressions, so no further email goes to them',
      policy: props.policy,
      invocation: { kind: 'async', deadLetterQueue: props.ops.deadLetterQueue },
      timeout: Duration.seconds(30),
      memorySize: 512,
    }).bindTable(props.cases, 'write');
    this.feedbackTopic.addSubscription(new LambdaSubscription(this.bounceFunction, { deadLetterQueue: props.ops.deadLetterQueue }));

    this.linkSigningKey = new Secret(this, 'LinkSigningKey', {
      description: 'Escalator: HMAC key that signs customer links (satisfaction survey)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
    });
    acknowledge(
      this.linkSigningKey,
      'AwsSolutions-SMG4',
      'the key signs survey links that stay valid for 30 days; automatic rotation would invalidate links already emailed. Rotate by hand with a dual-key rollout',
    );
    props.ops.alarm('BounceErrorsAlarm', this.bounceFunction.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      'the bounce handler (functions/notifications/bounces.ts) threw; the event is retried, then kept in the dead-letter queue', this);

  }
}
