// API latency, throughput and SDK calls on the local stack (in memory), against baselines measured in the same run on
// the same DynamoDB Local (a raw-baseline table with the cases table's own keys, indexes and stream, not consumed):
//
//   one at a time   POST /cases vs a raw PutItem of the case item and a raw TransactWriteItems of the items the store
//                   writes for a create (case + `created` event + acknowledgement email, built with the store's own
//                   caseItem/emailItem from domain's newCase); GET /cases/{id} vs a raw GetItem; GET /openapi.json
//                   (the gateway alone). After each write the bench waits for the stream consumer (`stack.drained()`,
//                   outside the timing), so one request's effects never overlap the next one's latency.
//   concurrency 16  POST /cases with the stream's effects included — the series ends when `stack.drained()` resolves
//                   after the last response (acknowledgement sent, timer started and confirmed) — vs raw PutItem and
//                   raw TransactWriteItems at the same concurrency.
//   SDK calls       per request, by who made them: the route handler (request path) or the stream consumer (effects).
//
//   node --import tsx bench/api.ts [--count 120] [--rounds 3] [--concurrency 16] [--throughput-count 320]
import { ulid } from 'ulid';
import { argValue, fmtMs, fmtRatio, LOCAL_CREDENTIALS, mainPart, pool, processCpuMs, progress, quantile, sesStore, startBenchStack, table, type PartOutcome } from './support.ts';
import { callsBetween, callsText, instrumentHandlerClients, marshalledItemSize, sesEmailOf, totalCalls, type Origin } from './sdk-calls.ts';

const RAW_TX = "raw TransactWriteItems (the store's items for a create)";

interface Series {
  name: string;
  mode: 'sequential' | 'concurrent';
  latencies: number[];
  /** Wall time of the series' requests (concurrent: until the last response). */
  wallMs: number;
  /** Concurrent POST /cases: from the first request until the stream consumer had handled the last change. */
  wallWithEffectsMs: number;
  /** Process CPU + the DynamoDB Local JVM's CPU, over the series and its effects. */
  cpuMs: number;
  calls: Record<Origin, Record<string, number>>;
  bytes: number;
  /** For creates: case id → when its 201 arrived (epoch ms), to find its acknowledgement in the SES store. */
  created: Map<string, number>;
}

const newSeries = (name: string, mode: Series['mode']): Series => ({
  name,
  mode,
  latencies: [],
  wallMs: 0,
  wallWithEffectsMs: 0,
  cpuMs: 0,
  calls: { request: {}, stream: {}, other: {} },
  bytes: 0,
  created: new Map(),
});

const addCalls = (into: Series['calls'], d: Series['calls']) => {
  for (const o of ['request', 'stream', 'other'] as const) for (const [k, n] of Object.entries(d[o])) into[o][k] = (into[o][k] ?? 0) + n;
};

interface Stats {
  name: string;
  mode: Series['mode'];
  count: number;
  p50: number;
  p95: number;
  p99: number;
  rps: number;
  rpsWithEffects: number;
  cpuMsPerRequest: number;
  requestCalls: Record<string, number>;
  streamCalls: Record<string, number>;
  otherCalls: Record<string, number>;
  /** Acknowledgement email in the SES store after the 201 (creates only). */
  ackLag?: { p50: number; p99: number; found: number };
}

