// Application: the use cases every route and the timer share. A change is read → pure domain operation →
// one conditional write; then the effects it owes (timer hand-over, emails) are settled, best effort, with the
// reconciler as the guarantee for anything a crash interrupts.
import { ulid } from 'ulid';
import { caseRepository, CaseExistsError, ReferenceTakenError, StaleVersionError } from '../adapters/case-repository.ts';
import { workflowTimer } from '../adapters/workflow-timer.ts';
import { getPolicy } from '../commons/config.ts';
import { logger } from '../commons/observability.ts';
import type { ChangeContext } from '../domain/change.ts';
import { ConflictError, NotFoundError, VersionConflictError } from '../domain/errors.ts';
import type { Actor, CaseRecord } from '../domain/model.ts';
import { getCase } from './queries.ts';
import { newCase, retimeIfNeeded, type CreateCaseInput } from '../domain/operations.ts';
import { nextWakeUp } from '../domain/sla.ts';
import type { z } from 'zod';
import { deliverOutbox } from '../notifications/outbox.ts';

export type Operation = (c: CaseRecord, ctx: ChangeContext) => CaseRecord;

export interface ChangeOptions {
  actor: Actor;
  ifMatch?: number | undefined;
  idempotencyKey?: string | undefined;
  /** The timer's own wake-ups keep their execution; every other change hands the timer over when deadlines move. */
  retime?: boolean;
  /** Skip the change when the case's timer belongs to another execution (the timer's stale wake-ups). */
  onlyForTimerVersion?: number;
  /** The case as the caller just read it, used for the first attempt instead of reading it again. */
  current?: CaseRecord;
}

/**
 * Lost races without If-Match are retried on the fresh case with exponential backoff and full jitter (so a burst of
 * concurrent writers spreads out instead of colliding again round after round), for at most this long: well inside
 * the route functions' timeout. Only then is the caller told to retry (409).
 */
const RETRY_FOR_MS = 8_000;
const BACKOFF_BASE_MS = 10;
const BACKOFF_MAX_MS = 1000;

/**
 * Requests stop well short of DynamoDB's 400 KB item limit, so the timer's own small changes (escalations, flags)
 * always still fit: a full case keeps escalating.
 */
export const CASE_SIZE_LIMIT_FOR_REQUESTS = 300_000;

function context(actor: Actor, idempotencyKey?: string): ChangeContext {
  return { now: new Date(), actor, policy: getPolicy(), newId: ulid, idempotencyKey };
}

/** Reference attempts before giving up: each collides with odds of about cases / 2^30. */
const REFERENCE_ATTEMPTS = 8;

export async function createCase(id: string, input: z.output<typeof CreateCaseInput>, actor: Actor, idempotencyKey?: string): Promise<CaseRecord> {
  const ctx = context(actor, idempotencyKey);
  let c = newCase(id, input, ctx);
  // The short reference must be unique: claim it first; a taken one moves to the next one derived from the id.
  for (let attempt = 1; ; attempt++) {
    try {
      await caseRepository.claimReference(c.reference!, id);
      break;
    } catch (e) {
      if (!(e instanceof ReferenceTakenError) || attempt >= REFERENCE_ATTEMPTS) throw e;
      c = newCase(id, input, ctx, attempt);
    }
  }
  try {
    await caseRepository.create(c);
  } catch (e) {
    if (e instanceof CaseExistsError) {
      const existing = await caseRepository.get(id);
      if (existing) return existing;
    }
    throw e;
  }
  await settle(c);
  return c;
}


/**
 * Apply `op` to the current case with an optimistic lock. With If-Match a lost race is the client's 409; without
 * it the change is re-applied to the fresh case (the operation re-checks the state), so concurrent actions never
 * lose an update: each either lands or gets a conflict.
 * Returns the case before and after; `after === before` when the operation changed nothing.
 */
export async function changeCase(id: string, op: Operation, opts: ChangeOptions): Promise<{ before: CaseRecord; after: CaseRecord }> {
  const giveUpAt = Date.now() + RETRY_FOR_MS;
  for (let attempt = 0; ; attempt++) {
    const before = attempt === 0 && opts.current ? opts.current : await getCase(id);
    if (opts.onlyForTimerVersion !== undefined && before.timer.version !== opts.onlyForTimerVersion) return { before, after: before };
    if (opts.ifMatch !== undefined && before.version !== opts.ifMatch) {
      throw new VersionConflictError(`the case is at version ${before.version}, not ${opts.ifMatch}`);
    }
    const changed = op(before, context(opts.actor, opts.idempotencyKey));
    if (changed === before) return { before, after: before };
    const retimed = opts.retime === false ? changed : retimeIfNeeded(before, changed, getPolicy());
    const after: CaseRecord = { ...retimed, version: before.version + 1 };
    if (opts.retime !== false && Buffer.byteLength(JSON.stringify(after)) > CASE_SIZE_LIMIT_FOR_REQUESTS) {
      throw new ConflictError(
        `the case's record is full (its timeline is kept on the case, up to ${CASE_SIZE_LIMIT_FOR_REQUESTS / 1000} KB); shorten the text, or resolve it and open a follow-up case`,
      );
    }
    try {
      await caseRepository.replace(after, before.version);
    } catch (e) {
      if (!(e instanceof StaleVersionError)) throw e;
      if (opts.ifMatch !== undefined) throw new VersionConflictError('the case changed while this request was applied; re-read it and retry');
      const backoff = Math.random() * Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
      if (Date.now() + backoff >= giveUpAt) throw new VersionConflictError('the case is changing too fast; retry shortly');
      await new Promise((r) => setTimeout(r, backoff));
      continue;
    }
    await settle(after, before);
    return { before, after };
  }
}

/**
 * The effects a committed change owes, each idempotent: stop the previous timer, start the current one (its
 * deterministic name makes a second start a no-op) and confirm it, send owed email. Failures are logged, not
 * thrown: the change is already safe, and the reconciler finishes whatever is left.
 */
export async function settle(after: CaseRecord, before?: CaseRecord): Promise<void> {
  try {
    if (before && before.timer.version !== after.timer.version) {
      await workflowTimer.stop(after.id, before.timer.version, `timer handed to version ${after.timer.version}`);
    }
    if (after.timer.pending) {
      // The execution's first state waits for this instant; the same case state always gives the same input, so a
      // retried start (here or in the reconciler) is recognised as the same execution.
      const wakeAt = nextWakeUp(after, getPolicy());
      if (wakeAt !== null) await workflowTimer.start(after.id, after.timer.version, wakeAt);
      await caseRepository.confirmTimer(after.id, after.timer.version);
    }
  } catch (e) {
    logger.warn('timer hand-over deferred to the reconciler', { caseId: after.id, error: e as Error });
  }
  try {
    await deliverOutbox(after);
  } catch (e) {
    logger.warn('email delivery deferred to the reconciler', { caseId: after.id, error: e as Error });
  }
}
