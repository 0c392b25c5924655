// Application: the use cases every route and the timer share. A change is: one read (the case, and the
// Idempotency-Key's record when there is one) → a pure domain operation → one transaction (the case conditional on its
// version, its new events and owed emails, the idempotency record). Nothing else happens in the request: the effects
// (emails, timer hand-over) follow from the table's stream (functions/app/effects.ts), so a crash anywhere loses nothing.
import { incrementBase32, ulid } from 'ulid';
import type { ChangeContext } from '../domain/change.ts';
import { IdempotencyKeyReuseError, NotFoundError, VersionConflictError } from '../domain/errors.ts';
import type { Actor, CaseRecord } from '../domain/model.ts';
import { newCase, retimeIfNeeded, type CaseOrigin, type CreateCaseInput } from '../domain/operations.ts';
import type { Policy } from '../domain/policy.ts';
import type * as z from '../domain/zod.ts';
import {
  IdempotencyRecordExistsError,
  ReferenceTakenError,
  StaleVersionError,
  type CaseStore,
  type IdempotencyRecord,
  type StoredResponse,
} from './ports.ts';

export type Operation = (c: CaseRecord, ctx: ChangeContext) => CaseRecord;

/** An Idempotency-Key and what to store for it: the response the first request got. */
export interface Idempotency {
  /** Scope of the key: the client, so two clients' keys never collide. */
  clientId: string;
  key: string;
  /** The request's canonical hash: the same key with another request is refused. */
  hash: string;
  respond: (c: CaseRecord) => StoredResponse;
  /** How long the key is remembered, when not the store's default. */
  keepSeconds?: number;
}

export interface ChangeOptions {
  actor: Actor;
  ifMatch?: number | undefined;
  idempotency?: Idempotency | undefined;
  /** The timer's own wake-ups keep their execution; every other change hands the timer over when deadlines move. */
  retime?: boolean;
  /** Skip the change when the case's timer belongs to another execution (the timer's stale wake-ups). */
  onlyForTimerVersion?: number;
  /** The case as the caller just read it, used for the first attempt instead of reading it again. */
  current?: CaseRecord;
}

export interface ChangeResult {
  before: CaseRecord;
  /** `after === before` when the operation changed nothing. */
  after: CaseRecord;
  /** With an Idempotency-Key: the response stored for it (the first one, on a replay). */
  response?: StoredResponse;
}

export interface CasePorts {
  store: CaseStore;
  policy: () => Policy;
  now?: () => Date;
}

/**
 * Lost races without If-Match are retried on the fresh case with exponential backoff and full jitter (so a burst of
 * concurrent writers spreads out instead of colliding again round after round), for at most this long: well inside
 * the route functions' timeout. Only then is the caller told to retry (409).
 */
const RETRY_FOR_MS = 8_000;
const BACKOFF_BASE_MS = 10;
const BACKOFF_MAX_MS = 1000;
/** Reference attempts before giving up: each collides with odds of about cases / 2^30. */
const REFERENCE_ATTEMPTS = 8;

/**
 * Event ids are ULIDs that sort after the case's newest stored event, whatever the clocks of the writers say: the
 * timeline's key order is the order events were recorded in.
 */
export function idsAfter(last: string | undefined): () => string {
  let prev = last;
  return () => {
    let id = ulid();
    if (prev && id <= prev) id = incrementBase32(prev);
    prev = id;
    return id;
  };
}

export function replayed(r: StoredResponse): StoredResponse {
  return { ...r, headers: { ...r.headers, 'idempotent-replayed': 'true' } };
}

function replay(record: IdempotencyRecord, idem: Idempotency): StoredResponse {
  if (record.requestHash !== idem.hash) throw new IdempotencyKeyReuseError('this Idempotency-Key was already used for a different request');
  return replayed(record.response);
}

