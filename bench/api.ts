// API throughput and latency on the local stack (in memory), against baselines measured in the same process:
//   POST /cases      vs a raw DynamoDB PutItem (the SDK → the same dynalite) of an item the size of a real case
//   GET /cases/{id}  vs a raw DynamoDB GetItem of that item
//   GET /openapi.json (public, no JWT, no DynamoDB): what the gateway + handler plumbing cost by themselves
// Each series runs in rounds, interleaved, with bounded concurrency; latencies are per request, client side.
//
//   node --import tsx bench/api.ts [--count 300] [--concurrency 8] [--rounds 3]
import { argValue, fmtMs, fmtRatio, LOCAL_CREDENTIALS, mainPart, pool, progress, quantile, startBenchStack, table, type PartOutcome } from './support.ts';

interface Series {
  name: string;
  latencies: number[];
  wallMs: number;
  bytes: number;
  /** Process CPU (user + system) over the series and the background work it caused, until quiet. */
  cpuMs: number;
  /** AWS SDK calls the handlers made (by client.command), the background timer work included. */
  calls: Record<string, number>;
}

interface Stats {
  name: string;
  count: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  bytes: number;
  cpuMsPerRequest: number;
  callsPerRequest: Record<string, number>;
}

const stats = (s: Series): Stats => ({
  name: s.name,
  count: s.latencies.length,
  rps: s.latencies.length / (s.wallMs / 1000),
  p50: quantile(s.latencies, 0.5),
  p95: quantile(s.latencies, 0.95),
  p99: quantile(s.latencies, 0.99),
  bytes: s.bytes,
  cpuMsPerRequest: s.cpuMs / s.latencies.length,
  callsPerRequest: Object.fromEntries(Object.entries(s.calls).map(([k, n]) => [k, n / s.latencies.length])),
});

interface Instrumentable {
  middlewareStack: { add(mw: unknown, opts: { step: 'initialize'; name: string }): void };
}

/** Count the handlers' AWS SDK calls: their clients are module singletons, the same instances the stack loaded. */
async function instrumentHandlerClients(): Promise<{ calls: Record<string, number>; last: () => number }> {
  const calls: Record<string, number> = {};
  let lastAt = performance.now();
  const clients: [string, Instrumentable][] = [
    ['DynamoDB', (await import('../functions/commons/clients/dynamodb.ts')).ddb as unknown as Instrumentable],
    ['SFN', (await import('../functions/commons/clients/sfn.ts')).sfn as unknown as Instrumentable],
    ['SES', (await import('../functions/commons/clients/ses.ts')).ses as unknown as Instrumentable],
  ];
  for (const [service, client] of clients) {
    client.middlewareStack.add(
      (next: (a: unknown) => Promise<unknown>, ctx: { commandName?: string }) => async (args: unknown) => {
        const key = `${service}.${(ctx.commandName ?? '?').replace(/Command$/, '')}`;
        calls[key] = (calls[key] ?? 0) + 1;
        try {
          return await next(args);
        } finally {
          lastAt = performance.now();
        }
      },
      { step: 'initialize', name: 'escalatorBenchCallCounter' },
    );
  }
  return { calls, last: () => lastAt };
}

