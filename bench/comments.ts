// What one comment costs as a case's history grows: a case gets internal comments of 1 KB through the API until it
// has 2,000 events; the comments right after it had 10 events and right after it had 2,000 are measured, one at a
// time (the bench waits for the stream consumer after each, untimed):
//   latency (client side), SDK calls in the request path, and what its one transaction writes — the items and their
//   bytes (DynamoDB's sizing rules, from the items) and the write units DynamoDB Local reports
//   (ReturnConsumedCapacity: 'TOTAL', added to the handlers' client by the bench). GET /cases/{id} is read at both too.
// Before this storage (one item per case holding its whole history) a comment rewrote the whole case: it grew with
// every event, and a case refused changes after about 250 comments of 1 KB.
//
//   node --import tsx bench/comments.ts [--events 2000] [--samples 40] [--fill direct|api]
import { argValue, fmtMs, fmtRatio, LOCAL_CREDENTIALS, mainPart, median, pool, progress, quantile, startBenchStack, table, type PartOutcome } from './support.ts';
import { callsText, instrumentHandlerClients, totalCalls, type CallInfo } from './sdk-calls.ts';

interface Sample {
  ms: number;
  requestCalls: number;
  items: number;
  bytes: number;
  writeUnits: number;
}

interface Phase {
  label: string;
  eventsBefore: number;
  samples: Sample[];
  calls: Record<string, number>;
  getMs: number[];
  getBytes: number;
}