async function measure(): Promise<PartOutcome> {
  const count = Number(argValue('--count') ?? 120);
  const rounds = Number(argValue('--rounds') ?? 3);
  const concurrency = Number(argValue('--concurrency') ?? 16);
  const tCount = Number(argValue('--throughput-count') ?? 320);
  const tRounds = 2;
  const perRound = Math.ceil(count / rounds);
  const tPerRound = Math.ceil(tCount / tRounds);

  const { TestApi, newCaseBody } = await import('../test/support/stack.ts');
  const { DynamoDBClient, GetItemCommand, PutItemCommand, TransactWriteItemsCommand, CreateTableCommand } = await import('@aws-sdk/client-dynamodb');
  const { marshall } = await import('@aws-sdk/util-dynamodb');
  type AttributeValue = import('@aws-sdk/client-dynamodb').AttributeValue;
  const { localDefinition, readTemplate } = await import('../local/template.ts');
  const { templatePath } = await import('./support.ts');
  const { SFNClient, ListExecutionsCommand } = await import('@aws-sdk/client-sfn');

  // The default policy: budgets of hours, so no timer fires while this runs.
  const stack = await startBenchStack();
  const counter = await instrumentHandlerClients();
  // When SES answered each customer email (in-process, ms; the SES store's own `at` is whole seconds): case id → first.
  const ackAt = new Map<string, number>();
  counter.listen((c) => {
    const id = /\[Case ([^\]]+)\]$/.exec(sesEmailOf(c)?.subject ?? '')?.[1];
    if (id && !ackAt.has(id)) ackAt.set(id, c.at); // a create owes the customer one email: the acknowledgement
  });
  const api = new TestApi(stack, false);
  const ddb = new DynamoDBClient({ endpoint: stack.urls.dynamodb, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  const sfn = new SFNClient({ endpoint: stack.urls.stepfunctions, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  const cpuNow = () => processCpuMs() + stack.jvm.cpuMs();
  try {
    // The raw baselines' table: the cases table's definition from the template (keys, indexes, stream), no consumer.
    const RAW_TABLE = 'bench-raw-baseline';
    const def = localDefinition(readTemplate(await templatePath()));
    await ddb.send(new CreateTableCommand({ TableName: RAW_TABLE, ...def.table } as never));

    const bodyObject = newCaseBody();
    // The raw baselines replay the store's own transaction of a create (captured from the first one, marshalled): the
    // same items, conditions and sizes, each partition key made unique per request.
    type Put = { Item: Record<string, AttributeValue>; ConditionExpression?: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, AttributeValue> };
    let captured: { puts: Put[]; bytes: number[]; kinds: string[] } | undefined;
    const stopCapture = counter.listen((c) => {
      if (captured || c.origin !== 'request' || c.command !== 'TransactWriteItems') return;
      const m = (v: unknown) => marshall(v as Record<string, unknown>, { removeUndefinedValues: true, convertClassInstanceToMap: false }) as Record<string, AttributeValue>;
      const puts = (c.input['TransactItems'] as { Put?: Record<string, unknown> }[]).flatMap((t) => (t.Put ? [t.Put] : []));
      captured = {
        puts: puts.map((p) => ({
          Item: m(p['Item']),
          ...(p['ConditionExpression'] ? { ConditionExpression: p['ConditionExpression'] as string } : {}),
          ...(p['ExpressionAttributeNames'] ? { ExpressionAttributeNames: p['ExpressionAttributeNames'] as Record<string, string> } : {}),
          ...(p['ExpressionAttributeValues'] ? { ExpressionAttributeValues: m(p['ExpressionAttributeValues']) } : {}),
        })),
        bytes: [],
        kinds: puts.map((p) => {
          const it = p['Item'] as { pk?: string; sk?: string };
          return String(it.sk).includes('#EMAIL#') ? 'email' : String(it.sk).startsWith('EV#') ? 'event' : String(it.sk).toLowerCase();
        }),
      };
      captured.bytes = captured.puts.map((p) => marshalledItemSize(p.Item));
    });
    const raw = () => {
      if (!captured) throw new Error('no create transaction captured yet');
      return captured;
    };
    const withPk = (item: Record<string, AttributeValue>, suffix: string) => ({ ...item, pk: { S: `${item['pk']!.S}#${suffix}` } });
    let putN = 0;
    let txN = 0;
    const auth = { authorization: `Bearer ${await api.token()}` };
    const body = JSON.stringify(bodyObject);
    const ids: string[] = [];
    /** What the customer's emails name a case by (its short reference). */
    const refs: string[] = [];
    const check = (what: string, r: Response, status: number, text: string) => {
      if (r.status !== status) throw new Error(`${what} → ${r.status} ${text.slice(0, 300)}`);
    };
    const create = (withKey: boolean) => async (s?: Series) => {
      const r = await fetch(`${api.url}/cases`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json', ...(withKey ? { 'idempotency-key': `bench-${ulid()}` } : {}) },
        body,
      });
      const text = await r.text();
      check('POST /cases', r, 201, text);
      const created = JSON.parse(text) as { id: string; reference?: string };
      ids.push(created.id);
      refs.push(created.reference ?? created.id);
      s?.created.set(created.reference ?? created.id, Date.now());
      return text.length;
    };
    const ops: Record<string, (s?: Series, i?: number) => Promise<number>> = {
      'GET /openapi.json': async () => {
        const r = await fetch(`${api.url}/openapi.json`);
        const text = await r.text();
        check('GET /openapi.json', r, 200, text);
        return text.length;
      },
      'raw PutItem (case item)': async () => {
        await ddb.send(new PutItemCommand({ TableName: RAW_TABLE, Item: withPk(raw().puts[0]!.Item, `raw-${putN++}`) }));
        return 0;
      },
      [RAW_TX]: async () => {
        const n = txN++;
        await ddb.send(new TransactWriteItemsCommand({ TransactItems: raw().puts.map((p) => ({ Put: { ...p, TableName: RAW_TABLE, Item: withPk(p.Item, `rawtx-${n}`) } })) }));
        return 0;
      },
      'POST /cases': create(false),
      'POST /cases (Idempotency-Key)': create(true),
      'raw GetItem (case item)': async (_s, i = 0) => {
        const first = raw().puts[0]!.Item;
        const r = await ddb.send(new GetItemCommand({ TableName: RAW_TABLE, Key: { pk: { S: `${first['pk']!.S}#raw-${i % Math.max(1, putN)}` }, sk: first['sk']! }, ConsistentRead: true }));
        if (!r.Item) throw new Error('the raw GetItem found nothing');
        return 0;
      },
      'GET /cases/{id}': async (_s, i = 0) => {
        const r = await fetch(`${api.url}/cases/${ids[i % ids.length]}`, { headers: auth });
        const text = await r.text();
        check('GET /cases/{id}', r, 200, text);
        return text.length;
      },
    };
    const writes = new Set(['POST /cases', 'POST /cases (Idempotency-Key)']);

    // Warm-up: every handler module, the SDK clients, the JVM's JIT (its first round is 2–3× slower).
    progress('api: warming up…');
    await create(false)();
    stopCapture();
    for (let i = 0; i < 2; i++) {
      await pool(32, 16, async (j) => {
        for (const op of Object.values(ops)) await op(undefined, j);
      });
    }
    await stack.drained();
    const seqOrder = ['GET /openapi.json', 'raw PutItem (case item)', RAW_TX, 'POST /cases', 'POST /cases (Idempotency-Key)', 'raw GetItem (case item)', 'GET /cases/{id}'];
    const conOrder = ['raw PutItem (case item)', RAW_TX, 'POST /cases'];
    const seq = new Map(seqOrder.map((n) => [n, newSeries(n, 'sequential')]));
    const con = new Map(conOrder.map((n) => [n, newSeries(n, 'concurrent')]));

    for (let round = 0; round < rounds; round++) {
      progress(`api: one at a time, round ${round + 1}/${rounds} (${perRound} requests per series)…`);
      for (const name of seqOrder) {
        const s = seq.get(name)!;
        const op = ops[name]!;
        const before = counter.snapshot();
        const cpuBefore = cpuNow();
        for (let i = 0; i < perRound; i++) {
          const t = performance.now();
          s.bytes = await op(s, round * perRound + i);
          const ms = performance.now() - t;
          s.latencies.push(ms);
          s.wallMs += ms;
          if (writes.has(name)) await stack.drained(); // its effects, outside the timing
        }
        s.cpuMs += cpuNow() - cpuBefore;
        addCalls(s.calls, callsBetween(before, counter.snapshot()));
      }
    }
    for (let round = 0; round < tRounds; round++) {
      progress(`api: concurrency ${concurrency}, round ${round + 1}/${tRounds} (${tPerRound} requests per series)…`);
      for (const name of conOrder) {
        const s = con.get(name)!;
        const op = ops[name]!;
        await stack.drained();
        const before = counter.snapshot();
        const cpuBefore = cpuNow();
        const started = performance.now();
        await pool(tPerRound, concurrency, async (i) => {
          const t = performance.now();
          await op(s, round * tPerRound + i);
          s.latencies.push(performance.now() - t);
        });
        s.wallMs += performance.now() - started;
        await stack.drained(); // the stream consumer has handled every change of the series: its effects are in
        s.wallWithEffectsMs += performance.now() - started;
        s.cpuMs += cpuNow() - cpuBefore;
        addCalls(s.calls, callsBetween(before, counter.snapshot()));
      }
    }

    // Did the effects happen? Every case created has its acknowledgement in the SES store and a running timer.
    await stack.drained();
    const emails = await sesStore(stack);
    const acknowledgedInStore = new Set(emails.flatMap((e) => /\[Case ([^\]]+)\]$/.exec(e.subject)?.[1] ?? []));
    let running = 0;
    let nextToken: string | undefined;
    do {
      const r = await sfn.send(new ListExecutionsCommand({ stateMachineArn: stack.stateMachineArn, statusFilter: 'RUNNING', maxResults: 1000, nextToken }));
      running += r.executions?.length ?? 0;
      nextToken = r.nextToken;
    } while (nextToken);
    const verification = {
      cases: ids.length,
      acknowledged: refs.filter((r) => acknowledgedInStore.has(r)).length,
      running,
      emails: emails.length,
    };

    const stats = (s: Series): Stats => {
      const n = s.latencies.length;
      const per = (c: Record<string, number>) => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v]));
      const lags = [...s.created].flatMap(([id, at]) => (ackAt.has(id) ? [ackAt.get(id)! - at] : []));
      return {
        name: s.name,
        mode: s.mode,
        count: n,
        p50: quantile(s.latencies, 0.5),
        p95: quantile(s.latencies, 0.95),
        p99: quantile(s.latencies, 0.99),
        rps: n / (s.wallMs / 1000),
        rpsWithEffects: s.wallWithEffectsMs ? n / (s.wallWithEffectsMs / 1000) : Number.NaN,
        cpuMsPerRequest: s.cpuMs / n,
        requestCalls: per(s.calls.request),
        streamCalls: per(s.calls.stream),
        otherCalls: per(s.calls.other),
        ...(s.created.size ? { ackLag: { p50: quantile(lags, 0.5), p99: quantile(lags, 0.99), found: lags.length } } : {}),
      };
    };
    return render({
      seq: [...seq.values()].map(stats),
      con: [...con.values()].map(stats),
      run: { count: perRound * rounds, rounds, concurrency, tCount: tPerRound * tRounds, rawBytes: raw().bytes, rawKinds: raw().kinds, verification, openapiBytes: seq.get('GET /openapi.json')!.bytes },
    });
  } finally {
    ddb.destroy();
    sfn.destroy();
    await stack.stop();
  }
}

