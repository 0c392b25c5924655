// Infrastructure: the consumer of the cases table's stream. Every change is one transaction; this function does what
// it owes afterwards (owed emails, timer hand-over) through a Lambda event source mapping: partial batch failures,
// bisect on error, bounded retries, then the records' metadata to the dead-letter queue (alarmed), and the reconciler
// finishes the work. The local stack reads this mapping from the template and polls the stream the same way.
import { Duration } from 'aws-cdk-lib';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { CasesTable } from './cases-table.ts';
import { type EmailSending, EscalatorFunction } from './escalator-function.ts';
import { acknowledgeWildcardResource } from './nag.ts';
import type { Ops } from './ops.ts';
import type { Policy } from '../functions/domain/policy.ts';

/** How the mapping hands records over; the local poller follows the same numbers (from the template). */
export const STREAM_MAPPING = {
  batchSize: 100,
  /** Then the records go to the on-failure destination and the reconciler does their work. */
  retryAttempts: 5,
  /** A record older than this is pointless to retry: the reconciler has long done its work. */
  maxRecordAge: Duration.hours(1),
  /** Batches per shard in flight; records of one case (one partition key) stay in order. */
  parallelizationFactor: 4,
} as const;

export interface StreamEffectsProps {
  readonly policy: Policy;
  readonly cases: CasesTable;
  readonly stateMachine: StateMachine;
  readonly email: EmailSending;
  readonly linkSigningKey: ISecret;
  readonly ops: Ops;
}

export class StreamEffects extends Construct {
  readonly function: EscalatorFunction;

  constructor(scope: Construct, id: string, props: StreamEffectsProps) {
    super(scope, id);
    this.function = new EscalatorFunction(this, 'EffectsFunction', {
      handler: { file: 'functions/stream/effects.ts', export: 'handler' },
      description: 'Cases table stream: sends owed email (claimed first: exactly once) and hands case timers over',
      policy: props.policy,
      invocation: { kind: 'sync', caller: 'the DynamoDB stream event source mapping (its on-failure destination is the dead-letter queue)' },
      timeout: Duration.seconds(60),
    })
      .bindTable(props.cases, 'readWrite')
      .bindWorkflow(props.stateMachine, 'start', 'stop')
      .bindEmail(props.email)
      .bindLinkSigningKey(props.linkSigningKey);

    this.function.addEventSource(
      new DynamoEventSource(props.cases.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: STREAM_MAPPING.batchSize,
        bisectBatchOnError: true,
        retryAttempts: STREAM_MAPPING.retryAttempts,
        maxRecordAge: STREAM_MAPPING.maxRecordAge,
        parallelizationFactor: STREAM_MAPPING.parallelizationFactor,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(props.ops.deadLetterQueue),
      }),
    );

    acknowledgeWildcardResource(
      this.function.role!,
      '*',
      'X-Ray tracing and dynamodb:ListStreams (granted by the event source mapping to find the stream): neither supports resource-level permissions',
    );

    props.ops.alarm('StreamEffectsErrorsAlarm', this.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      'the stream consumer (functions/stream/effects.ts) threw; its records are retried, then left to the reconciler', this);
    props.ops.alarm(
      'StreamEffectsLagAlarm',
      this.function.metric('IteratorAge', { period: Duration.minutes(5), statistic: 'Maximum' }),
      'the stream consumer is more than a minute behind: emails and timer hand-overs are late',
      this,
      60_000,
    );
  }
}
