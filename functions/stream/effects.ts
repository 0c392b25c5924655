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
import { caseRepository, fromCaseItem, fromEmailItem } from '../adapters/case-repository.ts';
import { sesMailer } from '../adapters/ses-mailer.ts';
import { workflowTimer } from '../adapters/workflow-timer.ts';
import { effectUseCases } from '../app/effects.ts';
import type { EmailRecord } from '../app/ports.ts';
import { getPolicy } from '../commons/config.ts';
import { logger } from '../commons/observability.ts';
import { emailComposer } from '../notifications/compose.ts';

const effects = effectUseCases({
  store: caseRepository,
  emails: caseRepository,
  timer: workflowTimer,
  mailer: sesMailer,
  composer: emailComposer,
  policy: getPolicy,
  log: logger,
});

type Image = Record<string, AttributeValue>;
const image = (i: unknown) => (i ? unmarshall(i as Image) : undefined);

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

export const handler = async (event: DynamoDBStreamEvent, context?: Context) => {
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
  return processPartialResponse(event, recordHandler, processor, {
    ...(context ? { context } : {}),
    processInParallel: true,
    throwOnFullBatchFailure: false,
  });
};
