// Infrastructure: what operations look at. One CloudWatch dashboard (API traffic and errors, the workflow's
// executions, the business metrics the functions emit as EMF, the reconciler's lag, every alarm's state) and the
// alarms on those metrics that the per-construct alarms (lib/ops.ts callers) do not already cover: the API's 5xx
// rate, the reconciler's lag, email failures and the SES bounce rate. Failed executions already alarm in
// lib/escalation-workflow.ts; the dashboard shows that alarm with the others.
import { Duration } from 'aws-cdk-lib';
import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  type IMetric,
  Stats,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { BREACH_DIMENSIONS, ESCALATION_DIMENSIONS, METRIC, METRICS_NAMESPACE, SERVICE_NAME } from '../functions/commons/metric-names.ts';
import type { EscalatorApi } from './http-api.ts';
import type { Ops } from './ops.ts';
import type { EscalatorFunction } from './escalator-function.ts';

const PERIOD = Duration.minutes(5);

/** The API's 5xx share of requests (percent) that pages someone. */
export const SERVER_ERROR_RATE_PERCENT = 5;
/** Work older than this that the reconciler still finds waiting: it is not keeping up (it runs every minute). */
export const RECONCILER_LAG_SECONDS = 300;
/** SES puts an account under review at a 5% bounce rate (and may pause sending at 10%). */
export const BOUNCE_RATE = 0.05;

export interface ObservabilityProps {
  readonly ops: Ops;
  readonly api: EscalatorApi;
  readonly stateMachine: StateMachine;
  readonly streamEffects: EscalatorFunction;
}

/** A business metric (EMF from functions/commons/observability.ts): namespace Escalator, dimension service. */
export function businessMetric(name: string, statistic: string = Stats.SUM, label?: string): Metric {
  return new Metric({ namespace: METRICS_NAMESPACE, metricName: name, dimensionsMap: { service: SERVICE_NAME }, statistic, period: PERIOD, ...(label ? { label } : {}) });
}

/** Every series of a metric emitted with extra dimensions (one line per kind × level, or per level). */
function searchOf(name: string, dimensions: readonly string[], label: string): MathExpression {
  return new MathExpression({
    expression: `SEARCH('{${METRICS_NAMESPACE},${dimensions.join(',')}} MetricName="${name}"', 'Sum', ${PERIOD.toSeconds()})`,
    label,
    period: PERIOD,
  });
}

