// What one DynamoDB call costs the local stand-in: DynamoDB Local's JVM CPU per call (read from /proc), for the calls
// an escalation makes, on a table with the cases table's layout (its seven GSIs, from case-table-schema.ts, as
// lib/cases-table.ts declares them) next to the same table without GSIs, each in a JVM of its own (the data a JVM holds
// changes its cost: in memory, the tables live in its heap), with the heap cap `npm start` uses (256 MB) and with 1 GB.
// From the call mix of one escalation it derives the floor the deadline burst (bench/deadlines.ts) runs into: how many
// escalations per second one core of DynamoDB Local can serve at best.
//
//   node --import tsx bench/dynamodb-local.ts [--calls 800]
import { argValue, fmtMs, freePort, jvmOf, mainPart, pool, progress, table, type PartOutcome } from './support.ts';

/** One escalation's DynamoDB calls (timer task + stream consumer, two emails: the manager's alert, the customer's update). */
const ESCALATION_MIX = { get: 1, transact4: 1, update: 4, batchGet3: 1, query: 1 } as const;

type Op = 'transact4' | 'update' | 'get' | 'batchGet3' | 'query';
const OPS: Op[] = ['transact4', 'update', 'get', 'batchGet3', 'query'];
const LABEL: Record<Op, string> = {
  transact4: 'TransactWriteItems (case + event + 2 emails)',
  update: 'UpdateItem (an email claim or settle)',
  get: 'GetItem (the case, consistent)',
  batchGet3: 'BatchGetItem (case, event, suppression)',
  query: 'Query (customer history)',
};

