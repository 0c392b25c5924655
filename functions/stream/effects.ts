// Primary adapter: the consumer of the cases table's stream (a Lambda event source mapping on AWS, the local poller
// in local/stream-poller.ts), doing the effects each committed change owes: the timer hand-over when a case's timer is
// pending, and every newly owed email. Powertools batch processing reports the records that failed, so only those
// (and what follows them) are retried; past its retries a record goes to the on-failure destination and the
// reconciler finishes the work. Records of one case are handled in order; cases in parallel.
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { caseIdOfPk, itemKind } from '../adapters/case-table-schema.ts';
import { fromCaseItem, fromEmailItem } from '../adapters/case-items.ts';
import { effects } from '../app/effects-wiring.ts';
import type { DeliveryContext, EmailRecord } from '../app/ports.ts';
import { observed } from '../commons/middleware.ts';
import { countMetric, logger, METRIC } from '../commons/observability.ts';

type Image = Record<string, AttributeValue>;

/**
 * An empty map can arrive as `{}` (no type key) from the Streams API client, which `unmarshall` refuses ("No value
 * defined"): read it as the empty map it is, at any depth, so one item with `data: {}` never fails a whole batch.
 */
function repaired(v: unknown): unknown {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return v;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 0) return { M: {} };
  if (o['M'] && typeof o['M'] === 'object') return { M: Object.fromEntries(Object.entries(o['M'] as object).map(([k, x]) => [k, repaired(x)])) };
  if (Array.isArray(o['L'])) return { L: (o['L'] as unknown[]).map(repaired) };
  return v;
}

export function image(i: unknown): Record<string, unknown> | undefined {
  if (!i) return undefined;
  return unmarshall(Object.fromEntries(Object.entries(i as Image).map(([k, v]) => [k, repaired(v)])) as Image);
}

interface Parsed {
  keys?: Record<string, unknown> | undefined;
  next?: Record<string, unknown> | undefined;
}

/**
 * A record's keys and, for the items that can owe an effect, its new image: unmarshalled once per batch (both passes
 * below read them), and never for timeline events (most of a batch, and the largest items).
 */
function parse(r: DynamoDBRecord): Parsed {
  const keys = image(r.dynamodb?.Keys);
  const kind = keys ? itemKind(keys) : 'other';
  return { keys, next: kind === 'case' || kind === 'email' ? image(r.dynamodb?.NewImage) : undefined };
}

interface BatchState {
  /** The emails each case is owed in this batch. */
  owed: Map<string, EmailRecord[]>;
  /** Their delivery contexts (case, event, suppression), read once for the batch. */
  contexts: Map<string, DeliveryContext>;
}

/** What a record asks for, or null when it owes nothing (event items, bookkeeping, removals). */
function effectOf(r: DynamoDBRecord, { keys, next }: Parsed): { caseId: string; run: (batch: BatchState) => Promise<unknown> } | null {
  if (!keys || !next) return null;
  const kind = itemKind(keys);
  if (kind !== 'case' && kind !== 'email') return null;
  const caseId = caseIdOfPk(String(keys['pk']));
  if (kind === 'case') {
    const after = fromCaseItem(next);
    if (!after.timer.pending) return null;
    const old = image(r.dynamodb?.OldImage);
    return { caseId, run: () => effects.handOverTimer(after, old ? fromCaseItem(old) : undefined) };
  }
  if (r.eventName !== 'INSERT') return null;
  const email = fromEmailItem(next);
  return { caseId, run: (batch) => effects.deliverEmail(email, (batch.owed.get(caseId) ?? []).filter((o) => o.key !== email.key), batch.contexts.get(email.key)) };
}

const processor = new BatchProcessor(EventType.DynamoDBStreams);

export const handler = observed('stream-effects', async (event: DynamoDBStreamEvent, context?: Context) => {
  const parsed = new Map<DynamoDBRecord, Parsed>(event.Records.map((r) => [r, parse(r)]));
  // The emails each case is owed in this batch: a later one to the same person may make an earlier one pointless.
  const owed = new Map<string, EmailRecord[]>();
  for (const r of event.Records) {
    const { keys, next } = parsed.get(r)!;
    if (keys && next && r.eventName === 'INSERT' && itemKind(keys) === 'email') {
      const email = fromEmailItem(next);
      owed.set(email.caseId, [...(owed.get(email.caseId) ?? []), email]);
    }
  }
  // Read after every record of the batch was committed, so as fresh as a read at send time would be.
  const batch: BatchState = { owed, contexts: await effects.deliveryContexts([...owed.values()].flat()) };
  // One chain per case: its records run in stream order (a failure fails the rest of its chain, which is retried).
  const chains = new Map<string, Promise<unknown>>();
  const recordHandler = async (r: DynamoDBRecord) => {
    const effect = effectOf(r, parsed.get(r) ?? parse(r));
    if (!effect) return;
    const run = (chains.get(effect.caseId) ?? Promise.resolve()).then(() => effect.run(batch));
    chains.set(effect.caseId, run);
    await run;
  };
  const response = await processPartialResponse(event, recordHandler, processor, {
    ...(context ? { context } : {}),
    processInParallel: true,
    throwOnFullBatchFailure: false,
  });
  // Each reported failure is a record the event source mapping hands over again.
  countMetric(METRIC.streamRecordsRetried, response.batchItemFailures.length);
  return response;
});
