// A burst of deadlines: N cases (default 1,000) whose first (L0) deadlines all fall within a ~10 s window, on the local
// stack (in memory). When a case's L0 budget runs out its timer escalates it to L1, and the stream consumer sends the
// escalation alert to the L1 manager (and a status update to the customer). Measured: every alert sent exactly once,
// and how long after its case's deadline each one reached SES.
//
// Deadlines are placed with the policy: 60 departments whose L0 budgets form a ladder (20 s, 22 s, … 138 s; every
// other level 1 h, warnings off), one routing category each. Each case, as it is created, takes the department whose
// budget puts its deadline nearest its slot in the window (slots spread evenly over 10 s, the window opening after
// every case is created and its timer started), so the window holds however fast the machine creates cases.
//
// Times: when SES answered the alert's SendEmail (read in this process, ms); the SES store's own `at` is whole seconds
// (aws-ses-v2-local floors it), so it only bounds the figure (upper bound: at + 1 s).
//
//   node --import tsx bench/deadlines.ts [--cases 1000] [--window 10]
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { argValue, fmtMs, LOCAL_CREDENTIALS, mainPart, pool, processCpuMs, progress, quantile, removeOnExit, ROOT, sesStore, sleep, startBenchStack, table, type PartOutcome } from './support.ts';
import { callsBetween, callsText, instrumentHandlerClients, sesEmailOf, totalCalls } from './sdk-calls.ts';

const BASE_S = 20;
const STEP_S = 2;
const RUNGS = 60;
const MANAGER = 'deadline-managers@example.com';
const WARM_UP = 64;
const CONCURRENCY = 16;

function deadlinePolicy(): string {
  const demo = JSON.parse(readFileSync(join(ROOT, 'policies', 'demo.json'), 'utf8')) as Record<string, any>;
  const hour = { L0: 'PT1H', L1: 'PT1H', L2: 'PT1H', L3: 'PT1H' };
  const all = (l: Record<string, string>) => ({ P1: l, P2: l, P3: l, P4: l });
  const departments: Record<string, unknown> = { support: { managers: demo['departments'].support.managers, budgets: all(hour) } };
  const categories: Record<string, string> = {};
  for (let k = 0; k < RUNGS; k++) {
    const d = `d${String(k).padStart(2, '0')}`;
    departments[d] = { budgets: all({ ...hour, L0: `PT${BASE_S + STEP_S * k}S` }), managers: { L1: [MANAGER] } };
    categories[`c${String(k).padStart(2, '0')}`] = d;
  }
  const policy = {
    ...demo,
    warnAt: null,
    closeBy: 'PT2H',
    followUpAfter: 'PT1H',
    budgets: all(hour),
    departments,
    routing: { defaultLevel: 'L0', defaultDepartment: 'support', categories, rules: [] },
  };
  const path = join(removeOnExit(mkdtempSync(join(tmpdir(), 'escalator-deadlines-'))), 'policy.json');
  writeFileSync(path, JSON.stringify(policy));
  return path;
}

interface Created {
  i: number;
  id: string;
  ref: string;
  deadline: number;
  createdAt: number;
}

