// Infrastructure: the escalation workflow, one STANDARD execution per case timer. The Wait sleeps until the next
// absolute deadline, Evaluate decides and acts, the Choice ends or loops: three transitions per wake-up. JSONPath
// only (no JSONata, no variables): the local engine runs this same definition from the synthesized template.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  type CfnStateMachine,
  DefinitionBody,
  Fail,
  LogLevel,
  StateMachine,
  StateMachineType,
  Succeed,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { CasesTable } from './cases-table.ts';
import { type EmailSending, EscalatorFunction } from './escalator-function.ts';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { acknowledgeWildcardResource } from './nag.ts';
import type { Ops } from './ops.ts';
import type { Policy } from '../functions/domain/policy.ts';

/** Pinned: replacing the state machine resource would stop every running case timer. */
export const STATE_MACHINE_LOGICAL_ID = 'EscalationStateMachine';

export const STATE_NAMES = {
  evaluate: 'Evaluate',
  done: 'Done?',
  wait: 'WaitForNextDeadline',
  finished: 'Finished',
  failed: 'TimerFailed',
} as const;

export interface EscalationWorkflowProps {
  readonly policy: Policy;
  readonly cases: CasesTable;
  readonly email: EmailSending;
  readonly linkSigningKey: ISecret;
  readonly ops: Ops;
}

export class EscalationWorkflow extends Construct {
  readonly stateMachine: StateMachine;
  readonly evaluateFunction: EscalatorFunction;

  constructor(scope: Construct, id: string, props: EscalationWorkflowProps) {
    super(scope, id);

    // No STATE_MACHINE_ARN and no Step Functions grant here: the state machine depends on this function, so the
    // function cannot depend on the state machine (a cycle). Evaluate never starts or stops executions itself.
    this.evaluateFunction = new EscalatorFunction(this, 'EvaluateFunction', {
      handler: { file: 'functions/workflow/evaluate.ts', export: 'handler' },
      description: 'Escalation workflow task: re-reads the case, applies what is due (its emails follow from the stream), returns the next wake-up',
      policy: props.policy,
      invocation: { kind: 'sync', caller: 'the escalation workflow (Step Functions LambdaInvoke)' },
      timeout: Duration.seconds(60),
    })
      .bindTable(props.cases, 'readWrite');

    const evaluate = new LambdaInvoke(this, STATE_NAMES.evaluate, {
      lambdaFunction: this.evaluateFunction,
      // Resource = the function ARN, input = the state, output = the handler's return value.
      payloadResponseOnly: true,
      retryOnServiceExceptions: false, // declared below, explicitly
      comment: 'Apply what is due on the case and return {caseId, timerVersion, wakeAt, done}',
    });
    evaluate.addRetry({
      errors: ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'],
      interval: Duration.seconds(2),
      maxAttempts: 6,
      backoffRate: 2,
    });
    evaluate.addRetry({ errors: ['States.TaskFailed'], interval: Duration.seconds(5), maxAttempts: 5, backoffRate: 2 });
    evaluate.addCatch(
      new Fail(this, STATE_NAMES.failed, {
        error: 'TimerFailed',
        cause: 'Evaluate kept failing after its retries; the reconciler (every minute) replaces this timer with a new execution derived from the case',
      }),
      { errors: ['States.ALL'], resultPath: '$.error' },
    );

    const waitForNextDeadline = new Wait(this, STATE_NAMES.wait, {
      time: WaitTime.timestampPath('$.wakeAt'),
      comment: 'Sleep until the next absolute deadline (SLA breach, warning, 30-day rule, follow-up)',
    });
    const done = new Choice(this, STATE_NAMES.done)
      .when(Condition.booleanEquals('$.done', true), new Succeed(this, STATE_NAMES.finished))
      .otherwise(waitForNextDeadline);

    const logGroup = new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      // No stateMachineName: a custom name makes a rename replace the resource and kill in-flight executions.
      stateMachineType: StateMachineType.STANDARD,
      // Starts with the Wait: whoever starts an execution passes the first wake-up (`wakeAt`), so nothing is
      // evaluated before anything can be due. A typical case costs 8 transitions instead of 12 (BENCHMARKS.md).
      definitionBody: DefinitionBody.fromChainable(waitForNextDeadline.next(evaluate).next(done)),
      comment: 'One execution per case timer (<caseId>-v<timerVersion>): Evaluate, then wait for the next deadline, until done',
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
    });
    (this.stateMachine.node.defaultChild as CfnStateMachine).overrideLogicalId(STATE_MACHINE_LOGICAL_ID);

    const role = this.stateMachine.role;
    acknowledgeWildcardResource(
      role,
      '*',
      'Step Functions log delivery (logs:CreateLogDelivery and friends) and X-Ray (xray:PutTraceSegments…) support no resource-level permissions: AWS requires Resource "*"',
    );
    acknowledgeWildcardResource(
      role,
      `${this.evaluateFunction.functionArn}:*`,
      'added by LambdaInvoke: invoke versions and aliases of the evaluate function only',
    );

    props.ops.alarm('ExecutionsFailedAlarm', this.stateMachine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
      'a case timer execution failed after its retries (the reconciler restarts it; look at why Evaluate fails)', this);
    props.ops.alarm('EvaluateErrorsAlarm', this.evaluateFunction.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      'the workflow task (functions/workflow/evaluate.ts) threw', this);
  }
}
