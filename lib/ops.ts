// Infrastructure: what operations are told through. One encrypted SNS topic for alarms, the key that encrypts it (and
// the bounce topic), and the dead-letter queue that keeps asynchronous events no function could handle.
import { Duration, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from './nag.ts';

export interface OpsProps {
  /** Optional address subscribed to the alarm topic (confirm the subscription email after deploy). */
  readonly alarmEmail?: string | undefined;
}

export class Ops extends Construct {
  /** Customer managed: CloudWatch alarms and SES cannot publish to a topic encrypted with the AWS managed SNS key. */
  readonly topicKey: Key;
  readonly alarmTopic: Topic;
  readonly deadLetterQueue: Queue;
  /** Every alarm raised through alarm(), for the dashboard's alarm status (lib/observability.ts). */
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: OpsProps = {}) {
    super(scope, id);
    const { account } = Stack.of(this);

    this.topicKey = new Key(this, 'TopicKey', {
      description: 'Escalator: encrypts the alarm and email-feedback SNS topics',
      enableKeyRotation: true,
    });
    for (const service of ['cloudwatch.amazonaws.com', 'ses.amazonaws.com']) {
      this.topicKey.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: `PublishToEncryptedTopicsFrom${service.split('.')[0]}`,
          principals: [new iam.ServicePrincipal(service)],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: ['*'], // in a key policy "*" means this key
          conditions: { StringEquals: { 'aws:SourceAccount': account } },
        }),
      );
    }

    this.alarmTopic = new Topic(this, 'AlarmTopic', { displayName: 'Escalator alarms', masterKey: this.topicKey, enforceSSL: true });
    // The topic has its own policy (SSL only), which replaces SNS's default one: allow this account's alarms explicitly.
    this.alarmTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowThisAccountsAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    );

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    if (props.alarmEmail) this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail, { deadLetterQueue: this.deadLetterQueue }));
    acknowledge(
      this.deadLetterQueue,
      'Serverless-SQSRedrivePolicy',
      'this queue is itself the dead-letter queue (of the reconciler, the bounce handler, their triggers and the alarm email subscription); it needs no queue behind it',
    );

    this.alarm('DeadLettersAlarm', this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      'an asynchronous event (reconciler run, email bounce) or a batch of stream records failed all retries and waits in the dead-letter queue');
  }

  /**
   * An alarm that fires when the metric reaches `threshold` (default: the first occurrence) in one period, to the
   * alarm topic. Missing data is normal (no traffic, no failures) unless `missing` says it means trouble.
   */
  alarm(id: string, metric: IMetric, description: string, scope: Construct = this, threshold = 1, missing: TreatMissingData = TreatMissingData.NOT_BREACHING): Alarm {
    const alarm = new Alarm(scope, id, {
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: missing,
      alarmDescription: description,
    });
    alarm.addAlarmAction(new SnsAction(this.alarmTopic));
    this.alarms.push(alarm);
    return alarm;
  }
}
