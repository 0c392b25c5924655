// Observability: the one logger and the one metrics instance of a function, created once per cold start, and the
// business metrics (CloudWatch EMF, namespace METRICS_NAMESPACE) the use cases' results are counted as.
// The log level comes from POWERTOOLS_LOG_LEVEL (or Lambda's advanced logging controls), so the local stack can keep
// the console quiet. The metric names (functions/commons/metric-names.ts) are the dashboard's and alarms' contract.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { TimelineEvent } from '../domain/model.ts';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from './metric-names.ts';

export { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from './metric-names.ts';

export const logger = new Logger({ serviceName: SERVICE_NAME });
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

function count(name: string, value = 1, dimensions?: Record<string, string>, caseId?: string): void {
  if (value <= 0) return;
  if (!dimensions && !caseId) {
    metrics.addMetric(name, MetricUnit.Count, value);
    return;
  }
  // Its own EMF document: dimensions (and the case, as metadata) added to the shared instance would apply to every
  // other metric of the invocation, and one stream batch or reconciler run handles many cases.
  const single = metrics.singleMetric();
  if (dimensions) single.addDimensions(dimensions);
  if (caseId) single.addMetadata('caseId', caseId);
  single.addMetric(name, MetricUnit.Count, value);
}

/** Count what a committed change recorded on the timeline (called once the transaction succeeded). */
export function countCommittedEvents(caseId: string, events: readonly Pick<TimelineEvent, 'type' | 'changes'>[], levelAfter: string): void {
  for (const e of events) {
    const level = e.changes?.['level'];
    switch (e.type) {
      case 'created':
        count(METRIC.casesCreated, 1, undefined, caseId);
        break;
      case 'escalated':
        count(METRIC.escalations, 1, { kind: 'hierarchical', level: String(level?.after ?? levelAfter) }, caseId);
        break;
      case 'transferred':
        count(METRIC.escalations, 1, { kind: 'functional', level: levelAfter }, caseId);
        break;
      case 'sla.breached':
        count(METRIC.breaches, 1, { level: String(level?.before ?? levelAfter) }, caseId);
        break;
      case 'sla.overdue':
        count(METRIC.casesOverdue, 1, undefined, caseId);
        // At the 30-day deadline the case goes to the top level: that is an escalation too.
        if (level) count(METRIC.escalations, 1, { kind: 'hierarchical', level: String(level.after) }, caseId);
        break;
    }
  }
}

/** Count an email's settled outcome. */
export function countEmailOutcome(caseId: string, state: string): void {
  if (state === 'SENT') count(METRIC.emailsSent, 1, undefined, caseId);
  else if (state === 'FAILED') count(METRIC.emailsFailed, 1, undefined, caseId);
  else if (state === 'SUPPRESSED') count(METRIC.emailsSuppressed, 1, undefined, caseId);
}

export function countMetric(name: (typeof METRIC)[keyof typeof METRIC], value = 1): void {
  count(name, value);
}

export function gauge(name: (typeof METRIC)[keyof typeof METRIC], value: number, unit: (typeof MetricUnit)[keyof typeof MetricUnit] = MetricUnit.Seconds): void {
  metrics.addMetric(name, unit, value);
}
