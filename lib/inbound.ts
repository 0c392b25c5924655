// Infrastructure: customers' email replies. An SES receipt rule set for the inbound domain stores each message's raw
// MIME in an encrypted bucket (raw/<SES message id>) and then invokes the inbound function, which reads it, lands the
// reply on its case and keeps the attachments in the same bucket (attachments/…). The rule set must be made the
// account's active one by hand (README "Receiving replies"): an account has one active rule set per region, and
// activating ours from a deploy could silently replace another.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { ReceiptRuleSet, TlsPolicy } from 'aws-cdk-lib/aws-ses';
import { Lambda as LambdaAction, LambdaInvocationType, S3 as S3Action } from 'aws-cdk-lib/aws-ses-actions';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { RAW_PREFIX } from '../functions/adapters/mail-store.ts';
import { DEFAULT_MAX_ATTACHMENT_BYTES } from '../functions/domain/inbound.ts';
import type { CasesTable } from './cases-table.ts';
import { EscalatorFunction } from './escalator-function.ts';
import { acknowledgeWildcardResource } from './nag.ts';
import type { Ops } from './ops.ts';
import { accessLogsBucket } from './access-logs.ts';
import type { Policy } from '../functions/domain/policy.ts';

/** Raw messages are kept this long (ops read the refused ones; the landed ones are on their cases). */
export const RAW_MAIL_DAYS = 90;

export interface InboundEmailProps {
  readonly policy: Policy;
  /** The domain customers reply to (its MX record points at SES receiving). */
  readonly domain: string;
  readonly cases: CasesTable;
  readonly linkSigningKey: ISecret;
  readonly ops: Ops;
}

export class InboundEmail extends Construct {
  readonly bucket: Bucket;
  readonly logs: Bucket;
  readonly function: EscalatorFunction;
  readonly ruleSet: ReceiptRuleSet;

  constructor(scope: Construct, id: string, props: InboundEmailProps) {
    super(scope, id);

    this.logs = accessLogsBucket(this);
    // Stateful: attachments belong to cases. SSE-S3 (not KMS): SES's S3 action writes to it without a key policy,
    // and a KMS key given to the action would mean client-side encryption the function must undo.
    this.bucket = new Bucket(this, 'Mail', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      serverAccessLogsBucket: this.logs,
      serverAccessLogsPrefix: 's3/',
      lifecycleRules: [{ prefix: RAW_PREFIX, expiration: Duration.days(RAW_MAIL_DAYS) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.function = new EscalatorFunction(this, 'InboundFunction', {
      handler: { file: 'functions/inbound/receive.ts', export: 'handler' },
      description: 'Customers\' email replies: lands each on its case (comment, resume, reopen, or a linked case) or keeps it aside with why',
      policy: props.policy,
      // SES's Lambda action with InvocationType Event: retried by Lambda, then the dead-letter queue (alarmed).
      invocation: { kind: 'async', deadLetterQueue: props.ops.deadLetterQueue },
      timeout: Duration.seconds(60),
      environment: { INBOUND_DOMAIN: props.domain, INBOUND_BUCKET: this.bucket.bucketName, INBOUND_MAX_ATTACHMENT_BYTES: String(DEFAULT_MAX_ATTACHMENT_BYTES) },
    })
      .bindTable(props.cases, 'readWrite')
      .bindLinkSigningKey(props.linkSigningKey);
    // Exactly two object actions (not grantRead/grantPut, whose wildcard actions reach further): read raw messages,
    // write attachments.
    const raw = this.bucket.arnForObjects(`${RAW_PREFIX}*`);
    const attachments = this.bucket.arnForObjects('attachments/*');
    this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [raw] }));
    this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [attachments] }));
    acknowledgeWildcardResource(this.function.role!, raw, 'raw messages, one object per SES message id, named by SES at receipt: the function reads only under raw/');
    acknowledgeWildcardResource(this.function.role!, attachments, 'attachments kept from replies, one object per attachment named at run time: the function writes only under attachments/');

    this.ruleSet = new ReceiptRuleSet(this, 'ReceiptRules', {
      rules: [
        {
          recipients: [props.domain],
          // Spam and virus scanning give the verdicts the function refuses on. TLS is offered, not required: a
          // customer whose server cannot do it would get a bounce instead of an answer.
          scanEnabled: true,
          tlsPolicy: TlsPolicy.OPTIONAL,
          actions: [
            new S3Action({ bucket: this.bucket, objectKeyPrefix: RAW_PREFIX }),
            new LambdaAction({ function: this.function, invocationType: LambdaInvocationType.EVENT }),
          ],
        },
      ],
    });

    props.ops.alarm('InboundErrorsAlarm', this.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      'the inbound mail function (functions/inbound/receive.ts) threw; SES\'s invocation is retried, then kept in the dead-letter queue', this);
  }
}
