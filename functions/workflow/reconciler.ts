// Scheduled task: the guarantee behind every "best effort" — any case whose timer start was not confirmed gets
// it started (idempotent by name), any unsent email is sent, and any timer execution that failed is replaced.
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { caseRepository } from '../adapters/case-repository.ts';
import { changeCase, settle } from '../app/cases.ts';
import { sfn } from '../commons/clients/sfn.ts';
import { getPolicy, stateMachineArn } from '../commons/config.ts';
import { logger } from '../commons/observability.ts';
import { systemActor } from '../domain/change.ts';
import { nextWakeUp } from '../domain/sla.ts';

export interface ReconcileReport {
  checked: number;
  timersStarted: number;
  outboxesDrained: number;
  failedTimersReplaced: number;
}

/** Cases written less than this long ago are left to the request that wrote them. */
const GRACE_MS = 5_000;

export const handler = async (): Promise<ReconcileReport> => {
  const report: ReconcileReport = { checked: 0, timersStarted: 0, outboxesDrained: 0, failedTimersReplaced: 0 };
  for (const id of await caseRepository.needingAttention(200)) {
    report.checked++;
    try {
      const c = await caseRepository.get(id);
      if (!c) continue;
      if (Date.now() - Date.parse(c.updatedAt) < GRACE_MS) continue;
      if (c.timer.pending) report.timersStarted++;
      if (c.outbox.length) report.outboxesDrained++;
      await settle(c);
      await caseRepository.clearAttentionIfSettled(id);
    } catch (e) {
      logger.error('reconcile failed for a case', { caseId: id, error: e as Error });
    }
  }
  report.failedTimersReplaced = await replaceFailedTimers();
  if (report.timersStarted || report.outboxesDrained || report.failedTimersReplaced) logger.info('reconciled', { ...report });
  return report;
};

/** A timer execution that failed (after its retries) is replaced by a new one if it still owned its case. */
async function replaceFailedTimers(): Promise<number> {
  let replaced = 0;
  for (const statusFilter of ['FAILED', 'TIMED_OUT'] as const) {
    const r = await sfn.send(new ListExecutionsCommand({ stateMachineArn: stateMachineArn(), statusFilter, maxResults: 100 }));
    for (const ex of r.executions ?? []) {
      const m = /^(.+)-v(\d+)$/.exec(ex.name ?? '');
      if (!m) continue;
      const [, caseId, version] = m as unknown as [string, string, string];
      const c = await caseRepository.get(caseId);
      if (!c || c.timer.version !== Number(version) || nextWakeUp(c, getPolicy()) === null) continue;
      await changeCase(caseId, (cur) => ({ ...cur, timer: { version: cur.timer.version + 1, pending: true } }), {
        actor: systemActor,
        retime: false,
        onlyForTimerVersion: Number(version),
      });
      replaced++;
    }
  }
  return replaced;
}