/** One variant in a JVM of its own: JVM CPU per call of each kind, median of 3 rounds. */
async function variant(withGsis: boolean, maxHeap: string, calls: number): Promise<Record<Op, number>> {
  const { startDynamoDbLocal } = await import('../local/dynamodb.ts');
  const { CASE_INDEXES, projectionFor } = await import('../functions/adapters/case-table-schema.ts');
  const sdk = await import('@aws-sdk/client-dynamodb');
  const ddbLocal = await startDynamoDbLocal({ port: await freePort(), maxHeap });
  const jvm = jvmOf(ddbLocal.endpoint, ddbLocal.process.pid);
  const c = new sdk.DynamoDBClient({ endpoint: ddbLocal.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const t = 'cases';
  try {
    const attrs = new Set(['pk', 'sk']);
    const gsis = withGsis
      ? Object.entries(CASE_INDEXES).map(([name, k]) => {
          attrs.add(k.partitionKey);
          attrs.add(k.sortKey);
          return {
            IndexName: name,
            KeySchema: [{ AttributeName: k.partitionKey, KeyType: 'HASH' as const }, { AttributeName: k.sortKey, KeyType: 'RANGE' as const }],
            Projection: { ProjectionType: projectionFor(name as keyof typeof CASE_INDEXES) },
          };
        })
      : [];
    await c.send(
      new sdk.CreateTableCommand({
        TableName: t,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attrs].map((a) => ({ AttributeName: a, AttributeType: 'S' })),
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
        ...(gsis.length ? { GlobalSecondaryIndexes: gsis } : {}),
      }),
    );
    const S = (v: string) => ({ S: v });
    // A case item as the store writes one: every list index's key attribute set, ~1.5 KB of state.
    const caseItem = (k: number, round: number) => ({
      pk: S(`CASE#${k}`), sk: S('CASE'), kind: S('CASE'), id: S(`01JD${String(k).padStart(22, '0')}`), status: S('OPEN'),
      customerId: S(`customer-${k % 300}`), department: S(`d${k % 60}`), reference: S(`ESC-${k}`), queue: S('OPEN'),
      dueAt: S(new Date(Date.UTC(2026, 11, 1) + k * 1000 + round).toISOString()), state: S('x'.repeat(1500)),
    });
    const emailItem = (k: number, to: string) => ({ pk: S(`CASE#${k}`), sk: S(`EV#E${k}#EMAIL#alert#${to}`), itemType: S('EMAIL'), state: S('OWED'), attention: S('Y'), attentionSince: S(new Date().toISOString()) });
    const ops: Record<Op, (k: number, round: number) => Promise<unknown>> = {
      transact4: (k, round) =>
        c.send(new sdk.TransactWriteItemsCommand({ TransactItems: [
          { Put: { TableName: t, Item: caseItem(k, round) } },
          { Put: { TableName: t, Item: { pk: S(`CASE#${k}`), sk: S(`EV#E${k}`), itemType: S('EVENT'), data: S('y'.repeat(400)) } } },
          { Put: { TableName: t, Item: emailItem(k, 'manager@example.com') } },
          { Put: { TableName: t, Item: emailItem(k, 'customer@example.org') } },
        ] })),
      update: (k) =>
        c.send(new sdk.UpdateItemCommand({ TableName: t, Key: { pk: S(`CASE#${k}`), sk: S(`EV#E${k}#EMAIL#alert#manager@example.com`) }, UpdateExpression: 'SET #s = :n', ExpressionAttributeNames: { '#s': 'state' }, ExpressionAttributeValues: { ':n': S(`S${k}`) } })),
      get: (k) => c.send(new sdk.GetItemCommand({ TableName: t, Key: { pk: S(`CASE#${k}`), sk: S('CASE') }, ConsistentRead: true })),
      batchGet3: (k) =>
        c.send(new sdk.BatchGetItemCommand({ RequestItems: { [t]: { ConsistentRead: true, Keys: [{ pk: S(`CASE#${k}`), sk: S('CASE') }, { pk: S(`CASE#${k}`), sk: S(`EV#E${k}`) }, { pk: S(`SUPPRESS#x${k}`), sk: S('SUPPRESS') }] } } })),
      // The customer's history: on the byCustomer index where there is one, else the case's own partition.
      query: (k) =>
        withGsis
          ? c.send(new sdk.QueryCommand({ TableName: t, IndexName: 'byCustomer', KeyConditionExpression: 'customerId = :c', ExpressionAttributeValues: { ':c': S(`customer-${k % 300}`) }, Limit: 11, ScanIndexForward: false }))
          : c.send(new sdk.QueryCommand({ TableName: t, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': S(`CASE#${k}`) }, Limit: 11 })),
    };
    const cost = async (op: Op, round: number) => {
      const before = jvm.cpuMs();
      await pool(calls, 16, (k) => ops[op](k, round));
      return (jvm.cpuMs() - before) / calls;
    };
    await cost('transact4', 0); // fill the table (the reads and updates find their items) and warm the JIT
    const rounds: Record<Op, number[]> = { transact4: [], update: [], get: [], batchGet3: [], query: [] };
    for (let round = 1; round <= 3; round++) for (const op of OPS) rounds[op].push(await cost(op, round));
    return Object.fromEntries(OPS.map((op) => [op, [...rounds[op]].sort((a, b) => a - b)[1]!])) as Record<Op, number>;
  } finally {
    c.destroy();
    await ddbLocal.stop();
  }
}

async function measure(): Promise<PartOutcome> {
  const calls = Number(argValue('--calls') ?? 600);
  const variants = [
    { name: 'cases table (7 GSIs), heap 256 MB (as npm start)', gsis: true, heap: '256m' },
    { name: 'cases table, heap 1 GB', gsis: true, heap: '1g' },
    { name: 'no GSI, heap 256 MB', gsis: false, heap: '256m' },
  ];
  const results: Record<Op, number>[] = [];
  for (const v of variants) {
    progress(`dynamodb-local: ${v.name}…`);
    results.push(await variant(v.gsis, v.heap, calls));
  }
  const perEscalation = (r: Record<Op, number>) => (Object.entries(ESCALATION_MIX) as [Op, number][]).reduce((t, [op, n]) => t + n * r[op], 0);
  const rows = OPS.map((op) => [LABEL[op], ...results.map((r) => fmtMs(r[op]))]);
  rows.push(['**one escalation** (1 GetItem, 1 transaction, 4 UpdateItem, 1 BatchGetItem, 1 Query)', ...results.map((r) => `**${fmtMs(perEscalation(r))}**`)]);
  rows.push(['→ escalations/s one core of DynamoDB Local can serve at best', ...results.map((r) => (1000 / perEscalation(r)).toFixed(0))]);
  return {
    markdown: [
      `### DynamoDB Local: JVM CPU per call (ms; each variant in a JVM of its own; median of 3 rounds of ${calls} calls at concurrency 16, after ${calls} transactions filled the table)`,
      '',
      table(['call', ...variants.map((v) => v.name)], rows, ['l', ...variants.map(() => 'r' as const)]),
    ].join('\n'),
    summary: [
      `DynamoDB Local spends ${fmtMs(perEscalation(results[0]!))} ms of JVM CPU on one escalation's calls on the cases table as npm start runs it (${fmtMs(perEscalation(results[1]!))} ms with a 1 GB heap, ${fmtMs(perEscalation(results[2]!))} ms without GSIs): at best ${(1000 / perEscalation(results[0]!)).toFixed(0)} escalations/s per core`,
    ],
    data: Object.fromEntries(variants.map((v, i) => [v.name, { perCallMs: results[i], perEscalationMs: perEscalation(results[i]!) }])),
  };
}

mainPart(import.meta.url, 'dynamodb-local', measure);