async function measure(): Promise<PartOutcome<{ stats: Stats[]; run: RunInfo }>> {
  const count = Number(argValue('--count') ?? 300);
  const concurrency = Number(argValue('--concurrency') ?? 8);
  const rounds = Number(argValue('--rounds') ?? 3);
  const perRound = Math.ceil(count / rounds);

  const { TestApi, newCaseBody } = await import('../test/support/stack.ts');
  const { DynamoDBClient, GetItemCommand, PutItemCommand } = await import('@aws-sdk/client-dynamodb');
  const { TABLE_NAME } = await import('../local/stack.ts');
  // The default policy: budgets of hours, so no timer fires while this runs (each create still starts an execution,
  // whose first Evaluate runs in this process — part of what a create costs).
  const stack = await startBenchStack();
  const counter = await instrumentHandlerClients();
  /** Wait until the handlers have made no SDK call for a while (background timer work of the last series done). */
  const quiet = async () => {
    const deadline = performance.now() + 15_000;
    while (performance.now() - counter.last() < 300 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  };
  const api = new TestApi(stack);
  const ddb = new DynamoDBClient({ endpoint: stack.urls.dynamodb, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  try {
    const auth = { authorization: `Bearer ${await api.token()}` };
    const body = JSON.stringify(newCaseBody());
    const ids: string[] = [];
    const check = (what: string, r: Response, status: number, text: string) => {
      if (r.status !== status) throw new Error(`${what} → ${r.status} ${text.slice(0, 300)}`);
    };
    // The gateway baseline: GET /openapi.json when it works; else a public route that answers without DynamoDB
    // (a survey link that fails its signature check: gateway + middy + handler + HMAC, no JWT).
    const docProbe = await fetch(`${api.url}/openapi.json`);
    const docText = await docProbe.text();
    let problem = docText.slice(0, 80);
    try {
      problem = (JSON.parse(docText) as { title?: string }).title ?? problem;
    } catch {
      // not a problem document
    }
    const gatewayNote =
      docProbe.status === 200
        ? undefined
        : `GET /openapi.json answered ${docProbe.status} "${problem}", so the gateway baseline is GET /feedback/{token} with an invalid link instead`;
    if (gatewayNote) progress(`api: ${gatewayNote}`);
    const gatewayName = gatewayNote ? 'GET /feedback/{bad token}' : 'GET /openapi.json';
    const gatewayPath = gatewayNote ? '/feedback/not-a-signed-link' : '/openapi.json';
    const ops: Record<string, (i: number) => Promise<number>> = {
      [gatewayName]: async () => {
        const r = await fetch(`${api.url}${gatewayPath}`);
        const text = await r.text();
        if (r.status >= 500 || (!gatewayNote && r.status !== 200)) throw new Error(`GET ${gatewayPath} → ${r.status} ${text.slice(0, 300)}`);
        return text.length;
      },
      'POST /cases': async (_i: number) => {
        const r = await fetch(`${api.url}/cases`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body });
        const text = await r.text();
        check('POST /cases', r, 201, text);
        ids.push((JSON.parse(text) as { id: string }).id);
        return text.length;
      },
      'GET /cases/{id}': async (i: number) => {
        const r = await fetch(`${api.url}/cases/${ids[i % ids.length]}`, { headers: auth });
        const text = await r.text();
        check('GET /cases/{id}', r, 200, text);
        return text.length;
      },
    };

    // Warm-up: load every handler module, the SDK clients, JIT; and obtain a real case item for the raw baseline.
    progress('api: warming up…');
    for (let i = 0; i < 16; i++) {
      await ops['POST /cases']!(i);
      await ops['GET /cases/{id}']!(i);
      await ops[gatewayName]!(0);
    }
    const raw = (await ddb.send(new GetItemCommand({ TableName: TABLE_NAME, Key: { pk: { S: `CASE#${ids[0]}` }, sk: { S: 'CASE' } } }))).Item;
    if (!raw) throw new Error(`the case item of ${ids[0]} is not where bench/api.ts expects it (pk CASE#<id>, sk CASE)`);
    const { attention: _notReconciled, ...item } = raw; // keep the bench items out of the reconciler's sparse index
    void _notReconciled;
    const itemBytes = JSON.stringify(item).length;
    let putN = 0;
    const baselineOps = {
      'DynamoDB PutItem (SDK, raw)': async () => {
        const n = putN++;
        await ddb.send(new PutItemCommand({ TableName: TABLE_NAME, Item: { ...item, pk: { S: `BENCH#${n}` } } }));
        return 0;
      },
      'DynamoDB GetItem (SDK, raw)': async (i: number) => {
        const r = await ddb.send(new GetItemCommand({ TableName: TABLE_NAME, Key: { pk: { S: `BENCH#${i % Math.max(1, putN)}` }, sk: { S: 'CASE' } } }));
        if (!r.Item) throw new Error('baseline GetItem found nothing');
        return 0;
      },
    };
    for (let i = 0; i < 16; i++) await baselineOps['DynamoDB PutItem (SDK, raw)']();
    for (let i = 0; i < 16; i++) await baselineOps['DynamoDB GetItem (SDK, raw)'](i);

    const order: [string, (i: number) => Promise<number>][] = [
      [gatewayName, ops[gatewayName]!],
      ['DynamoDB PutItem (SDK, raw)', baselineOps['DynamoDB PutItem (SDK, raw)']],
      ['POST /cases', ops['POST /cases']!],
      ['DynamoDB GetItem (SDK, raw)', baselineOps['DynamoDB GetItem (SDK, raw)']],
      ['GET /cases/{id}', ops['GET /cases/{id}']!],
    ];
    const series = new Map<string, Series>(order.map(([name]) => [name, { name, latencies: [], wallMs: 0, bytes: 0, cpuMs: 0, calls: {} }]));
    await quiet();
    for (let round = 0; round < rounds; round++) {
      progress(`api: round ${round + 1}/${rounds} (${perRound} requests per series, concurrency ${concurrency})…`);
      for (const [name, op] of order) {
        const s = series.get(name)!;
        const callsBefore = { ...counter.calls };
        const cpuBefore = process.cpuUsage();
        const started = performance.now();
        await pool(perRound, concurrency, async (i) => {
          const t = performance.now();
          s.bytes = await op(round * perRound + i);
          s.latencies.push(performance.now() - t);
        });
        s.wallMs += performance.now() - started;
        await quiet();
        const cpu = process.cpuUsage(cpuBefore);
        s.cpuMs += (cpu.user + cpu.system) / 1000;
        for (const [k, n] of Object.entries(counter.calls)) if (n !== (callsBefore[k] ?? 0)) s.calls[k] = (s.calls[k] ?? 0) + n - (callsBefore[k] ?? 0);
      }
    }
    const all = [...series.values()].map(stats);
    return render(all, { count: perRound * rounds, concurrency, rounds, itemBytes, gatewayName, gatewayNote });
  } finally {
    ddb.destroy();
    await stack.stop();
  }
}

function callsText(calls: Record<string, number>): string {
  const entries = Object.entries(calls).sort((a, b) => b[1] - a[1]);
  if (!entries.length) return '0';
  const total = entries.reduce((t, [, n]) => t + n, 0);
  return `${total.toFixed(1)}: ${entries.map(([k, n]) => `${k} ${n.toFixed(1)}`).join(', ')}`;
}

interface RunInfo {
  count: number;
  concurrency: number;
  rounds: number;
  itemBytes: number;
  gatewayName: string;
  gatewayNote: string | undefined;
}

function render(all: Stats[], run: RunInfo): PartOutcome<{ stats: Stats[]; run: RunInfo }> {
  const by = (n: string) => all.find((s) => s.name === n)!;
  const put = by('DynamoDB PutItem (SDK, raw)');
  const get = by('DynamoDB GetItem (SDK, raw)');
  const doc = by(run.gatewayName);
  const baselineOf: Record<string, Stats> = { 'POST /cases': put, 'GET /cases/{id}': get };
  const rows = all.map((s) => {
    const b = baselineOf[s.name];
    return [
      s.name,
      String(s.count),
      s.rps.toFixed(0),
      fmtMs(s.p50),
      fmtMs(s.p95),
      fmtMs(s.p99),
      b ? `${fmtRatio(s.p50 / b.p50)} / ${fmtRatio(s.p95 / b.p95)} (vs ${b.name.replace(' (SDK, raw)', '')})` : '–',
      s.name.startsWith('DynamoDB') ? '–' : fmtRatio(s.p50 / doc.p50),
      b ? fmtRatio(b.rps / s.rps) : '–',
      `${fmtMs(s.cpuMsPerRequest)}${b ? ` (${fmtRatio(s.cpuMsPerRequest / b.cpuMsPerRequest)})` : ''}`,
      s.name.startsWith('DynamoDB') ? '1 (itself)' : callsText(s.callsPerRequest),
    ];
  });
  const post = by('POST /cases');
  const read = by('GET /cases/{id}');
  const summary = [
    `POST /cases: ${post.rps.toFixed(0)} req/s, p50 ${fmtMs(post.p50)} ms, p95 ${fmtMs(post.p95)} ms = ${fmtRatio(post.p50 / put.p50)} a raw PutItem's p50 (${fmtMs(put.p50)} ms); ${fmtMs(post.cpuMsPerRequest)} ms CPU per create (${fmtRatio(post.cpuMsPerRequest / put.cpuMsPerRequest)}); SDK calls per create ${callsText(post.callsPerRequest)}`,
    `GET /cases/{id}: ${read.rps.toFixed(0)} req/s, p50 ${fmtMs(read.p50)} ms, p95 ${fmtMs(read.p95)} ms = ${fmtRatio(read.p50 / get.p50)} a raw GetItem's p50 (${fmtMs(get.p50)} ms); gateway baseline ${run.gatewayName} p50 ${fmtMs(doc.p50)} ms`,
    ...(run.gatewayNote ? [`BROKEN: ${run.gatewayNote}`] : []),
  ];
  const markdown = [
    `### API throughput and latency (local stack, in memory)`,
    ``,
    `${run.count} requests per series in ${run.rounds} interleaved rounds, concurrency ${run.concurrency}, client and stack in one process (as \`npm start\` runs it). ` +
      `Baselines in the same process: a raw SDK PutItem/GetItem to the same dynalite of a copy of a real case item (${(run.itemBytes / 1024).toFixed(1)} KB as DynamoDB JSON), ` +
      `and ${run.gatewayName} (public route: gateway + handler plumbing, no JWT check, no DynamoDB; ${(doc.bytes / 1024).toFixed(1)} KB response).`,
    ...(run.gatewayNote ? [``, `**${run.gatewayNote}.**`] : []),
    ``,
    table(
      ['series', 'requests', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'latency p50 / p95 × DynamoDB baseline', `p50 × ${run.gatewayName}`, 'throughput: baseline ÷ this', 'process CPU ms / request (× baseline)', 'AWS SDK calls / request by the handlers (incl. background timer work)'],
      rows,
    ),
    ``,
    `CPU is the whole process's (client, gateway, handlers, dynalite, Step Functions engine, SES) from the start of a series until the handlers have made no SDK call for 300 ms; ` +
      `it is less sensitive than wall time to other load on the machine. One process and one event loop serve everything, so throughput ≈ 1 ÷ CPU per request.`,
  ].join('\n');
  return { markdown, summary, data: { stats: all, run } };
}

mainPart(import.meta.url, 'api', measure);