export class Observability extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const { ops, api, stateMachine } = props;
    const httpApi = api.api;
    const requests = httpApi.metricCount({ period: PERIOD, statistic: Stats.SUM, label: 'requests' });
    const clientErrors = httpApi.metricClientError({ period: PERIOD, statistic: Stats.SUM, label: '4xx' });
    const serverErrors = httpApi.metricServerError({ period: PERIOD, statistic: Stats.SUM, label: '5xx' });
    const serverErrorRate = new MathExpression({
      expression: 'IF(requests > 0, 100 * errors / requests, 0)',
      usingMetrics: { requests, errors: serverErrors },
      label: '5xx rate (%)',
      period: PERIOD,
    });

    // Alarms this construct adds (the others are raised where their resource lives).
    ops.alarm('ApiServerErrorRateAlarm', serverErrorRate, `more than ${SERVER_ERROR_RATE_PERCENT}% of API requests answered 5xx in 5 minutes`, this, SERVER_ERROR_RATE_PERCENT);
    ops.alarm(
      'ReconcilerLagAlarm',
      businessMetric(METRIC.reconcilerLag, Stats.MAXIMUM),
      `the reconciler found work (an unstarted timer or an unsent email) waiting more than ${RECONCILER_LAG_SECONDS} s, or did not report at all (missing data counts)`,
      this,
      RECONCILER_LAG_SECONDS,
      TreatMissingData.BREACHING,
    );
    ops.alarm('EmailFailuresAlarm', businessMetric(METRIC.emailsFailed), 'an email failed for good (SES refused it, or it could not be rendered): the timeline says which', this);
    ops.alarm(
      'BounceRateAlarm',
      new Metric({ namespace: 'AWS/SES', metricName: 'Reputation.BounceRate', statistic: Stats.MAXIMUM, period: PERIOD }),
      `the account's SES bounce rate reached ${BOUNCE_RATE * 100}%: AWS reviews sending at 5% and may pause it at 10%`,
      this,
      BOUNCE_RATE,
    );

    const graph = (title: string, left: IMetric[], right: IMetric[] = [], width = 8) => new GraphWidget({ title, left, right, width, height: 6 });
    const executions = (label: string, m: (o: { period: Duration; statistic: string; label: string }) => Metric) => m({ period: PERIOD, statistic: Stats.SUM, label });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      // Default-named (stack-unique): two stacks in one account keep apart.
      defaultInterval: Duration.hours(6),
      widgets: [
        [new TextWidget({ markdown: `# Escalator\nAPI, workflow and business metrics (namespace \`${METRICS_NAMESPACE}\`). Alarms go to the alarm topic.`, width: 24, height: 2 })],
        [
          graph('API traffic', [requests]),
          graph('API errors', [clientErrors, serverErrors], [serverErrorRate]),
          graph('API latency (ms)', [
            httpApi.metricLatency({ period: PERIOD, statistic: Stats.p(50), label: 'p50' }),
            httpApi.metricLatency({ period: PERIOD, statistic: Stats.p(90), label: 'p90' }),
            httpApi.metricLatency({ period: PERIOD, statistic: Stats.p(99), label: 'p99' }),
          ]),
        ],
        [
          graph('Workflow executions', [
            executions('started', (o) => stateMachine.metricStarted(o)),
            executions('succeeded', (o) => stateMachine.metricSucceeded(o)),
            executions('failed', (o) => stateMachine.metricFailed(o)),
            executions('aborted', (o) => stateMachine.metricAborted(o)),
            executions('timed out', (o) => stateMachine.metricTimedOut(o)),
          ], [], 12),
          graph('Reconciler lag (s) and stream consumer lag (ms)', [businessMetric(METRIC.reconcilerLag, Stats.MAXIMUM, 'reconciler: oldest waiting work (s)')], [
            props.streamEffects.metric('IteratorAge', { period: PERIOD, statistic: Stats.MAXIMUM, label: 'stream iterator age (ms)' }),
          ], 12),
        ],
        [
          graph('Cases', [businessMetric(METRIC.casesCreated, Stats.SUM, 'created'), businessMetric(METRIC.casesOverdue, Stats.SUM, 'overdue')]),
          graph('Escalations by kind and level', [searchOf(METRIC.escalations, ESCALATION_DIMENSIONS, '')]),
          graph('SLA breaches by level', [searchOf(METRIC.breaches, BREACH_DIMENSIONS, '')]),
        ],
        [
          graph('Emails', [
            businessMetric(METRIC.emailsSent, Stats.SUM, 'sent'),
            businessMetric(METRIC.emailsFailed, Stats.SUM, 'failed'),
            businessMetric(METRIC.emailsSuppressed, Stats.SUM, 'suppressed'),
            businessMetric(METRIC.addressesSuppressed, Stats.SUM, 'addresses suppressed (bounce/complaint)'),
          ]),
          graph('Reconciler and stream repairs', [
            businessMetric(METRIC.timersReplaced, Stats.SUM, 'failed timers replaced'),
            businessMetric(METRIC.timersStartedByReconciler, Stats.SUM, 'timers started by the reconciler'),
            businessMetric(METRIC.streamRecordsRetried, Stats.SUM, 'stream records retried'),
          ]),
          graph('SES bounce rate', [new Metric({ namespace: 'AWS/SES', metricName: 'Reputation.BounceRate', statistic: Stats.MAXIMUM, period: PERIOD, label: 'bounce rate' })]),
        ],
        // Every alarm of the stack, this construct's included (they are all raised through ops.alarm).
        [new AlarmStatusWidget({ title: 'Alarms', alarms: ops.alarms, width: 24, height: Math.max(3, Math.ceil(ops.alarms.length / 4) + 2) })],
      ],
    });
  }
}
