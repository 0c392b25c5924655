// Workflow task (the one Lambda in the escalation workflow): on every wake-up re-read the case, apply what is due
// with pure domain code, and tell the workflow when to wake next. The emails that owes go out from the table's stream.
// Re-entrant: running it twice, or after a restart, applies nothing twice (each change is a conditional write on the
// case version).
import * as z from '../domain/zod.ts';
import { caseStore } from '../adapters/case-store.ts';
import { cases } from '../app/wiring.ts';
import { getPolicy } from '../commons/config.ts';
import { observed, tagCase } from '../commons/middleware.ts';
import { logger } from '../commons/observability.ts';
import { systemActor } from '../domain/change.ts';
import { applyDueTimers, nextWakeUp } from '../domain/sla.ts';

/** The execution's input (and, after the first wake-up, the previous Evaluate's output); wakeAt is not needed here. */
const TimerInput = z.object({ caseId: z.string().check(z.minLength(1)), timerVersion: z.int().check(z.positive()) });

export interface EvaluateResult {
  caseId: string;
  timerVersion: number;
  /** When to wake next (Wait TimestampPath), or null with done = true. */
  wakeAt: string | null;
  done: boolean;
  /** Why the workflow ends, when it does. */
  reason?: 'superseded' | 'deleted' | 'nothing-left';
}

export const handler = observed('evaluate', async (event: unknown): Promise<EvaluateResult> => {
  const { caseId, timerVersion } = TimerInput.parse(event);
  tagCase(caseId);
  const stored = await caseStore.get(caseId);
  if (!stored) return { caseId, timerVersion, wakeAt: null, done: true, reason: 'deleted' };
  if (stored.timer.version !== timerVersion) return { caseId, timerVersion, wakeAt: null, done: true, reason: 'superseded' };
  // Running is proof this execution started: confirm it, so the reconciler leaves the case alone.
  if (stored.timer.pending) await caseStore.confirmTimer(caseId, timerVersion);

  const { after } = await cases.changeCase(caseId, (c, ctx) => applyDueTimers(c, ctx), {
    actor: systemActor,
    retime: false,
    onlyForTimerVersion: timerVersion,
    // One read per wake-up: the conditional write catches a case that changed since (and then re-reads it). After a
    // confirmation the stored item changed, so it is read again rather than written back unconfirmed.
    ...(stored.timer.pending ? {} : { current: stored }),
  });
  if (after.timer.version !== timerVersion) return { caseId, timerVersion, wakeAt: null, done: true, reason: 'superseded' };

  const wakeAt = nextWakeUp(after, getPolicy());
  logger.info('timer evaluated', { caseId, timerVersion, caseLevel: after.level, caseStatus: after.status, wakeAt });
  return wakeAt === null
    ? { caseId, timerVersion, wakeAt: null, done: true, reason: 'nothing-left' }
    : { caseId, timerVersion, wakeAt, done: false };
});