async function measure(): Promise<PartOutcome> {
  const events = Number(argValue('--events') ?? 2000);
  const samples = Number(argValue('--samples') ?? 40);
  /** How the history between the two measurements is added: through the API (slow on a busy machine) or written directly. */
  const fill = (argValue('--fill') ?? 'direct') as 'api' | 'direct';
  const { DynamoDBClient, QueryCommand, BatchWriteItemCommand } = await import('@aws-sdk/client-dynamodb');
  const { monotonicFactory } = await import('ulid');
  const { TestApi, newCaseBody } = await import('../test/support/stack.ts');
  const stack = await startBenchStack();
  const counter = await instrumentHandlerClients();
  counter.measureWrites(true);
  const api = new TestApi(stack, false);
  const raw = new DynamoDBClient({ endpoint: stack.urls.dynamodb, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  try {
    const auth = { authorization: `Bearer ${await api.token()}`, 'content-type': 'application/json' };
    const post = async (path: string, body: unknown) => {
      const r = await fetch(`${api.url}${path}`, { method: 'POST', headers: auth, body: JSON.stringify(body) });
      const text = await r.text();
      if (r.status >= 300) throw new Error(`POST ${path} → ${r.status} ${text.slice(0, 300)}`);
      return JSON.parse(text) as { id: string };
    };
    const get = async (path: string) => {
      const r = await fetch(`${api.url}${path}`, { headers: auth });
      const text = await r.text();
      if (r.status !== 200) throw new Error(`GET ${path} → ${r.status} ${text.slice(0, 300)}`);
      return text;
    };
    const kb = 'x'.repeat(1024);
    let n = 0;
    const comment = (caseId: string) => post(`/cases/${caseId}/comments`, { body: `comment ${++n}: ${kb}`.slice(0, 1024), visibility: 'internal' });

    // Warm-up on another case (modules, JIT).
    const warm = await post('/cases', newCaseBody());
    for (let i = 0; i < 60; i++) await comment(warm.id);
    await stack.drained();

    const c = await post('/cases', newCaseBody());
    let eventCount = 1; // `created`
    const fillTo = async (target: number, how: 'api' | 'direct') => {
      progress(`comments: adding comments until the case has ${target} events (${how === 'api' ? 'through the API' : 'written directly'})…`);
      if (how === 'direct' && eventCount < target) {
        // Copies of the case's newest comment event, each with its own ULID (ascending, before any later comment's),
        // as the store writes an event item; 25 per BatchWriteItem.
        const last = await raw.send(
          new QueryCommand({ TableName: stack.tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :ev)', ExpressionAttributeValues: { ':pk': { S: `CASE#${c.id}` }, ':ev': { S: 'EV#' } }, ScanIndexForward: false, Limit: 1, ConsistentRead: true }),
        );
        const template = last.Items?.[0];
        if (!template || template['type']?.S !== 'commented') throw new Error(`the newest event of case ${c.id} is not a comment: ${JSON.stringify(template).slice(0, 200)}`);
        const nextId = monotonicFactory();
        const items = Array.from({ length: target - eventCount }, () => {
          const id = nextId();
          return { ...template, sk: { S: `EV#${id}` }, id: { S: id } };
        });
        const batches = Array.from({ length: Math.ceil(items.length / 25) }, (_, i) => items.slice(i * 25, i * 25 + 25));
        await pool(batches.length, 4, async (i) => {
          let pending = batches[i]!.map((Item) => ({ PutRequest: { Item } }));
          while (pending.length) {
            const r = await raw.send(new BatchWriteItemCommand({ RequestItems: { [stack.tableName]: pending } }));
            pending = (r.UnprocessedItems?.[stack.tableName] ?? []) as typeof pending;
          }
        });
        eventCount = target;
      }
      while (eventCount < target) {
        await comment(c.id);
        eventCount++;
        if (eventCount % 500 === 0) progress(`comments: ${eventCount} events`);
      }
      await stack.drained();
    };
    const measurePhase = async (label: string): Promise<Phase> => {
      const phase: Phase = { label, eventsBefore: eventCount, samples: [], calls: {}, getMs: [], getBytes: 0 };
      const before = counter.snapshot().request;
      for (let i = 0; i < samples; i++) {
        const writes: CallInfo[] = [];
        const callsAtStart = totalCalls(counter.snapshot().request);
        const stop = counter.listen((x) => {
          if (x.origin === 'request' && x.itemBytes !== undefined) writes.push(x);
        });
        const t = performance.now();
        await comment(c.id);
        const ms = performance.now() - t;
        stop();
        eventCount++;
        phase.samples.push({
          ms,
          requestCalls: totalCalls(counter.snapshot().request) - callsAtStart,
          items: writes.reduce((s, w) => s + (w.items ?? 0), 0),
          bytes: writes.reduce((s, w) => s + (w.itemBytes ?? 0), 0),
          writeUnits: writes.reduce((s, w) => s + (w.writeUnits ?? Number.NaN), 0),
        });
        await stack.drained();
      }
      const after = counter.snapshot().request;
      for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0)) phase.calls[k] = v - (before[k] ?? 0);
      for (let i = 0; i < samples; i++) {
        const t = performance.now();
        phase.getBytes = (await get(`/cases/${c.id}`)).length;
        phase.getMs.push(performance.now() - t);
      }
      return phase;
    };

    await fillTo(10, 'api');
    const small = await measurePhase('after 10 events');
    await fillTo(events, fill);
    const large = await measurePhase(`after ${events.toLocaleString('en')} events`);
    // The whole timeline reads back (pages of 100 through the cursor): the history is all there.
    let read = 0;
    let cursor: string | null = null;
    let pages = 0;
    const t = performance.now();
    do {
      const page = JSON.parse(await get(`/cases/${c.id}/timeline?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)) as {
        items?: unknown[];
        events?: unknown[];
        nextCursor: string | null;
      };
      read += (page.items ?? page.events ?? []).length;
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 1000);
    const timeline = { entries: read, pages, ms: performance.now() - t, events: eventCount };
    return render(small, large, timeline, fill);
  } finally {
    raw.destroy();
    await stack.stop();
  }
}

function render(small: Phase, large: Phase, timeline: { entries: number; pages: number; ms: number; events: number }, fill: 'api' | 'direct'): PartOutcome {
  const f = (p: Phase) => {
    const s = p.samples;
    return {
      p50: median(s.map((x) => x.ms)),
      p95: quantile(s.map((x) => x.ms), 0.95),
      calls: median(s.map((x) => x.requestCalls)),
      items: median(s.map((x) => x.items)),
      bytes: median(s.map((x) => x.bytes)),
      maxBytes: Math.max(...s.map((x) => x.bytes)),
      wcu: median(s.map((x) => x.writeUnits)),
      get: median(p.getMs),
    };
  };
  const a = f(small);
  const b = f(large);
  const row = (p: Phase, x: ReturnType<typeof f>) => [
    p.label,
    String(p.samples.length),
    fmtMs(x.p50),
    fmtMs(x.p95),
    callsText(p.calls, p.samples.length),
    String(x.items),
    `${x.bytes} (max ${x.maxBytes})`,
    Number.isFinite(x.wcu) ? String(x.wcu) : 'not reported',
    `${fmtMs(x.get)} (${p.getBytes} B)`,
  ];
  const grows = b.bytes > a.bytes * 1.05 || (Number.isFinite(a.wcu) && b.wcu > a.wcu);
  const summary = [
    `a 1 KB comment after ${large.eventsBefore} events: p50 ${fmtMs(b.p50)} ms (${fmtRatio(b.p50 / a.p50)} the p50 after ${small.eventsBefore} events, ${fmtMs(a.p50)} ms); writes ${b.items} items, ${b.bytes} B, ${b.wcu} WCU (after ${small.eventsBefore}: ${a.items} items, ${a.bytes} B, ${a.wcu} WCU) — ${grows ? 'GROWS with the history' : 'does not grow with the history'}`,
    `the whole timeline of ${timeline.events} events reads back through the cursor: ${timeline.entries} entries in ${timeline.pages} pages of ≤ 100, ${fmtMs(timeline.ms)} ms`,
  ];
  const markdown = [
    `### Comment cost as the history grows (local stack, in memory, DynamoDB Local)`,
    ``,
    `One case gets internal comments of 1 KB through the API (one at a time, the stream consumer drained after each) until it has ${large.eventsBefore} events; ` +
      `the ${small.samples.length} comments right after ${small.eventsBefore} events and right after ${large.eventsBefore} are measured` +
      (fill === 'direct'
        ? ` (the history in between is written directly, 25 items per BatchWriteItem, as copies of the case's newest comment event item with their own ascending ULIDs: the same items under the same partition key as comments through the API make, in seconds instead of minutes; \`--fill api\` adds them through the API). `
        : ` (the history in between added through the API too). `) +
      `Bytes are the items the comment's transaction puts (DynamoDB's item-size rules applied to the items); write units are what DynamoDB Local reports with \`ReturnConsumedCapacity: 'TOTAL'\`, ` +
      `added by the bench to the handlers' own client (transactional writes cost 2 units per KB per item, indexes included). Medians unless stated.`,
    ``,
    table(['history', 'comments', 'p50 ms', 'p95 ms', 'SDK calls / comment (request path)', 'items written', 'bytes written (median)', 'write units (median)', 'GET /cases/{id} p50 ms (response)'], [row(small, a), row(large, b)]),
    ``,
    `Ratio ${large.eventsBefore} ÷ ${small.eventsBefore} events: latency ${fmtRatio(b.p50 / a.p50)}, bytes ${fmtRatio(b.bytes / a.bytes)}, write units ${fmtRatio(b.wcu / a.wcu)}. ` +
      `The whole timeline (${timeline.events} events) read back through the cursor: ${timeline.entries} entries in ${timeline.pages} pages, ${fmtMs(timeline.ms)} ms.`,
  ].join('\n');
  return { markdown, summary, data: { small: small.samples, large: large.samples, timeline } };
}

mainPart(import.meta.url, 'comments', measure);
