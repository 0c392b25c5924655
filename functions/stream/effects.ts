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
import { fromCaseItem, fromEmailItem } from '../adapters/case-repository.ts';
import { effects } from '../app/effects-wiring.ts';
import type { EmailRecord } from '../app/ports.ts';
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

/** What a record asks for, or null when it owes nothing (event items, bookkeeping, removals). */
function effectOf(r: DynamoDBRecord): { caseId: string; run: (batchEmails: Map<string, EmailRecord[]>) => Promise<unknown> } | null {
  const keys = image(r.dynamodb?.Keys);
  const next = image(r.dynamodb?.NewImage);
  if (!keys || !next) return null;
  const kind = itemKind(keys);
  const caseId = caseIdOfPk(String(keys['pk']));
  if (kind === 'case') {
    const after = fromCaseItem(next);
    if (!after.timer.pending) return null;
    const old = image(r.dynamodb?.OldImage);
    return { caseId, run: () => effects.handOverTimer(after, old ? fromCaseItem(old) : undefined) };
  }
  if (kind === 'email' && r.eventName === 'INSERT') {
    const email = fromEmailItem(next);
    return { caseId, run: (batch) => effects.deliverEmail(email, (batch.get(caseId) ?? []).filter((o) => o.key !== email.key)) };
  }
  return null;
}

const processor = new BatchProcessor(EventType.DynamoDBStreams);

export const handler = observed('stream-effects', async (event: DynamoDBStreamEvent, context?: Context) => {
  // The emails each case is owed in this batch: a later one to the same person may make an earlier one pointless.
  const owed = new Map<string, EmailRecord[]>();
  for (const r of event.Records) {
    const keys = image(r.dynamodb?.Keys);
    const next = image(r.dynamodb?.NewImage);
    if (keys && next && r.eventName === 'INSERT' && itemKind(keys) === 'email') {
      const email = fromEmailItem(next);
      owed.set(email.caseId, [...(owed.get(email.caseId) ?? []), email]);
    }
  }
  // One chain per case: its records run in stream order (a failure fails the rest of its chain, which is retried).
  const chains = new Map<string, Promise<unknown>>();
  const recordHandler = async (r: DynamoDBRecord) => {
    const effect = effectOf(r);
    if (!effect) return;
    const run = (chains.get(effect.caseId) ?? Promise.resolve()).then(() => effect.run(owed));
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
