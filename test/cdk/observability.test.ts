// CDK: the dashboard operations look at and the alarms on the API's 5xx rate, failed executions, the reconciler's lag,
// email failures and the SES bounce rate — each sending to the alarm topic, none duplicated.
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { METRIC, METRICS_NAMESPACE } from '../../functions/commons/metric-names.ts';
import { BOUNCE_RATE, RECONCILER_LAG_SECONDS, SERVER_ERROR_RATE_PERCENT } from '../../lib/observability.ts';
import { defaultSynth } from './synth.ts';

type Resource = { Type: string; Properties?: Record<string, unknown> };
const resources = () => Object.entries(defaultSynth().json.Resources) as [string, Resource][];
const alarms = () => resources().filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm');
const alarmByDescription = (pattern: RegExp) => {
  const found = alarms().filter(([, r]) => pattern.test(String(r.Properties?.['AlarmDescription'] ?? '')));
  expect(found, `one alarm matching ${pattern}`).toHaveLength(1);
  return found[0]![1].Properties!;
};
const topicRef = () => ({ Ref: defaultSynth().logicalId(defaultSynth().stack.ops.alarmTopic) });

/** The dashboard body with its tokens (ids of the API, the state machine…) left as markers: the JSON CloudWatch gets. */
function dashboardBody(): { widgets: { type: string; properties: Record<string, unknown> }[] } {
  const [, dashboard] = resources().find(([, r]) => r.Type === 'AWS::CloudWatch::Dashboard')!;
  const body = dashboard.Properties!['DashboardBody'] as { 'Fn::Join': [string, unknown[]] } | string;
  const text = typeof body === 'string' ? body : body['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('');
  return JSON.parse(text) as ReturnType<typeof dashboardBody>;
}

describe('dashboard', () => {
  it('is in the stack, named in an output', () => {
    const { template } = defaultSynth();
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasOutput('DashboardName', {});
  });

  it('shows API traffic, errors and latency; executions started/succeeded/failed/aborted; the business metrics; the reconciler\'s lag; every alarm', () => {
    const widgets = dashboardBody().widgets;
    const titles = widgets.map((w) => String(w.properties['title'] ?? ''));
    for (const t of ['API traffic', 'API errors', 'API latency (ms)', 'Workflow executions', 'Cases', 'Escalations by kind and level', 'SLA breaches by level', 'Emails', 'Reconciler and stream repairs', 'Alarms']) {
      expect(titles).toContain(t);
    }
    const text = JSON.stringify(widgets);
    for (const m of ['Count', '4xx', '5xx', 'Latency', 'ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsAborted']) expect(text).toContain(`"${m}"`);
    // Every business metric the functions emit is drawn, in the functions' namespace.
    for (const name of Object.values(METRIC)) expect(text).toContain(name);
    expect(text).toContain(`"${METRICS_NAMESPACE}"`);
    expect(text).toContain(`SEARCH('{${METRICS_NAMESPACE},service,kind,level} MetricName=\\"Escalations\\"'`);
    // The alarm status widget lists every alarm of the stack.
    const status = widgets.find((w) => w.type === 'alarm')!;
    expect((status.properties['alarms'] as unknown[]).length).toBe(alarms().length);
  });
});

describe('alarms', () => {
  it('on the API\'s 5xx rate: 5xx over requests, as a percentage', () => {
    const p = alarmByDescription(/5xx/);
    expect(p['Threshold']).toBe(SERVER_ERROR_RATE_PERCENT);
    const metrics = p['Metrics'] as { Expression?: string; MetricStat?: { Metric: { MetricName: string; Namespace: string } } }[];
    expect(metrics.find((m) => m.Expression)?.Expression).toBe('IF(requests > 0, 100 * errors / requests, 0)');
    expect(metrics.filter((m) => m.MetricStat).map((m) => `${m.MetricStat!.Metric.Namespace}/${m.MetricStat!.Metric.MetricName}`).sort()).toEqual(['AWS/ApiGateway/5xx', 'AWS/ApiGateway/Count']);
  });

  it('on failed executions (raised by the workflow construct, not a second time here)', () => {
    const failed = alarms().filter(([, r]) => r.Properties?.['MetricName'] === 'ExecutionsFailed');
    expect(failed).toHaveLength(1);
    expect(failed[0]![1].Properties).toMatchObject({ Namespace: 'AWS/States', Statistic: 'Sum', Threshold: 1 });
  });

  it('on the reconciler\'s lag, where silence counts as trouble', () => {
    const p = alarmByDescription(/reconciler found work/);
    expect(p).toMatchObject({ Namespace: METRICS_NAMESPACE, MetricName: METRIC.reconcilerLag, Statistic: 'Maximum', Threshold: RECONCILER_LAG_SECONDS, TreatMissingData: 'breaching' });
  });

  it('on email failures and on the SES bounce rate', () => {
    expect(alarmByDescription(/email failed for good/)).toMatchObject({ Namespace: METRICS_NAMESPACE, MetricName: METRIC.emailsFailed, Statistic: 'Sum', Threshold: 1 });
    expect(alarmByDescription(/bounce rate/)).toMatchObject({ Namespace: 'AWS/SES', MetricName: 'Reputation.BounceRate', Statistic: 'Maximum', Threshold: BOUNCE_RATE });
  });

  it('every alarm notifies the alarm topic', () => {
    for (const [id, r] of alarms()) expect(r.Properties?.['AlarmActions'], id).toEqual([topicRef()]);
    defaultSynth().template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: Match.arrayWith([topicRef()]) });
  });
});
