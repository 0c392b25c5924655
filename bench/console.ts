// What the ops console costs as open cases grow: with 50 and with 10,000 open cases on the local stack (in memory),
// the time of the queue's first page (GET /cases?sort=nextDeadline&limit=25, the queue index), of a case page's
// refresh (case + timeline + workflow, as the page polls them), and of a live update (a change to one case until
// the queue's next poll shows it, excluding the poll interval). The counts (GET /queue) read every open case's index
// entry and are measured too, to show what does grow. Cases are seeded straight into the table (the same repository code the
// API uses), their timers left unstarted, so seeding 10,000 takes seconds, not the API's minutes.
//
//   node --import tsx bench/console.ts [--sizes 50,10000] [--samples 30]
import { argValue, fmtMs, fmtRatio, mainPart, pool, progress, quantile, startBenchStack, table, type PartOutcome } from './support.ts';

interface Row {
  open: number;
  queueP50: number;
  queueP95: number;
  caseP50: number;
  caseP95: number;
  updateP50: number;
  updateP95: number;
  metricsP50: number;
}

async function measure(): Promise<PartOutcome<{ rows: Row[] }>> {
  const sizes = (argValue('--sizes') ?? '50,10000').split(',').map(Number);
  const samples = Number(argValue('--samples') ?? 30);
  const stack = await startBenchStack();
  try {
    const { caseStore } = await import('../functions/adapters/case-store.ts');
    const { getPolicy } = await import('../functions/commons/config.ts');
    const { CreateCaseInput, newCase } = await import('../functions/domain/operations.ts');
    const { ulid } = await import('ulid');
    const policy = getPolicy();
    // A person's token, as the console holds after signing in.
    const token = await stack.auth.sign({ sub: 'local-user:ops', username: 'ops', client_id: 'escalator-console', token_use: 'access', scope: 'cases/read cases/write cases/manage' });
    const get = async (path: string) => {
      const t = performance.now();
      const r = await fetch(`${stack.urls.api}${path}`, { headers: { authorization: `Bearer ${token}` } });
      const body = (await r.json()) as Record<string, unknown>;
      if (!r.ok) throw new Error(`${path}: ${r.status} ${JSON.stringify(body)}`);
      return { ms: performance.now() - t, body };
    };
    const priorities = ['P1', 'P2', 'P3', 'P4'] as const;
    let seeded = 0;
    const seed = async (upTo: number) => {
      const n = upTo - seeded;
      await pool(n, 16, async (i) => {
        const raw = CreateCaseInput.parse({
          customer: { id: `bench-${(seeded + i) % 2000}`, email: `c${(seeded + i) % 2000}@example.org`, name: 'Bench Customer' },
          subject: `Bench case ${seeded + i}`,
          description: 'Seeded for the console benchmark.',
          priority: priorities[(seeded + i) % 4],
        });
        const c = newCase(ulid(), raw, { now: new Date(), actor: { kind: 'client', id: 'bench' }, policy, newId: ulid });
        await caseStore.commit({ case: c, expectedVersion: null, events: c.newEvents, emails: c.owedEmails });
      });
      seeded = upTo;
    };
    const series = async (fn: () => Promise<number>) => {
      const out: number[] = [];
      for (let i = 0; i < samples; i++) out.push(await fn());
      return out;
    };

    const rows: Row[] = [];
    for (const size of sizes) {
      progress(`console: seeding ${size} open cases…`);
      await seed(size);
      const first = await get('/cases?sort=nextDeadline&limit=25');
      const target = (first.body['items'] as { id: string }[])[0]!.id;
      await series(async () => (await get('/cases?sort=nextDeadline&limit=25')).ms); // warm-up
      const queue = await series(async () => (await get('/cases?sort=nextDeadline&limit=25')).ms);
      const casePage = await series(async () => {
        const t = performance.now();
        await Promise.all([get(`/cases/${target}`), get(`/cases/${target}/timeline`), get(`/cases/${target}/workflow`)]);
        return performance.now() - t;
      });
      // A live update: a comment on the first case, then the queue request the next poll makes shows its new version.
      const update = await series(async () => {
        const t = performance.now();
        const r = await fetch(`${stack.urls.api}/cases/${target}/comments`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ body: 'bench note', visibility: 'internal' }),
        });
        const version = ((await r.json()) as { version: number }).version;
        const q = await get('/cases?sort=nextDeadline&limit=25');
        const shown = (q.body['items'] as { id: string; version: number }[]).find((c) => c.id === target);
        if (shown?.version !== version) throw new Error('the queue did not show the update');
        return performance.now() - t;
      });
      // The counts (GET /queue) read every open case's queue-index entry: three samples.
      const metrics: number[] = [];
      for (let i = 0; i < 3; i++) metrics.push((await get('/queue')).ms);
      rows.push({
        open: size,
        queueP50: quantile(queue, 0.5),
        queueP95: quantile(queue, 0.95),
        caseP50: quantile(casePage, 0.5),
        caseP95: quantile(casePage, 0.95),
        updateP50: quantile(update, 0.5),
        updateP95: quantile(update, 0.95),
        metricsP50: quantile(metrics, 0.5),
      });
    }
    const small = rows[0]!;
    const big = rows.at(-1)!;
    const markdown = [
      `### The ops console with many open cases (local stack, in memory)`,
      ``,
      `${samples} samples per figure; a person's token (as after signing in); cases seeded into the table with the repository's own write.`,
      ``,
      table(
        ['open cases', 'queue page p50 / p95 ms', 'case page refresh p50 / p95 ms', 'live update (write → next poll shows it) p50 / p95 ms', 'counts (GET /queue, 3 samples) p50 ms'],
        rows.map((r) => [String(r.open), `${fmtMs(r.queueP50)} / ${fmtMs(r.queueP95)}`, `${fmtMs(r.caseP50)} / ${fmtMs(r.caseP95)}`, `${fmtMs(r.updateP50)} / ${fmtMs(r.updateP95)}`, fmtMs(r.metricsP50)]),
      ),
      ``,
      `The queue page and the case page are index reads of one page or one case: their cost does not grow with the open cases. ` +
        `A live update shows up at the next poll (queue every 5 s, case every 3 s) plus the latency above. ` +
        `The counts (GET /queue) read every open case's entry of the queue index (level, department, status only), so they grow with them; the console refreshes them every 15 s. ` +
        `(GET /metrics, which reads every case of its window in full, does not finish within the 29 s handler limit with 10,000 cases created in its window: the console does not use it.)`,
    ].join('\n');
    const summary = [
      `queue page p50 ${fmtMs(small.queueP50)} ms with ${small.open} open cases, ${fmtMs(big.queueP50)} ms with ${big.open} (${fmtRatio(big.queueP50 / small.queueP50)})`,
      `live update p50 ${fmtMs(small.updateP50)} → ${fmtMs(big.updateP50)} ms (${fmtRatio(big.updateP50 / small.updateP50)}); counts (GET /queue) ${fmtMs(small.metricsP50)} → ${fmtMs(big.metricsP50)} ms (${fmtRatio(big.metricsP50 / small.metricsP50)})`,
    ];
    return { markdown, summary, data: { rows } };
  } finally {
    await stack.stop();
  }
}

mainPart(import.meta.url, 'console', measure);