export function caseUseCases(ports: CasePorts) {
  const { store } = ports;
  const now = ports.now ?? (() => new Date());
  const context = (actor: Actor, lastEventId: string | undefined, idempotencyKey?: string): ChangeContext => ({
    now: now(),
    actor,
    policy: ports.policy(),
    newId: idsAfter(lastEventId),
    idempotencyKey,
  });
  const recordFor = (idem: Idempotency, c: CaseRecord): IdempotencyRecord => ({
    clientId: idem.clientId,
    key: idem.key,
    requestHash: idem.hash,
    response: idem.respond(c),
    ...(idem.keepSeconds ? { keepSeconds: idem.keepSeconds } : {}),
  });
  /** A concurrent request with the same key won: answer as it did. */
  const replayWinner = async (idem: Idempotency): Promise<StoredResponse> => {
    const record = await store.getIdempotency(idem.clientId, idem.key);
    if (!record) throw new VersionConflictError('a request with this Idempotency-Key is in progress; retry shortly');
    return replay(record, idem);
  };

  /** Create a case: one transaction (the case, its reference's claim, its `created` event, the acknowledgement it owes, the key's record). */
  async function createCase(
    id: string,
    input: z.output<typeof CreateCaseInput>,
    actor: Actor,
    idem?: Idempotency,
    origin?: CaseOrigin,
  ): Promise<{ case?: CaseRecord; response?: StoredResponse }> {
    if (idem) {
      const record = await store.getIdempotency(idem.clientId, idem.key);
      if (record) return { response: replay(record, idem) };
    }
    const ctx = context(actor, undefined, idem ? `${idem.clientId}/${idem.key}` : undefined);
    // The short reference is claimed in the create's transaction; a taken one moves to the next one derived from the id.
    for (let attempt = 0; ; attempt++) {
      const c = newCase(id, input, ctx, attempt, origin);
      const idempotency = idem ? recordFor(idem, c) : undefined;
      try {
        await store.commit({ case: c, expectedVersion: null, events: c.newEvents, emails: c.owedEmails, ...(idempotency ? { idempotency } : {}) });
      } catch (e) {
        if (e instanceof IdempotencyRecordExistsError && idem) return { response: await replayWinner(idem) };
        if (e instanceof ReferenceTakenError && attempt + 1 < REFERENCE_ATTEMPTS) continue;
        throw e;
      }
      return { case: c, ...(idempotency ? { response: idempotency.response } : {}) };
    }
  }

  /**
   * Apply `op` to the current case with an optimistic lock. With If-Match a lost race is the client's 409; without
   * it the change is re-applied to the fresh case (the operation re-checks the state), so concurrent actions never
   * lose an update: each either lands or gets a conflict.
   */
  async function changeCase(id: string, op: Operation, opts: ChangeOptions): Promise<ChangeResult> {
    const idem = opts.idempotency;
    const giveUpAt = Date.now() + RETRY_FOR_MS;
    for (let attempt = 0; ; attempt++) {
      let before: CaseRecord | undefined;
      if (attempt === 0 && opts.current) before = opts.current;
      else if (idem) {
        const read = await store.getWithIdempotency(id, idem.clientId, idem.key);
        if (read.record) return { before: read.case!, after: read.case!, response: replay(read.record, idem) };
        before = read.case;
      } else before = await store.get(id);
      if (!before) throw new NotFoundError(`no case ${id}`);
      if (opts.onlyForTimerVersion !== undefined && before.timer.version !== opts.onlyForTimerVersion) return { before, after: before };
      if (opts.ifMatch !== undefined && before.version !== opts.ifMatch) {
        throw new VersionConflictError(`the case is at version ${before.version}, not ${opts.ifMatch}`);
      }
      const changed = op(before, context(opts.actor, before.lastEventId, idem ? `${idem.clientId}/${idem.key}` : undefined));
      if (changed === before) {
        if (!idem) return { before, after: before };
        // Nothing to apply, but a replay must still answer what this request answered.
        const record = recordFor(idem, before);
        try {
          await store.putIdempotency(record);
        } catch (e) {
          if (e instanceof IdempotencyRecordExistsError) return { before, after: before, response: await replayWinner(idem) };
          throw e;
        }
        return { before, after: before, response: record.response };
      }
      const retimed = opts.retime === false ? changed : retimeIfNeeded(before, changed, ports.policy());
      const after: CaseRecord = { ...retimed, version: before.version + 1 };
      const idempotency = idem ? recordFor(idem, after) : undefined;
      try {
        await store.commit({ case: after, expectedVersion: before.version, events: after.newEvents, emails: after.owedEmails, ...(idempotency ? { idempotency } : {}) });
      } catch (e) {
        if (e instanceof IdempotencyRecordExistsError && idem) return { before, after: before, response: await replayWinner(idem) };
        if (!(e instanceof StaleVersionError)) throw e;
        if (opts.ifMatch !== undefined) throw new VersionConflictError('the case changed while this request was applied; re-read it and retry');
        const backoff = Math.random() * Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
        if (Date.now() + backoff >= giveUpAt) throw new VersionConflictError('the case is changing too fast; retry shortly');
        await new Promise((r) => setTimeout(r, backoff));
        continue;
      }
      return { before, after, ...(idempotency ? { response: idempotency.response } : {}) };
    }
  }

  return { createCase, changeCase };
}

export type CaseUseCases = ReturnType<typeof caseUseCases>;
