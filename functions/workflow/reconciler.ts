// Scheduled task: the backstop for every effect the stream consumer gave up on (or never got to, e.g. after a long
// outage): any case whose timer start is unconfirmed gets it started (idempotent by name), any email still owed is
// sent (claimed first, so never twice), pre-breach warnings held for a digest go out together once their span closes,
// and any timer execution that failed is replaced.
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { needingAttention } from '../adapters/case-queries.ts';
import { caseStore } from '../adapters/case-store.ts';
import { emailStore } from '../adapters/email-store.ts';
import { effects } from '../app/effects-wiring.ts';
import type { EmailRecord } from '../app/ports.ts';
import { cases } from '../app/wiring.ts';
import { sfn } from '../commons/clients/sfn.ts';
import { getPolicy, stateMachineArn } from '../commons/config.ts';
import { observed } from '../commons/middleware.ts';
import { countMetric, gauge, logger, METRIC } from '../commons/observability.ts';
import { systemActor } from '../domain/change.ts';
import { warningDigestMs } from '../domain/policy.ts';
import { nextWakeUp } from '../domain/sla.ts';

export interface ReconcileReport {
  checked: number;
  timersStarted: number;
  emailsSent: number;
  failedTimersReplaced: number;
}

/** Work younger than this is left to the stream consumer, which is normally done with it in milliseconds. */
const GRACE_MS = 5_000;


export const handler = observed('reconciler', async (): Promise<ReconcileReport> => {
  const report: ReconcileReport = { checked: 0, timersStarted: 0, emailsSent: 0, failedTimersReplaced: 0 };
  const now = Date.now();
  const olderThan = new Date(now - GRACE_MS).toISOString();
  // Held warnings are the reconciler's own work, not the stream's: every one is seen however young, or a digest whose
  // span has closed would go out without the warnings that joined it in the last GRACE_MS.
  const digests = warningDigestMs(getPolicy()) !== null;
  const isHeldWarning = (emailKey: string | undefined) => digests && emailKey?.split('/')[2] === 'breach-warning';
  const attention = (await needingAttention(200, new Date(now).toISOString())).filter((i) => i.since < olderThan || isHeldWarning(i.emailKey));
  // The index is sorted by since: the oldest work not waiting for a digest is what has waited longest (the lag alarm's
  // metric; a held warning waits by design).
  const oldest = attention.find((i) => !isHeldWarning(i.emailKey));
  gauge(METRIC.reconcilerLag, oldest ? Math.max(0, (now - Date.parse(oldest.since)) / 1000) : 0);
  // Pre-breach warnings held for a digest are gathered across cases and sent together after the loop.
  const warnings: EmailRecord[] = [];
  for (const item of attention) {
    report.checked++;
    try {
      if (item.kind === 'case') {
        const c = await caseStore.get(item.caseId);
        if (!c?.timer.pending) continue;
        await effects.handOverTimer(c);
        report.timersStarted++;
        logger.info('timer started by the reconciler', { caseId: item.caseId, timerVersion: c.timer.version });
      } else if (item.emailKey) {
        const email = await emailStore.getEmail(item.caseId, item.emailKey);
        if (!email) continue;
        if (email.template === 'breach-warning' && email.state === 'OWED') warnings.push(email);
        else if ((await effects.deliverEmail(email)) === 'SENT') report.emailsSent++;
      }
    } catch (e) {
      logger.error('reconcile failed for a case', { caseId: item.caseId, error: e as Error });
    }
  }
  try {
    report.emailsSent += await effects.sendWarningDigests(warnings);
  } catch (e) {
    logger.error('warning digests failed', { error: e as Error });
  }
  report.failedTimersReplaced = await replaceFailedTimers();
  countMetric(METRIC.timersStartedByReconciler, report.timersStarted);
  countMetric(METRIC.timersReplaced, report.failedTimersReplaced);
  if (report.timersStarted || report.emailsSent || report.failedTimersReplaced) logger.info('reconciled', { ...report });
  return report;
});

/** A timer execution that failed (after its retries) is replaced by a new one if it still owned its case. */
async function replaceFailedTimers(): Promise<number> {
  let replaced = 0;
  for (const statusFilter of ['FAILED', 'TIMED_OUT'] as const) {
    const r = await sfn().send(new ListExecutionsCommand({ stateMachineArn: stateMachineArn(), statusFilter, maxResults: 100 }));
    for (const ex of r.executions ?? []) {
      const m = /^(.+)-v(\d+)$/.exec(ex.name ?? '');
      if (!m) continue;
      const [, caseId, version] = m as unknown as [string, string, string];
      const c = await caseStore.get(caseId);
      if (!c || c.timer.version !== Number(version) || nextWakeUp(c, getPolicy()) === null) continue;
      // A new timer version: the stream consumer starts its execution.
      await cases.changeCase(caseId, (cur) => ({ ...cur, timer: { version: cur.timer.version + 1, pending: true } }), {
        actor: systemActor,
        retime: false,
        onlyForTimerVersion: Number(version),
      });
      replaced++;
      logger.info('failed timer replaced', { caseId, failedExecution: ex.name, status: statusFilter });
    }
  }
  return replaced;
}
