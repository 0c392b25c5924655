// Memory of the local stack (one process, in memory) per open case with a waiting timer execution, against the
// idle stack measured in the same run. GC is forced (node --expose-gc) before every reading.
//
//   fresh idle  → the stack just started (no handler module loaded yet)
//   warm        → after a few cases: every module the create path needs is loaded (the per-case baseline)
//   loaded      → after N more open cases, each with a RUNNING execution sleeping in the Wait state
//
//   node --expose-gc --import tsx bench/memory.ts [--cases 500]   (re-executes itself with --expose-gc if needed)
import { argValue, fmtMB, LOCAL_CREDENTIALS, mainPart, pool, progress, runNode, sleep, startBenchStack, table, until, type PartOutcome } from './support.ts';
import { fileURLToPath } from 'node:url';

const WARM_CASES = 10;

interface Reading {
  label: string;
  cases: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  timers: number;
  /** DynamoDB Local's JVM (a child process since DynamoDB Local replaced dynalite). */
  jvmRss: number;
}

async function read(label: string, cases: number, jvmRss: () => number): Promise<Reading> {
  const gc = (globalThis as { gc?: () => void }).gc!;
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  const m = process.memoryUsage();
  const timers = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  return { label, cases, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, timers, jvmRss: jvmRss() };
}

async function measure(): Promise<PartOutcome<{ readings: Reading[]; cases: number }>> {
  const n = Number(argValue('--cases') ?? 500);
  const { TestApi, newCaseBody } = await import('../test/support/stack.ts');
  const { SFNClient, ListExecutionsCommand, GetExecutionHistoryCommand } = await import('@aws-sdk/client-sfn');
  // The default policy: budgets of hours, so every timer sleeps through the whole run.
  const stack = await startBenchStack();
  const sfn = new SFNClient({ endpoint: stack.urls.stepfunctions, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  try {
    await sleep(500);
    const jvmRss = () => stack.jvm.rss();
    const readings: Reading[] = [await read('fresh idle stack (baseline)', 0, jvmRss)];
    const api = new TestApi(stack, false);
    const create = async () => {
      const r = await api.post('/cases', newCaseBody());
      if (r.status !== 201) throw new Error(`POST /cases → ${r.status} ${r.text}`);
      return r.body.id as string;
    };
    const running = async () => {
      let count = 0;
      let nextToken: string | undefined;
      do {
        const r = await sfn.send(new ListExecutionsCommand({ stateMachineArn: stack.stateMachineArn, statusFilter: 'RUNNING', maxResults: 1000, nextToken }));
        count += r.executions?.length ?? 0;
        nextToken = r.nextToken;
      } while (nextToken);
      return count;
    };
    const lastState = async (id: string) => {
      const h = await sfn.send(
        new GetExecutionHistoryCommand({ executionArn: `${stack.stateMachineArn.replace(':stateMachine:', ':execution:')}:${id}-v1`, reverseOrder: true, maxResults: 1 }),
      );
      return h.events?.[0]?.type;
    };
    /** Every case's execution is RUNNING and sleeping in the Wait state (checked on a sample). */
    const settled = async (ids: string[]) => {
      await stack.drained(); // the stream consumer has started every timer
      await until(`${ids.length} running executions`, async () => (await running()) === ids.length, 60_000, 200);
      const sample = ids.filter((_, i) => i % Math.max(1, Math.floor(ids.length / 20)) === 0);
      await until('the sampled executions to sleep in the Wait state', async () => {
        const states = await Promise.all(sample.map(lastState));
        return states.every((s) => s === 'WaitStateEntered');
      }, 30_000, 200);
      await sleep(500);
    };

    const ids: string[] = [];
    progress(`memory: warming up with ${WARM_CASES} cases…`);
    for (let i = 0; i < WARM_CASES; i++) ids.push(await create());
    await settled(ids);
    readings.push(await read(`warm: ${WARM_CASES} open cases (per-case baseline)`, ids.length, jvmRss));

    progress(`memory: creating ${n} open cases (concurrency 8)…`);
    ids.push(...(await pool(n, 8, create)));
    await settled(ids);
    readings.push(await read(`loaded: ${ids.length} open cases`, ids.length, jvmRss));
    return render(readings, n);
  } finally {
    sfn.destroy();
    await stack.stop();
  }
}

function render(readings: Reading[], n: number): PartOutcome<{ readings: Reading[]; cases: number }> {
  const [idle, warm, loaded] = readings as [Reading, Reading, Reading];
  const rows = readings.map((r) => [
    r.label,
    fmtMB(r.rss),
    `${(r.rss / idle.rss).toFixed(2)}×`,
    fmtMB(r.heapUsed),
    `${(r.heapUsed / idle.heapUsed).toFixed(2)}×`,
    fmtMB(r.external),
    String(r.timers),
    fmtMB(r.jvmRss),
    fmtMB(r.rss + r.jvmRss),
  ]);
  const perCase = (k: 'rss' | 'heapUsed' | 'external' | 'jvmRss') => (loaded[k] - warm[k]) / n;
  const summary = [
    `idle stack ${fmtMB(idle.rss)} MB RSS / ${fmtMB(idle.heapUsed)} MB heap; ${loaded.cases} open cases ${fmtMB(loaded.rss)} MB RSS (${(loaded.rss / idle.rss).toFixed(2)}×) / ${fmtMB(loaded.heapUsed)} MB heap (${(loaded.heapUsed / idle.heapUsed).toFixed(2)}×)`,
    `per open case with a sleeping timer: ${(perCase('heapUsed') / 1024).toFixed(1)} KB heap, ${(perCase('rss') / 1024).toFixed(1)} KB RSS of the node process, ${(perCase('jvmRss') / 1024).toFixed(1)} KB RSS of DynamoDB Local's JVM (vs the warm stack); JVM ${fmtMB(idle.jvmRss)} MB idle → ${fmtMB(loaded.jvmRss)} MB loaded`,
  ];
  const markdown = [
    `### Memory of the local stack per open case`,
    ``,
    `One node process (gateway, handlers, stream poller, Step Functions engine, SES) and DynamoDB Local in its own JVM (in memory, heap capped by local/dynamodb.ts's flags), default policy (hour-scale budgets, so every timer sleeps). ` +
      `\`global.gc()\` ×4 before each reading of the node process; the JVM's RSS is read from /proc (its GC is not forced, and a JVM seldom returns memory to the OS). Ratios against the fresh idle stack measured in the same run; per-case figures are (loaded − warm) ÷ ${n}.`,
    ``,
    table(['state', 'node RSS MB', 'RSS × idle', 'heap used MB', 'heap × idle', 'external MB', 'active timers', 'DynamoDB Local JVM RSS MB', 'total RSS MB'], rows),
    ``,
    table(
      ['per open case (waiting timer execution)', 'KB'],
      [
        ['heap used', (perCase('heapUsed') / 1024).toFixed(1)],
        ['RSS', (perCase('rss') / 1024).toFixed(1)],
        ['external (buffers)', (perCase('external') / 1024).toFixed(1)],
        ['DynamoDB Local JVM RSS', (perCase('jvmRss') / 1024).toFixed(1)],
      ],
    ),
  ].join('\n');
  return { markdown, summary, data: { readings, cases: n } };
}

// GC must be exposed for honest readings: re-execute with --expose-gc when started without it.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1] && typeof (globalThis as { gc?: unknown }).gc !== 'function') {
  runNode(process.argv.slice(1), { tsx: true, nodeFlags: ['--expose-gc'] }).then(
    () => process.exit(0),
    () => process.exit(1),
  );
} else {
  mainPart(import.meta.url, 'memory', measure);
}
