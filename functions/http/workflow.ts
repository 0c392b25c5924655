// Primary adapter: the case's timer executions as ops see them — status, current state, next wake-up and what it is
// for, why each older execution ended, the definition the current one runs (the console draws it), and its history
// in business terms: each wake-up linked to the timeline events it applied.
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { timelinePage } from '../adapters/case-queries.ts';
import { getCase } from '../app/queries.ts';
import { executionArn, executionName, workflowTimer } from '../adapters/workflow-timer.ts';
import { getPolicy } from '../commons/config.ts';
import { json } from '../commons/http.ts';
import type { CaseRecord, TimelineEvent } from '../domain/model.ts';
import { nextWakeUpWithPurpose } from '../domain/sla.ts';
import * as routes from '../routes.ts';
import { caseIdOf } from './case-response.ts';
import { route } from './route-handler.ts';
import type { WorkflowView } from './views.ts';

/** Older executions are summarized, the newest ones described; history only for the current one. */
const DESCRIBE_LAST = 10;
type ExecutionState = WorkflowView['executions'][number]['status'];

type Described = Awaited<ReturnType<typeof workflowTimer.describe>>;

export const getWorkflow = route(import.meta, routes.getWorkflow, async ({ event }) => {
  const id = caseIdOf(event);
  const c = await getCase(id);
  const events = await caseEvents(c);
  const current = c.timer.version;
  const versions = Array.from({ length: Math.min(current, DESCRIBE_LAST) }, (_, i) => current - i);
  const described = await Promise.all(versions.map(async (v) => [v, await workflowTimer.describe(id, v)] as const));
  const byVersion = new Map(described);
  const executions = described.map(([v, d]) => ({
    name: executionName(id, v),
    executionArn: executionArn(id, v),
    timerVersion: v,
    current: v === current,
    status: (d?.status ?? 'NOT_STARTED') as ExecutionState, // the SDK types it as any string
    startDate: d?.startDate?.toISOString(),
    stopDate: d?.stopDate?.toISOString(),
    endReason: endReason(c, events, v, d, byVersion.get(v + 1)),
    ...(consoleUrl(id, executionArn(id, v)) ? { consoleUrl: consoleUrl(id, executionArn(id, v)) } : {}),
  }));
  // The current execution's history and definition; before it has started, the previous one's definition.
  const [history, definition] = await Promise.all([
    workflowTimer.history(id, current).catch(() => []),
    workflowTimer.definition(id, current).then((d) => d ?? (current > 1 ? workflowTimer.definition(id, current - 1) : null)).catch(() => null),
  ]);
  const simplified = explain(history, events, current);
  const running = executions.find((e) => e.current)?.status === 'RUNNING';
  const lastEntered = [...simplified].reverse().find((h) => h.type?.endsWith('StateEntered'));
  const next = nextWakeUpWithPurpose(c, getPolicy());
  const body: WorkflowView = {
    caseId: id,
    timerVersion: current,
    timerPending: c.timer.pending,
    currentState: running ? (lastEntered?.state ?? null) : null,
    nextWakeUp: next?.at ?? null,
    nextWakeUpPurpose: next?.purpose ?? null,
    definition,
    executions,
    history: simplified,
  };
  return json(200, body);
});

/** Why an execution ended, in the words ops use ("superseded by v3: resolved"); null while it is the running one. */
function endReason(c: CaseRecord, events: TimelineEvent[], version: number, d: Described, successor: Described): string | null {
  const newer = version < c.timer.version;
  const supersededBy = () => {
    // The change that handed the timer on: the last change by a person or client before the next execution started.
    const until = successor?.startDate?.getTime() ?? Number.POSITIVE_INFINITY;
    const from = d?.startDate?.getTime() ?? 0;
    const change = [...events].reverse().find((e) => e.actor.kind !== 'system' && Date.parse(e.at) <= until && Date.parse(e.at) >= from - 1000);
    return `superseded by v${version + 1}${change ? `: ${change.type}` : ''}`;
  };
  if (!d) return c.timer.pending && !newer ? 'not started yet (the reconciler starts it)' : 'never started';
  switch (d.status) {
    case 'RUNNING':
      return newer ? `${supersededBy()} (exits at its next wake-up)` : null;
    case 'ABORTED':
      return newer ? supersededBy() : `stopped: ${d.cause ?? d.error ?? 'no cause given'}`;
    case 'SUCCEEDED': {
      const reason = (safeJson(d.output ?? '') as { reason?: string } | undefined)?.reason;
      if (reason === 'superseded' || newer) return supersededBy();
      if (reason === 'deleted') return 'the case no longer exists';
      return `finished: nothing left to wait for (case ${c.status.toLowerCase()})`;
    }
    default:
      return `${(d.status ?? 'ended').toLowerCase().replace('_', ' ')}: ${[d.error, d.cause].filter(Boolean).join(': ') || 'no cause given'}`;
  }
}