async function measure(): Promise<PartOutcome> {
  const n = Number(argValue('--cases') ?? 1000);
  const windowS = Number(argValue('--window') ?? 10);
  const { TestApi, newCaseBody } = await import('../test/support/stack.ts');
  const stack = await startBenchStack(deadlinePolicy());
  const counter = await instrumentHandlerClients();
  /** case reference (what emails name a case by) → when SES answered each alert / customer email (ms). */
  const alerts = new Map<string, number[]>();
  const updates = new Map<string, number[]>();
  /** case id → when the timer task's escalation transaction (the case now at L1) was answered. */
  const escalatedAt = new Map<string, number>();
  counter.listen((c) => {
    if (c.service === 'DynamoDB' && c.command === 'TransactWriteItems' && c.origin === 'stream') {
      const item = (c.input['TransactItems'] as { Put?: { Item?: { id?: string; level?: string; kind?: string } } }[] | undefined)?.[0]?.Put?.Item;
      if (item?.kind === 'CASE' && item.level === 'L1' && item.id && !escalatedAt.has(item.id)) escalatedAt.set(item.id, c.at);
    }
    const e = sesEmailOf(c);
    if (!e) return;
    const alert = /Case (\S+) escalated to L1/.exec(e.subject)?.[1];
    if (alert && e.to.includes(MANAGER)) alerts.set(alert, [...(alerts.get(alert) ?? []), c.at]);
    const customer = /\[Case ([^\]]+)\]$/.exec(e.subject)?.[1];
    if (customer) updates.set(customer, [...(updates.get(customer) ?? []), c.at]); // the acknowledgement, then the status update
  });
  const api = new TestApi(stack, false);
  try {
    const auth = { authorization: `Bearer ${await api.token()}`, 'content-type': 'application/json' };
    const create = async (body: unknown) => {
      const r = await fetch(`${api.url}/cases`, { method: 'POST', headers: auth, body: JSON.stringify(body) });
      const text = await r.text();
      if (r.status !== 201) throw new Error(`POST /cases → ${r.status} ${text.slice(0, 300)}`);
      return JSON.parse(text) as { id: string; reference?: string; department: string; level: string; sla: { levelDueAt: string } };
    };

    // Warm-up (hour budgets, never due here), and the create rate that places the window.
    progress(`deadlines: warming up (${WARM_UP} cases)…`);
    await pool(WARM_UP / 2, CONCURRENCY, (i) => create(newCaseBody({ customer: { id: `warm-${i}`, email: `warm-${i}@example.org`, name: 'Warm Up', tier: 'standard' } })));
    await stack.drained();
    const rateStarted = performance.now();
    await pool(WARM_UP / 2, CONCURRENCY, (i) => create(newCaseBody({ customer: { id: `warm2-${i}`, email: `warm2-${i}@example.org`, name: 'Warm Up', tier: 'standard' } })));
    await stack.drained();
    const rate = WARM_UP / 2 / ((performance.now() - rateStarted) / 1000);
    const estimateS = n / rate;

    const t0 = Date.now();
    const maxBudgetMs = (BASE_S + STEP_S * (RUNGS - 1)) * 1000;
    // The window opens once every case should be created (with a margin), and never before the shortest budget allows.
    const opensAt = t0 + Math.min(Math.max((BASE_S + 2) * 1000, estimateS * 1.3 * 1000 + 5_000), maxBudgetMs - windowS * 1000);
    progress(`deadlines: ${rate.toFixed(0)} creates/s in the warm-up: creating ${n} cases (≈ ${estimateS.toFixed(0)} s), deadlines from ${((opensAt - t0) / 1000).toFixed(0)} s to ${((opensAt - t0) / 1000 + windowS).toFixed(0)} s after the first…`);
    let next = 0;
    const created: Created[] = [];
    await pool(n, CONCURRENCY, async () => {
      const i = next++;
      const slot = opensAt + (windowS * 1000 * (i + 0.5)) / n;
      const budgetS = (slot - Date.now()) / 1000;
      const k = Math.min(RUNGS - 1, Math.max(0, Math.round((budgetS - BASE_S) / STEP_S)));
      const c = await create(
        newCaseBody({
          customer: { id: `dl-${i}`, email: `dl-${i}@example.org`, name: `Customer ${i}`, tier: 'standard', lifetimeValue: 100 },
          subject: `deadline bench ${i}`,
          priority: 'P3',
          category: `c${String(k).padStart(2, '0')}`,
        }),
      );
      if (c.level !== 'L0') throw new Error(`case ${c.id} opened at ${c.level}, not L0`);
      created.push({ i, id: c.id, ref: c.reference ?? c.id, deadline: Date.parse(c.sla.levelDueAt), createdAt: Date.now() });
    });
    const createdBy = Date.now();
    await stack.drained();
    const effectsBy = Date.now();
    const cpuNow = () => processCpuMs() + stack.jvm.cpuMs();
    const cpuIdleStart = cpuNow();
    const deadlines = created.map((c) => c.deadline);
    const first = Math.min(...deadlines);
    const last = Math.max(...deadlines);
    progress(`deadlines: created in ${((createdBy - t0) / 1000).toFixed(1)} s (effects done ${((effectsBy - t0) / 1000).toFixed(1)} s); deadlines ${((first - t0) / 1000).toFixed(1)}–${((last - t0) / 1000).toFixed(1)} s; waiting for the alerts…`);

    // Wait for every alert (or give up a minute after the last deadline), then let duplicates show up.
    const giveUpAt = last + 60_000;
    // CPU while idle until the first deadline (the stack's own polling), to subtract from the burst's.
    while (Date.now() < first - 200) await sleep(100);
    const idleCpuPerMs = (cpuNow() - cpuIdleStart) / Math.max(1, Date.now() - effectsBy);
    const burstStarted = Date.now();
    const cpuBurstStart = cpuNow();
    const jvmBurstStart = stack.jvm.cpuMs();
    const callsBefore = counter.snapshot();
    while (Date.now() < giveUpAt && created.some((c) => !alerts.has(c.ref))) await sleep(250);
    const burstMs = Date.now() - burstStarted;
    const burstCpuMs = cpuNow() - cpuBurstStart;
    const jvmBurstMs = stack.jvm.cpuMs() - jvmBurstStart;
    // The handlers' SDK calls during the burst (the timer task's and the stream consumer's; the poller's own
    // GetRecords are not among them), per escalation.
    const burstCalls = callsBetween(callsBefore, counter.snapshot());
    const handlerCalls = { ...burstCalls.stream };
    for (const [k, v] of Object.entries(burstCalls.other)) handlerCalls[k] = (handlerCalls[k] ?? 0) + v;
    await stack.drained();
    await sleep(2_000);
    await stack.drained();
    const store = await sesStore(stack);

    // Where the time went: the timer task's escalation committed (its transaction answered, seen here), the stream
    // consumer claimed the alert (claimedAt on its email item), SES answered.
    const { DynamoDBClient, QueryCommand } = await import('@aws-sdk/client-dynamodb');
    const raw = new DynamoDBClient({ endpoint: stack.urls.dynamodb, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
    const stages = { timer: [] as number[], stream: [] as number[], send: [] as number[] };
    await pool(created.length, 8, async (j) => {
      const c = created[j]!;
      const r = await raw.send(
        new QueryCommand({ TableName: stack.tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :ev)', ExpressionAttributeValues: { ':pk': { S: `CASE#${c.id}` }, ':ev': { S: 'EV#' } }, ConsistentRead: true }),
      );
      const item = (r.Items ?? []).find((i) => i['itemType']?.S === 'EMAIL' && i['to']?.S === MANAGER);
      const owed = escalatedAt.get(c.id) ?? Number.NaN;
      const claimed = Date.parse(item?.['claimedAt']?.S ?? '');
      const ses = alerts.get(c.ref)?.[0];
      if (Number.isFinite(owed)) stages.timer.push(owed - c.deadline);
      if (Number.isFinite(owed) && Number.isFinite(claimed)) stages.stream.push(claimed - owed);
      if (Number.isFinite(claimed) && ses !== undefined) stages.send.push(ses - claimed);
    });
    raw.destroy();

    const ids = new Set(created.map((c) => c.ref));
    const inStore = new Map<string, number[]>();
    for (const e of store) {
      const id = /Case (\S+) escalated to L1/.exec(e.subject)?.[1];
      if (id && ids.has(id) && e.destination.to.includes(MANAGER)) inStore.set(id, [...(inStore.get(id) ?? []), e.at]);
    }
    const lag = created.flatMap((c) => (alerts.has(c.ref) ? [alerts.get(c.ref)![0]! - c.deadline] : []));
    const lagUpper = created.flatMap((c) => (inStore.has(c.ref) ? [(inStore.get(c.ref)![0]! + 1) * 1000 - c.deadline] : []));
    // The customer's status update: their first email at or after the deadline (the acknowledgement came at creation).
    const updateLag = created.flatMap((c) => {
      const at = (updates.get(c.ref) ?? []).find((t) => t >= c.deadline);
      return at === undefined ? [] : [at - c.deadline];
    });
    const perSecond = new Map<number, number>();
    for (const d of deadlines) perSecond.set(Math.floor((d - first) / 1000), (perSecond.get(Math.floor((d - first) / 1000)) ?? 0) + 1);
    const result = {
      cases: n,
      rate,
      createS: (createdBy - t0) / 1000,
      effectsS: (effectsBy - t0) / 1000,
      windowS: (last - first) / 1000,
      firstAfterCreatedS: (first - effectsBy) / 1000,
      peakPerSecond: Math.max(...perSecond.values()),
      sent: [...inStore.values()].filter((v) => v.length >= 1).length,
      once: [...inStore.values()].filter((v) => v.length === 1).length,
      duplicates: [...inStore.values()].filter((v) => v.length > 1).length,
      missing: created.filter((c) => !inStore.has(c.ref)).length,
      answeredBySes: lag.length,
      lag: { p50: quantile(lag, 0.5), p95: quantile(lag, 0.95), p99: quantile(lag, 0.99), max: Math.max(...lag), min: Math.min(...lag) },
      lagUpper: { p50: quantile(lagUpper, 0.5), p99: quantile(lagUpper, 0.99) },
      updateLag: { p50: quantile(updateLag, 0.5), p99: quantile(updateLag, 0.99), count: updateLag.length },
      burstS: burstMs / 1000,
      cpuPerEscalationMs: (burstCpuMs - idleCpuPerMs * burstMs) / n,
      cpuShare: burstCpuMs / burstMs,
      jvmCpuPerEscalationMs: jvmBurstMs / n,
      callsPerEscalation: callsText(handlerCalls, n),
      jvmCpuPerDynamoCallMs: jvmBurstMs / Math.max(1, Object.entries(handlerCalls).filter(([k]) => k.startsWith('DynamoDB.')).reduce((t, [, v]) => t + v, 0)),
      handlerCallsTotal: totalCalls(handlerCalls),
      stages: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, { p50: quantile(v, 0.5), p99: quantile(v, 0.99) }])) as Result['stages'],
    };
    return render(result);
  } finally {
    await stack.stop();
  }
}

