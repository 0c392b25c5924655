// Local stack: what a Lambda event source mapping does for a DynamoDB stream on AWS, for the same consumer. It reads
// the table's stream through the DynamoDB Streams API, hands each batch to the handler in the event shape Lambda
// uses, and follows the mapping's settings from the synthesized template: batch size, partial batch failures (retry
// from the first failed record), bisect on error, bounded retries, then the on-failure destination (here a log line
// and a JSON-lines file). With a data folder it checkpoints the last sequence number per shard, so after a restart —
// even `kill -9` — it resumes exactly where it stopped.
import { existsSync, readFileSync, renameSync, writeFileSync, appendFileSync } from 'node:fs';
import { DynamoDBClient, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import { withoutSdkLogging } from '../functions/commons/clients/without-sdk-logging.ts';

export interface StreamMapping {
  batchSize: number;
  maximumRetryAttempts: number;
  bisectBatchOnFunctionError: boolean;
  startingPosition: 'TRIM_HORIZON' | 'LATEST';
  reportBatchItemFailures: boolean;
}

export interface StreamPollerOptions {
  endpoint: string;
  tableName: string;
  mapping: StreamMapping;
  invoke: (event: { Records: unknown[] }) => Promise<unknown>;
  /** Where the per-shard checkpoint is kept; undefined keeps none (in memory). */
  checkpointFile?: string | undefined;
  /** Where records the handler gave up on go (the on-failure destination); undefined logs only. */
  failureFile?: string | undefined;
  /** How long to wait when a poll found nothing. */
  idleMs?: number;
  log: (line: string) => void;
}

export interface StreamPoller {
  /** Resolves when every record written so far has been handed to the handler (tests and benchmarks wait on it). */
  drained(): Promise<void>;
  stop(): Promise<void>;
}

interface ShardState {
  id: string;
  parent?: string | undefined;
  iterator?: string | undefined;
  lastSequence?: string | undefined;
  closed: boolean;
}

const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export async function startStreamPoller(opts: StreamPollerOptions): Promise<StreamPoller> {
  const region = process.env['AWS_REGION'] ?? 'us-east-1';
  const ddb = new DynamoDBClient({ endpoint: opts.endpoint, region, credentials: CREDENTIALS });
  const streams = withoutSdkLogging(new DynamoDBStreamsClient({ endpoint: opts.endpoint, region, credentials: CREDENTIALS }));
  const table = await ddb.send(new DescribeTableCommand({ TableName: opts.tableName }));
  ddb.destroy();
  const streamArn = table.Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${opts.tableName} has no stream`);

  const saved = readCheckpoint(opts.checkpointFile, streamArn);
  const shards = new Map<string, ShardState>();
  const idleMs = opts.idleMs ?? 10;
  let stopping = false;
  let lastDescribe = 0;
  /**
   * Each waits for a pass that started after it asked (plus the moment a new record takes to show in the stream) and
   * read every shard to its end: that pass handed over every record written before the question, busy or not.
   */
  const drainWaiters: { after: number; resolve: () => void }[] = [];
  const VISIBLE_AFTER_MS = 50;

  async function describe(): Promise<void> {
    let start: string | undefined;
    do {
      const d = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: start }));
      for (const s of d.StreamDescription?.Shards ?? []) addShard(s);
      start = d.StreamDescription?.LastEvaluatedShardId;
    } while (start);
    lastDescribe = Date.now();
  }

  function addShard(s: Shard): void {
    if (!s.ShardId || shards.has(s.ShardId)) return;
    shards.set(s.ShardId, { id: s.ShardId, parent: s.ParentShardId, lastSequence: saved[s.ShardId], closed: false });
  }

  async function iteratorFor(s: ShardState): Promise<string | undefined> {
    const r = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: s.id,
        ...(s.lastSequence
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: s.lastSequence }
          : { ShardIteratorType: opts.mapping.startingPosition }),
      }),
    );
    return r.ShardIterator;
  }

  /** Lambda's stream record: the Streams API record plus the source ARN, with the creation time in epoch seconds. */
  function asLambdaRecord(r: StreamRecord): unknown {
    const created = r.dynamodb?.ApproximateCreationDateTime;
    return {
      ...r,
      eventSourceARN: streamArn,
      dynamodb: { ...r.dynamodb, ...(created ? { ApproximateCreationDateTime: Math.floor(new Date(created).getTime() / 1000) } : {}) },
    };
  }

  /** One batch, with the mapping's failure handling. */
  async function deliver(batch: StreamRecord[], attemptsSoFar = 0): Promise<void> {
    for (let attempt = attemptsSoFar; ; attempt++) {
      let failedFrom: number | 'all' | undefined;
      try {
        const result = (await opts.invoke({ Records: batch.map(asLambdaRecord) })) as { batchItemFailures?: { itemIdentifier?: string }[] } | undefined;
        const failures = opts.mapping.reportBatchItemFailures ? (result?.batchItemFailures ?? []) : [];
        if (failures.length) {
          const ids = new Set(failures.map((f) => f.itemIdentifier));
          // Retry from the first failed record (Lambda checkpoints before it); one it cannot name fails the batch.
          const first = batch.findIndex((r) => ids.has(r.dynamodb?.SequenceNumber));
          failedFrom = first < 0 ? 0 : first;
        }
      } catch (e) {
        failedFrom = 'all';
        opts.log(`stream consumer failed on a batch of ${batch.length}: ${(e as Error).message}`);
      }
      if (failedFrom === undefined) return;
      if (failedFrom !== 'all') batch = batch.slice(failedFrom);
      if (attempt >= opts.mapping.maximumRetryAttempts) return giveUp(batch);
      if (failedFrom === 'all' && opts.mapping.bisectBatchOnFunctionError && batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        await deliver(batch.slice(0, half), attempt + 1);
        await deliver(batch.slice(half), attempt + 1);
        return;
      }
      await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * 2 ** attempt)));
      if (stopping) return;
    }
  }

  function giveUp(batch: StreamRecord[]): void {
    const first = batch[0]?.dynamodb?.SequenceNumber;
    const last = batch.at(-1)?.dynamodb?.SequenceNumber;
    opts.log(`stream consumer gave up on ${batch.length} record(s) (${first}…${last}) after ${opts.mapping.maximumRetryAttempts} retries; the reconciler finishes their work`);
    if (opts.failureFile) {
      appendFileSync(opts.failureFile, `${JSON.stringify({ at: new Date().toISOString(), streamArn, firstSequenceNumber: first, lastSequenceNumber: last, records: batch.length })}\n`);
    }
  }

  function checkpoint(): void {
    if (!opts.checkpointFile) return;
    const data = { streamArn, shards: Object.fromEntries([...shards.values()].filter((s) => s.lastSequence).map((s) => [s.id, s.lastSequence])) };
    const tmp = `${opts.checkpointFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(data));
    renameSync(tmp, opts.checkpointFile);
  }

  /** One pass over the open shards: whether it found records, and whether it read every shard to its end. */
  async function pollOnce(): Promise<{ found: boolean; caughtUp: boolean }> {
    if (Date.now() - lastDescribe > 1_000 || shards.size === 0) await describe();
    let found = false;
    let caughtUp = true;
    for (const s of shards.values()) {
      if (s.closed) continue;
      const parent = s.parent ? shards.get(s.parent) : undefined;
      if (parent && !parent.closed) continue; // a child shard starts after its parent (ordering per key)
      s.iterator ??= await iteratorFor(s);
      if (!s.iterator) {
        s.closed = true;
        continue;
      }
      const r = await streams.send(new GetRecordsCommand({ ShardIterator: s.iterator, Limit: opts.mapping.batchSize }));
      const records = r.Records ?? [];
      if (records.length >= opts.mapping.batchSize) caughtUp = false;
      if (records.length) {
        found = true;
        await deliver(records);
        s.lastSequence = records.at(-1)!.dynamodb?.SequenceNumber ?? s.lastSequence;
        checkpoint();
      }
      s.iterator = r.NextShardIterator;
      if (!s.iterator) s.closed = true;
    }
    return { found, caughtUp };
  }

  const loop = (async () => {
    while (!stopping) {
      const startedAt = Date.now();
      let found = false;
      let caughtUp = false;
      try {
        ({ found, caughtUp } = await pollOnce());
      } catch (e) {
        if (stopping) break;
        opts.log(`stream poller: ${(e as Error).message}`);
        for (const s of shards.values()) s.iterator = undefined; // expired or broken iterators: fetch new ones
        await new Promise((r) => setTimeout(r, 200));
      }
      if (caughtUp) {
        for (const w of [...drainWaiters]) {
          if (startedAt >= w.after + VISIBLE_AFTER_MS) {
            drainWaiters.splice(drainWaiters.indexOf(w), 1);
            w.resolve();
          }
        }
      }
      if (found) continue;
      await new Promise((r) => setTimeout(r, idleMs));
    }
  })();

  return {
    drained: () => new Promise<void>((resolve) => drainWaiters.push({ after: Date.now(), resolve })),
    async stop() {
      stopping = true;
      await loop;
      for (const w of drainWaiters.splice(0)) w.resolve();
      streams.destroy();
    },
  };
}

function readCheckpoint(file: string | undefined, streamArn: string): Record<string, string> {
  if (!file || !existsSync(file)) return {};
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as { streamArn?: string; shards?: Record<string, string> };
    return data.streamArn === streamArn ? (data.shards ?? {}) : {};
  } catch {
    return {};
  }
}
