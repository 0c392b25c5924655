// Infrastructure: the scheduled guarantee behind every best-effort step. Every minute the reconciler starts timers
// whose start was never confirmed, drains unsent email, sends the warning digests whose span closed and replaces
// timer executions that failed. Every minute (not every 5) because a digest waits for this run: 43,200 short
// invocations a month, well inside Lambda's free tier.
import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { CasesTable } from './cases-table.ts';
import { type EmailSending, EscalatorFunction } from './escalator-function.ts';
import type { Ops } from './ops.ts';
import type { Policy } from '../functions/domain/policy.ts';

export const RECONCILE_EVERY = Duration.minutes(1);

export interface ReconcilerProps {
  readonly policy: Policy;
  readonly cases: CasesTable;
  readonly stateMachine: StateMachine;
  readonly email: EmailSending;
  readonly linkSigningKey: ISecret;
  readonly ops: Ops;
}

export class Reconciler extends Construct {
  readonly function: EscalatorFunction;
  readonly schedule: Rule;

  constructor(scope: Construct, id: string, props: ReconcilerProps) {
    super(scope, id);
    this.function = new EscalatorFunction(this, 'ReconcilerFunction', {
      handler: { file: 'functions/workflow/reconciler.ts', export: 'handler' },
      description: 'Every minute: start unconfirmed timers, send unsent email and due warning digests, replace failed timer executions',
      policy: props.policy,
      invocation: { kind: 'async', deadLetterQueue: props.ops.deadLetterQueue },
      timeout: Duration.seconds(50), // below the schedule period, so two runs rarely overlap (they are idempotent anyway)
    })
      .bindTable(props.cases, 'readWrite')
      .bindWorkflow(props.stateMachine, 'start', 'stop', 'describe', 'list')
      .bindEmail(props.email)
      .bindLinkSigningKey(props.linkSigningKey);

    this.schedule = new Rule(this, 'Schedule', {
      description: 'Escalator reconciler',
      schedule: Schedule.rate(RECONCILE_EVERY),
      targets: [
        new LambdaFunction(this.function, {
          deadLetterQueue: props.ops.deadLetterQueue,
          retryAttempts: 2,
          maxEventAge: RECONCILE_EVERY, // a late run is pointless: the next one is due
        }),
      ],
    });
    props.ops.alarm('ReconcilerErrorsAlarm', this.function.metricErrors({ period: RECONCILE_EVERY, statistic: 'Sum' }),
      'the reconciler (functions/workflow/reconciler.ts) threw; timers and email wait until it succeeds', this);
  }
}