type Result = {
  cases: number;
  rate: number;
  createS: number;
  effectsS: number;
  windowS: number;
  firstAfterCreatedS: number;
  peakPerSecond: number;
  sent: number;
  once: number;
  duplicates: number;
  missing: number;
  answeredBySes: number;
  lag: { p50: number; p95: number; p99: number; max: number; min: number };
  lagUpper: { p50: number; p99: number };
  updateLag: { p50: number; p99: number; count: number };
  stages: Record<'timer' | 'stream' | 'send', { p50: number; p99: number }>;
  burstS: number;
  cpuPerEscalationMs: number;
  cpuShare: number;
  jvmCpuPerEscalationMs: number;
  callsPerEscalation: string;
  jvmCpuPerDynamoCallMs: number;
  handlerCallsTotal: number;
};

function render(r: Result): PartOutcome {
  const okOnce = r.once === r.cases && r.duplicates === 0 && r.missing === 0;
  const okLag = r.lag.p99 <= 1000;
  const summary = [
    `${r.cases} cases with L0 deadlines within ${r.windowS.toFixed(1)} s (peak ${r.peakPerSecond}/s): ${r.once} alerts sent exactly once, ${r.duplicates} duplicated, ${r.missing} missing (${okOnce ? 'every alert once ✓' : 'NOT every alert once'}); alert reached SES p50 ${fmtMs(r.lag.p50)} ms, p99 ${fmtMs(r.lag.p99)} ms after its deadline (goal p99 ≤ 1 s: ${okLag ? 'met' : 'NOT met'})`,
  ];
  const markdown = [
    `### A burst of deadlines: ${r.cases.toLocaleString('en')} cases due within ~10 s (local stack, in memory, DynamoDB Local)`,
    ``,
    `Policy: 60 departments whose L0 budgets form a ladder (${BASE_S} s, ${BASE_S + STEP_S} s, … ${BASE_S + STEP_S * (RUNGS - 1)} s; every other level 1 h; warnings off), one L1 manager each. ` +
      `Each case takes, as it is created (concurrency ${CONCURRENCY}), the department whose budget puts its deadline nearest its slot in a 10 s window that opens after every case is created and its timer started ` +
      `(placed from the create rate of a ${WARM_UP}-case warm-up: ${r.rate.toFixed(0)}/s). The deadline is the case's \`sla.levelDueAt\` from its 201. ` +
      `An alert's time is when SES answered its SendEmail (seen in this process, ms); the SES store's \`at\` is whole seconds, so \`at + 1 s\` only bounds it from above.`,
    ``,
    table(
      ['', ''],
      [
        ['cases created (with their effects: acknowledgement sent, timer started)', `${r.cases} in ${r.createS.toFixed(1)} s (effects done at ${r.effectsS.toFixed(1)} s)`],
        ['deadlines', `within ${r.windowS.toFixed(1)} s, peak ${r.peakPerSecond} in one second; the first ${r.firstAfterCreatedS.toFixed(1)} s after the last create's effects`],
        ['escalation alerts in the SES store', `${r.sent} of ${r.cases} cases; **${r.once} exactly once**, ${r.duplicates} more than once, ${r.missing} missing`],
        ['alert at SES − deadline: p50 / p95 / p99 / max', `${fmtMs(r.lag.p50)} / ${fmtMs(r.lag.p95)} / **${fmtMs(r.lag.p99)}** / ${fmtMs(r.lag.max)} ms (min ${fmtMs(r.lag.min)} ms; ${r.answeredBySes} alerts)`],
        ['upper bound from the SES store (at + 1 s − deadline): p50 / p99', `${fmtMs(r.lagUpper.p50)} / ${fmtMs(r.lagUpper.p99)} ms`],
        ['where it went, p50 / p99: deadline → escalation committed (timer wake-up + Evaluate)', `${fmtMs(r.stages.timer.p50)} / ${fmtMs(r.stages.timer.p99)} ms`],
        ['… → alert claimed by the stream consumer (stream + poller + queue)', `${fmtMs(r.stages.stream.p50)} / ${fmtMs(r.stages.stream.p99)} ms`],
        ['… → SES answered (compose + send)', `${fmtMs(r.stages.send.p50)} / ${fmtMs(r.stages.send.p99)} ms`],
        ['CPU (node + DynamoDB Local JVM) per escalation during the burst, idle polling subtracted', `${fmtMs(r.cpuPerEscalationMs)} ms: the burst took ${r.burstS.toFixed(1)} s at ${r.cpuShare.toFixed(2)} cores busy, i.e. ≈ ${(1000 / r.cpuPerEscalationMs).toFixed(0)} escalations/s per core`],
        ['… of which DynamoDB Local (the JVM)', `${fmtMs(r.jvmCpuPerEscalationMs)} ms per escalation, ≈ ${r.jvmCpuPerDynamoCallMs.toFixed(1)} ms per DynamoDB call of the handlers (the poller's GetRecords included in the JVM's share)`],
        ['SDK calls per escalation during the burst (timer task + stream consumer)', r.callsPerEscalation],
        ['customer status update at SES − deadline: p50 / p99', `${fmtMs(r.updateLag.p50)} / ${fmtMs(r.updateLag.p99)} ms (${r.updateLag.count} emails)`],
        ['goal: every alert once, p99 ≤ 1 s', `${okOnce ? 'once ✓' : 'once ✗'}, ${okLag ? 'p99 ✓' : 'p99 ✗'}`],
      ],
    ),
  ].join('\n');
  return { markdown, summary, data: r };
}

mainPart(import.meta.url, 'deadlines', measure);
