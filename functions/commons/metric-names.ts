// The business metrics' names and dimensions: the contract between the functions that emit them (EMF, through
// functions/commons/observability.ts) and the dashboard and alarms that read them (lib/observability.ts). No imports:
// the CDK app reads it without constructing a logger.
export const SERVICE_NAME = 'escalator';
export const METRICS_NAMESPACE = 'Escalator';

/** Every business metric, by name (lib/observability.ts draws and alarms on these). */
export const METRIC = {
  casesCreated: 'CasesCreated',
  /** Dimensions kind (hierarchical | functional) and level (the level the case is at afterwards). */
  escalations: 'Escalations',
  /** Dimension level: the level whose budget ran out. */
  breaches: 'SlaBreaches',
  casesOverdue: 'CasesOverdue',
  emailsSent: 'EmailsSent',
  emailsFailed: 'EmailsFailed',
  emailsSuppressed: 'EmailsSuppressed',
  /** SES bounce/complaint notifications that suppressed an address (bounce handler). */
  addressesSuppressed: 'AddressesSuppressed',
  timersReplaced: 'TimersReplaced',
  timersStartedByReconciler: 'TimersStartedByReconciler',
  /** Seconds since the oldest work the reconciler found still waiting became due (0 when none). */
  reconcilerLag: 'ReconcilerLagSeconds',
  streamRecordsRetried: 'StreamRecordsRetried',
} as const;

/** The dimensions of the metrics that have them, for the dashboard's searches. */
export const ESCALATION_DIMENSIONS = ['service', 'kind', 'level'] as const;
export const BREACH_DIMENSIONS = ['service', 'level'] as const;
