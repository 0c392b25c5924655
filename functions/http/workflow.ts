// Primary adapter: the case's timer executions as ops see them — status, current state, next wake-up, history.
import { getCase } from '../app/queries.ts';
import { executionArn, executionName, workflowTimer } from '../adapters/workflow-timer.ts';
import { getPolicy } from '../commons/config.ts';
import { httpHandler, json } from '../commons/http.ts';
import { nextWakeUp } from '../domain/sla.ts';
import { caseIdOf } from './case-response.ts';
import type { WorkflowView } from './views.ts';

/** Older executions are summarized, the newest ones described; history only for the current one. */
const DESCRIBE_LAST = 10;
type ExecutionState = WorkflowView['executions'][number]['status'];

export const getWorkflow = httpHandler(async (event) => {
  const id = caseIdOf(event);
  const c = await getCase(id);
  const current = c.timer.version;
  const versions = Array.from({ length: Math.min(current, DESCRIBE_LAST) }, (_, i) => current - i);
  const executions = await Promise.all(
    versions.map(async (v) => {
      const d = await workflowTimer.describe(id, v);
      return {
        name: executionName(id, v),
        executionArn: executionArn(id, v),
        timerVersion: v,
        current: v === current,
        status: (d?.status ?? 'NOT_STARTED') as ExecutionState, // the SDK types it as any string
        startDate: d?.startDate?.toISOString(),
        stopDate: d?.stopDate?.toISOString(),
        consoleUrl: consoleUrl(executionArn(id, v)),
      };
    }),
  );
  const history = await workflowTimer.history(id, current).catch(() => []);
  const simplified = history.map((h) => {
    const entered = h.stateEnteredEventDetails;
    const exited = h.stateExitedEventDetails;
    return {
      id: h.id,
      type: h.type,
      timestamp: h.timestamp?.toISOString(),
      ...(entered ? { state: entered.name } : exited ? { state: exited.name } : {}),
      ...(entered?.input ? { input: safeJson(entered.input) } : {}),
      ...(exited?.output ? { output: safeJson(exited.output) } : {}),
    };
  });
  const running = executions.find((e) => e.current)?.status === 'RUNNING';
  const lastEntered = [...simplified].reverse().find((h) => h.type?.endsWith('StateEntered'));
  const body: WorkflowView = {
    caseId: id,
    timerVersion: current,
    timerPending: c.timer.pending,
    currentState: running ? (lastEntered?.state ?? null) : null,
    nextWakeUp: nextWakeUp(c, getPolicy()),
    executions,
    history: simplified,
  };
  return json(200, body);
});

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

/** Where ops find the execution in the AWS console (local ARNs get a link that explains itself). */
function consoleUrl(arn: string): string {
  const region = arn.split(':')[3] ?? 'us-east-1';
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${encodeURIComponent(arn)}`;
}