/**
 * The history as ops read it: each event keeps its Step Functions fields and gains `meaning`; the Evaluate task's
 * exit lists the timeline events that wake-up applied (`applied`), i.e. the timer's own events since the previous
 * wake-up of this execution.
 */
function explain(history: HistoryEvent[], events: TimelineEvent[], version: number) {
  const timerEvents = events.filter((e) => e.actor.kind === 'system');
  // A wake-up at W applies what fell due after the previous wake-up W' and by W: events carry the instant they fell due.
  let previousWake = (history[0]?.timestamp?.getTime() ?? 0) - 1;
  let wake = previousWake;
  return history.map((h) => {
    const entered = h.stateEnteredEventDetails;
    const exited = h.stateExitedEventDetails;
    const input = entered?.input ? safeJson(entered.input) : undefined;
    const output = exited?.output ? safeJson(exited.output) : undefined;
    const at = h.timestamp?.getTime() ?? 0;
    let meaning: string | undefined;
    let applied: Pick<TimelineEvent, 'id' | 'type' | 'summary' | 'at'>[] | undefined;
    const wakeAt = (v: unknown) => (v && typeof v === 'object' && 'wakeAt' in v ? (v as { wakeAt: string | null }).wakeAt : undefined);
    if (h.type === 'ExecutionStarted') {
      const first = wakeAt(safeJson(h.executionStartedEventDetails?.input ?? ''));
      meaning = `timer v${version} started${first ? `; first wake-up at ${first}` : ''}`;
    } else if (h.type === 'WaitStateEntered') {
      const until = wakeAt(input);
      if (until) wake = Date.parse(until);
      meaning = `waiting until ${until ?? 'the next deadline'}`;
    }
    else if (h.type === 'WaitStateExited') meaning = 'woke up';
    else if (h.type === 'TaskStateExited') {
      const upTo = Math.max(wake, at);
      applied = timerEvents
        .filter((e) => Date.parse(e.at) > previousWake && Date.parse(e.at) <= upTo)
        .map(({ id, type, summary, at: when }) => ({ id, type, at: when, ...(summary ? { summary } : {}) }));
      previousWake = upTo;
      const o = (output ?? {}) as { done?: boolean; reason?: string; wakeAt?: string | null };
      const did = applied.length ? applied.map((e) => e.type).join(', ') : 'nothing was due';
      meaning = o.done ? `${did}; timer ends (${o.reason ?? 'done'})` : `${did}; next wake-up at ${o.wakeAt}`;
    } else if (h.type === 'ExecutionSucceeded') meaning = 'timer ended';
    else if (h.type === 'ExecutionAborted') meaning = `timer stopped${h.executionAbortedEventDetails?.cause ? `: ${h.executionAbortedEventDetails.cause}` : ''}`;
    else if (h.type === 'ExecutionFailed') meaning = `timer failed: ${h.executionFailedEventDetails?.error ?? ''}`;
    return {
      id: h.id,
      type: h.type,
      timestamp: h.timestamp?.toISOString(),
      ...(entered ? { state: entered.name } : exited ? { state: exited.name } : {}),
      ...(input !== undefined ? { input } : {}),
      ...(output !== undefined ? { output } : {}),
      ...(meaning ? { meaning } : {}),
      ...(applied ? { applied } : {}),
    };
  });
}

/** The case's own timeline events, oldest first (every page; emails left out): the one place this route reads them. */
async function caseEvents(c: CaseRecord): Promise<TimelineEvent[]> {
  const events: TimelineEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await timelinePage(c.id, 1000, cursor);
    for (const e of page.entries) if (e.kind === 'event') events.push(e.event);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return events;
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s || undefined;
  }
}

/**
 * Where ops see the execution: the Step Functions console for executions on AWS; the local stack's (account
 * 000000000000) have no such page, so they link to the case's page in the ops console, which draws them.
 */
function consoleUrl(caseId: string, arn: string): string | undefined {
  const [, , , region = 'us-east-1', account] = arn.split(':');
  if (account !== '000000000000') return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${encodeURIComponent(arn)}`;
  const base = getPolicy().notifications.consoleUrl;
  return base ? `${base.replace(/\/$/, '')}/cases/${caseId}#workflow` : undefined;
}