interface RunInfo {
  count: number;
  rounds: number;
  concurrency: number;
  tCount: number;
  rawBytes: number[];
  rawKinds: string[];
  verification: { cases: number; acknowledged: number; running: number; emails: number };
  openapiBytes: number;
}

const callsPer = (calls: Record<string, number>, n: number) => (totalCalls(calls) ? callsText(calls, n) : '0');

function render({ seq, con, run }: { seq: Stats[]; con: Stats[]; run: RunInfo }): PartOutcome {
  const s = (n: string) => seq.find((x) => x.name === n)!;
  const c = (n: string) => con.find((x) => x.name === n)!;
  const put = s('raw PutItem (case item)');
  const tx = s(RAW_TX);
  const get = s('raw GetItem (case item)');
  const doc = s('GET /openapi.json');
  const post = s('POST /cases');
  const postKey = s('POST /cases (Idempotency-Key)');
  const read = s('GET /cases/{id}');
  const seqRows = seq.map((x) => {
    const raw = x.name.startsWith('raw ');
    const vsTx = x.name.startsWith('POST') ? fmtRatio(x.p50 / tx.p50) : '–';
    const vsPut = x.name.startsWith('POST') ? fmtRatio(x.p50 / put.p50) : x.name.startsWith('GET /cases') ? `${fmtRatio(x.p50 / get.p50)} (vs GetItem)` : '–';
    return [
      x.name,
      String(x.count),
      fmtMs(x.p50),
      fmtMs(x.p95),
      fmtMs(x.p99),
      vsTx,
      vsPut,
      raw ? '1 (itself)' : callsPer(x.requestCalls, x.count),
      raw ? '–' : callsPer(x.streamCalls, x.count),
      x.ackLag ? `${fmtMs(x.ackLag.p50)} / ${fmtMs(x.ackLag.p99)}` : '–',
      fmtMs(x.cpuMsPerRequest),
    ];
  });
  const cput = c('raw PutItem (case item)');
  const ctx = c(RAW_TX);
  const cpost = c('POST /cases');
  const conRows = con.map((x) => {
    const raw = x.name.startsWith('raw ');
    return [
      x.name,
      String(x.count),
      raw ? x.rps.toFixed(0) : `**${x.rpsWithEffects.toFixed(0)}**`,
      raw ? '–' : x.rps.toFixed(0),
      fmtRatio((raw ? x.rps : x.rpsWithEffects) / ctx.rps),
      fmtMs(x.p50),
      fmtMs(x.p99),
      raw ? '1 (itself)' : callsPer(x.requestCalls, x.count),
      raw ? '–' : callsPer(x.streamCalls, x.count),
      x.ackLag ? `${fmtMs(x.ackLag.p50)} / ${fmtMs(x.ackLag.p99)}` : '–',
      fmtMs(x.cpuMsPerRequest),
    ];
  });
  const others = [...seq, ...con].filter((x) => totalCalls(x.otherCalls));
  const v = run.verification;
  const summary = [
    `POST /cases one at a time: p50 ${fmtMs(post.p50)} ms = ${fmtRatio(post.p50 / tx.p50)} a raw TransactWriteItems of the same ${run.rawBytes.length} items (${fmtMs(tx.p50)} ms; goal ≤ 2×: ${post.p50 / tx.p50 <= 2 ? 'met' : 'NOT met'}), ${fmtRatio(post.p50 / put.p50)} a raw PutItem of the case item (${fmtMs(put.p50)} ms); with an Idempotency-Key ${fmtMs(postKey.p50)} ms (${fmtRatio(postKey.p50 / tx.p50)})`,
    `SDK calls in the request path per create: ${callsPer(post.requestCalls, post.count)} (with an Idempotency-Key ${callsPer(postKey.requestCalls, postKey.count)}; goal ≤ 2: ${totalCalls(post.requestCalls) / post.count <= 2 && totalCalls(postKey.requestCalls) / postKey.count <= 2 ? 'met' : 'NOT met'}); by the stream consumer afterwards ${callsPer(post.streamCalls, post.count)}`,
    `POST /cases at concurrency ${run.concurrency} with the stream's effects: ${cpost.rpsWithEffects.toFixed(0)} creates/s (responses alone ${cpost.rps.toFixed(0)}/s) = ${fmtRatio(cpost.rpsWithEffects / ctx.rps)} raw TransactWriteItems (${ctx.rps.toFixed(0)}/s), ${fmtRatio(cpost.rpsWithEffects / cput.rps)} raw PutItem (${cput.rps.toFixed(0)}/s); acknowledgement in SES p50 ${fmtMs(cpost.ackLag?.p50 ?? NaN)} ms after the 201`,
    `GET /cases/{id}: p50 ${fmtMs(read.p50)} ms = ${fmtRatio(read.p50 / get.p50)} a raw GetItem (${fmtMs(get.p50)} ms); gateway alone (GET /openapi.json) ${fmtMs(doc.p50)} ms`,
    `effects checked: ${v.acknowledged}/${v.cases} cases acknowledged in the SES store, ${v.running} running timer executions for ${v.cases} cases`,
    ...(others.length ? [`calls of unknown origin: ${others.map((x) => `${x.name}: ${callsText(x.otherCalls, x.count)}`).join('; ')}`] : []),
  ];
  const markdown = [
    `### API: latency, throughput and SDK calls (local stack, in memory, DynamoDB Local)`,
    ``,
    `Client and stack in one process (as \`npm start\` runs it), DynamoDB Local in its JVM. Raw baselines: the SDK's low-level client to the same DynamoDB Local, ` +
      `into a table with the cases table's own keys, indexes and stream (not consumed). The raw TransactWriteItems replays the store's own transaction of a create, captured from the first POST /cases: ` +
      `the same ${run.rawBytes.length} items (${run.rawKinds.map((k, i) => `${k} ${run.rawBytes[i]} B`).join(', ')}) with the same conditions, each partition key made unique per request; ` +
      `the raw PutItem writes its case item alone, the raw GetItem reads it back (consistent, as the store reads). ` +
      `Every series warmed up first (2 × 32 requests at concurrency 16).`,
    ``,
    `**One at a time** — ${run.count} requests per series in ${run.rounds} interleaved rounds; after every write the bench waits for the stream consumer (\`stack.drained()\`, not timed), so a request's effects never overlap the next request:`,
    ``,
    table(
      ['series', 'requests', 'p50 ms', 'p95 ms', 'p99 ms', 'p50 × raw TransactWriteItems', 'p50 × raw PutItem', 'SDK calls / request: request path', 'SDK calls / request: stream consumer (after)', 'ack email accepted by SES after the 201, p50 / p99 ms', 'CPU ms / request (node + JVM)'],
      seqRows,
    ),
    ``,
    `**Concurrency ${run.concurrency}, effects included** — ${run.tCount} requests per series in 2 interleaved rounds; a POST /cases series ends when \`stack.drained()\` resolves after its last response (every acknowledgement sent, every timer started and confirmed), and that time counts:`,
    ``,
    table(
      ['series', 'requests', 'per s (POST: incl. effects)', 'per s, responses only', '× raw TransactWriteItems', 'p50 ms', 'p99 ms', 'SDK calls / request: request path', 'SDK calls / request: stream consumer', 'ack email accepted by SES after the 201, p50 / p99 ms', 'CPU ms / request (node + JVM)'],
      conRows,
    ),
    ``,
    `Effects checked at the end: ${v.acknowledged} of ${v.cases} cases created have their acknowledgement in the SES store; ${v.running} timer executions are running for them. ` +
      `Calls are attributed by the caller on the stack at \`send\`: the route handler (request path) or the stream consumer / timer task (effects)` +
      `${others.length ? `; some had neither: ${others.map((x) => `${x.name}: ${callsText(x.otherCalls, x.count)}`).join('; ')}` : ''}. ` +
      `CPU is this process's (client, gateway, handlers, stream poller, Step Functions engine, SES) plus the DynamoDB Local JVM's, over the series and its effects.`,
  ].join('\n');
  return { markdown, summary, data: { seq, con, run } };
}

mainPart(import.meta.url, 'api', measure);
