// Step Functions state transitions per case, counted from execution history on the local stack (in memory) with a
// second-scale policy. Billing is per transition (STANDARD, $0.025 per 1,000); every *StateEntered event is one.
//
// Scenarios, each for several cases at once:
//   typical  — create → one automatic escalation (L0→L1) → resolve → the follow-up closes the case
//   early    — create → resolve at once (before any escalation) → the follow-up closes the case
// under two policies (each in its own process: the handlers cache the policy per process, as per cold start):
//   warnings off (warnAt: null) and warnings on (warnAt: 0.5).
//
//   node --import tsx bench/transitions.ts
import { fmtUsd, mainPart, pool, progress, argValue, removeOnExit, runNode, table, until, type PartOutcome, LOCAL_CREDENTIALS } from './support.ts';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Design target: a typical case (created, escalated once, resolved, followed up) in at most this many transitions. */
export const DESIGN_TARGET = 12;
/** STANDARD workflows: $0.025 per 1,000 state transitions (us-east-1 list price; the free tier is ignored). */
export const USD_PER_TRANSITION = 0.025 / 1000;
const CASES_PER_MONTH = [10_000, 100_000];

/**
 * Level budget in seconds. With warnAt 0.5 the L0 warning comes at B/2, the escalation at B, the L1 warning at 1.5 B:
 * a typical case is resolved in the B/2 between the escalation and the L1 warning, and an early one before the L0
 * warning, which must hold on a busy machine (with the timer started from the table's stream, 8 s was too short here).
 */
const BUDGET_S = 16;
const FOLLOW_UP_S = 2;
const CASES_PER_SCENARIO = 3;

const VARIANTS = [
  { key: 'warn-off', label: 'warnings off (warnAt: null)', warnAt: null },
  { key: 'warn-on', label: 'warnings on (warnAt: 0.5)', warnAt: 0.5 },
] as const;
type VariantKey = (typeof VARIANTS)[number]['key'];
type Scenario = 'typical' | 'early';

interface ExecutionCount {
  name: string;
  version: number;
  status: string;
  transitions: number;
  /** The states entered, in order. */
  path: string[];
}
interface CaseCount {
  caseId: string;
  scenario: Scenario;
  executions: ExecutionCount[];
  total: number;
  /** Timeline event types of the case (what the wake-ups did). */
  events: string[];
}
interface VariantData {
  variant: VariantKey;
  cases: CaseCount[];
  /** Cases whose timeline is not the scenario's (e.g. a slow machine let a further deadline pass): not counted. */
  disturbed: { caseId: string; scenario: Scenario; events: string[] }[];
}

/** The timeline a case of the scenario must have, else its count measures something else. */
function matchesScenario(c: CaseCount, warnAt: number | null): boolean {
  const n = (t: string) => c.events.filter((e) => e === t).length;
  const escalations = c.scenario === 'typical' ? 1 : 0;
  const warnings = warnAt === null ? 0 : escalations; // the L0 warning before the escalation; none after it
  return n('escalated') === escalations && n('sla.warning') === warnings && n('closed') === 1 && n('sla.breached') === 0;
}

// ---------------------------------------------------------------------------------------------------------------
// One policy variant, in this process

async function measureVariant(variant: (typeof VARIANTS)[number]): Promise<VariantData> {
  const { policyFile, uniformBudgets, TestApi, newCaseBody } = await import('../test/support/stack.ts');
  const { startBenchStack } = await import('./support.ts');
  const { SFNClient, ListExecutionsCommand, GetExecutionHistoryCommand } = await import('@aws-sdk/client-sfn');

  const stack = await startBenchStack(
    policyFile({ budgets: uniformBudgets(BUDGET_S), closeBy: 'PT10M', followUpAfter: `PT${FOLLOW_UP_S}S`, warnAt: variant.warnAt }),
  );
  const api = new TestApi(stack);
  const sfn = new SFNClient({ endpoint: stack.urls.stepfunctions, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  try {
    await api.token(); // the token, once

    const lifecycle = async (scenario: Scenario): Promise<string> => {
      const created = await api.post('/cases', newCaseBody());
      if (created.status !== 201) throw new Error(`POST /cases → ${created.status} ${created.text}`);
      const id = created.body.id as string;
      if (created.body.level !== 'L0') throw new Error(`case ${id} started at ${created.body.level}, expected L0`);
      if (scenario === 'typical') {
        const escalated = await until(`case ${id} to reach L1`, async () => {
          const c = (await api.get(`/cases/${id}`)).body;
          return c.level !== 'L0' ? c : undefined;
        }, (BUDGET_S + 10) * 1000, 50);
        if (escalated.level !== 'L1') throw new Error(`case ${id} went to ${escalated.level}, expected L1`);
      }
      // A person resolves a case minutes or hours later, when its timer sleeps in the Wait state: wait for that (here
      // it comes within milliseconds; resolving sooner would abort the execution mid-step and undercount).
      await until(`case ${id}'s timer to sleep`, async () => {
        const wf = (await api.get(`/cases/${id}/workflow`)).body as { currentState: string | null };
        return wf.currentState === 'WaitForNextDeadline';
      }, 10_000, 50);
      const resolved = await api.post(`/cases/${id}/resolve`, { resolution: 'Replacement shipped today.' });
      if (resolved.status !== 200) throw new Error(`resolve ${id} → ${resolved.status} ${resolved.text}`);
      await until(`case ${id} to close`, async () => (await api.get(`/cases/${id}`)).body.status === 'CLOSED', (FOLLOW_UP_S + 15) * 1000);
      return id;
    };

    const scenarios: Scenario[] = [...Array<Scenario>(CASES_PER_SCENARIO).fill('typical'), ...Array<Scenario>(CASES_PER_SCENARIO).fill('early')];
    const ids = await pool(scenarios.length, scenarios.length, (i) => lifecycle(scenarios[i]!));

    const listAll = async () => {
      const all: { name?: string | undefined; status?: string | undefined; executionArn?: string | undefined }[] = [];
      let nextToken: string | undefined;
      do {
        const r = await sfn.send(new ListExecutionsCommand({ stateMachineArn: stack.stateMachineArn, maxResults: 100, nextToken }));
        all.push(...(r.executions ?? []));
        nextToken = r.nextToken;
      } while (nextToken);
      return all;
    };
    // Every execution of these cases has ended (the closing one succeeds, the re-timed ones were aborted).
    const executions = await until('every execution to end', async () => {
      const all = await listAll();
      return all.every((e) => e.status !== 'RUNNING') ? all : undefined;
    }, 15_000);

    const cases: CaseCount[] = [];
    for (const [i, caseId] of ids.entries()) {
      const mine = executions
        .map((e) => ({ e, m: new RegExp(`^${caseId}-v(\\d+)$`).exec(e.name ?? '') }))
        .filter((x) => x.m)
        .map((x) => ({ ...x.e, version: Number(x.m![1]) }))
        .sort((a, b) => a.version - b.version);
      const counted: ExecutionCount[] = [];
      for (const ex of mine) {
        const path: string[] = [];
        let nextToken: string | undefined;
        do {
          const h = await sfn.send(new GetExecutionHistoryCommand({ executionArn: ex.executionArn, maxResults: 1000, nextToken }));
          for (const ev of h.events ?? []) if (ev.type?.endsWith('StateEntered')) path.push(ev.stateEnteredEventDetails?.name ?? '?');
          nextToken = h.nextToken;
        } while (nextToken);
        counted.push({ name: ex.name ?? '', version: ex.version, status: ex.status ?? '?', transitions: path.length, path });
      }
      const events = ((await api.get(`/cases/${caseId}/timeline`)).body.events as { type: string }[]).map((e) => e.type);
      cases.push({ caseId, scenario: scenarios[i]!, executions: counted, total: counted.reduce((s, e) => s + e.transitions, 0), events });
    }
    const disturbed = cases.filter((c) => !matchesScenario(c, variant.warnAt)).map(({ caseId, scenario, events }) => ({ caseId, scenario, events }));
    for (const d of disturbed) progress(`transitions: case ${d.caseId} (${d.scenario}) left out: its timeline is ${d.events.join(', ')}`);
    const counted = cases.filter((c) => matchesScenario(c, variant.warnAt));
    for (const s of ['typical', 'early'] as const) {
      if (!counted.some((c) => c.scenario === s)) throw new Error(`no ${s} case of ${variant.key} ran as the scenario says (machine too busy?)`);
    }
    return { variant: variant.key, cases: counted, disturbed };
  } finally {
    sfn.destroy();
    await stack.stop();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Report

const SHORT: Record<string, string> = { Evaluate: 'E', 'Done?': 'C', WaitForNextDeadline: 'W', Finished: 'S', TimerFailed: 'F' };
const shortPath = (path: string[]) => path.map((s) => SHORT[s] ?? s).join('→');

function render(datas: VariantData[]): PartOutcome<VariantData[]> {
  const summary: string[] = [];
  const rows: string[][] = [];
  const costRows: string[][] = [];
  const perExecRows: string[][] = [];
  const totals: Record<string, number> = {};
  for (const d of datas) {
    const variant = VARIANTS.find((v) => v.key === d.variant)!;
    for (const scenario of ['typical', 'early'] as const) {
      const cs = d.cases.filter((c) => c.scenario === scenario);
      if (!cs.length) continue;
      const t = cs.map((c) => c.total);
      const min = Math.min(...t);
      const max = Math.max(...t);
      const label = `${scenario === 'typical' ? 'typical: escalated once, resolved, followed up' : 'resolved before any escalation'}`;
      const key = `${d.variant}/${scenario}`;
      totals[key] = max;
      const perExec = cs[0]!.executions.map((e) => `v${e.version} ${e.transitions} (${e.status.toLowerCase()})`).join(' + ');
      const sameShape = cs.every((c) => c.executions.map((e) => e.transitions).join() === cs[0]!.executions.map((e) => e.transitions).join());
      rows.push([
        variant.label,
        label,
        `${cs.length}`,
        sameShape ? perExec : cs.map((c) => c.executions.map((e) => e.transitions).join('+')).join(' / '),
        min === max ? `**${max}**` : `**${min}–${max}**`,
        scenario === 'typical' ? (max <= DESIGN_TARGET ? `≤ ${DESIGN_TARGET} ✓` : `**${max - DESIGN_TARGET} over**`) : '–',
      ]);
      for (const e of cs[0]!.executions) perExecRows.push([`${variant.label}, ${scenario}`, e.name.replace(cs[0]!.caseId, '<case>'), e.status, String(e.transitions), shortPath(e.path)]);
      const perThousand = max * 1000 * USD_PER_TRANSITION;
      costRows.push([
        `${variant.label}, ${scenario === 'typical' ? 'typical' : 'resolved early'}`,
        String(max),
        fmtUsd(perThousand),
        ...CASES_PER_MONTH.map((n) => fmtUsd(max * n * USD_PER_TRANSITION)),
      ]);
    }
  }
  const off = totals['warn-off/typical'];
  const on = totals['warn-on/typical'];
  if (off !== undefined) summary.push(`typical case, warnings off: ${off} transitions (target ≤ ${DESIGN_TARGET}${off <= DESIGN_TARGET ? ', met' : ', MISSED'}) = ${fmtUsd(off * 1000 * USD_PER_TRANSITION)} per 1,000 cases`);
  if (on !== undefined) summary.push(`typical case, warnings on: ${on} transitions (${on <= DESIGN_TARGET ? 'within' : `${on - DESIGN_TARGET} over`} the target) = ${fmtUsd(on * 1000 * USD_PER_TRANSITION)} per 1,000 cases; ${fmtUsd(on * 10_000 * USD_PER_TRANSITION)}/month at 10,000 cases`);
  const early = totals['warn-off/early'];
  if (early !== undefined) summary.push(`resolved before any escalation: ${early} transitions`);

  const disturbed = datas.flatMap((d) => d.disturbed.map((x) => `${d.variant}/${x.scenario}`));
  if (disturbed.length) summary.push(`${disturbed.length} case(s) left out because a slow machine let another deadline pass first: ${disturbed.join(', ')}`);
  const markdown = [
    `### Step Functions state transitions per case`,
    ``,
    `Local stack (in memory), policy: every level ${BUDGET_S} s, follow-up after ${FOLLOW_UP_S} s, close-by 10 min; ${CASES_PER_SCENARIO} cases per scenario, run concurrently. ` +
      `Counted from GetExecutionHistory of every execution \`<caseId>-v1..vN\` (each \`*StateEntered\` event = one billed transition).`,
    ``,
    table(['policy', 'scenario', 'cases', 'per execution', 'transitions / case', `vs target (≤ ${DESIGN_TARGET})`], rows, ['l', 'l', 'r', 'l', 'r', 'l']),
    ``,
    `Paths (E = Evaluate, C = Done? choice, W = WaitForNextDeadline, S = Finished):`,
    ``,
    table(['case', 'execution', 'status', 'transitions', 'states entered'], perExecRows, ['l', 'l', 'l', 'r', 'l']),
    ``,
    `Cost at $0.025 per 1,000 transitions (STANDARD, list price; the free tier of 4,000 transitions/month is ignored):`,
    ``,
    table(['case', 'transitions', 'per 1,000 cases', ...CASES_PER_MONTH.map((n) => `per month at ${n.toLocaleString('en-US')} cases`)], costRows),
    ``,
    (() => {
      // An execution entered at Evaluate spends E→C before anything can be due; starting at the Wait avoids it.
      const early = perExecRows.filter((r) => String(r[r.length - 1]).startsWith('E')).length;
      return early
        ? `${early} of ${perExecRows.length} executions open with E→C although nothing is due at their start.`
        : `Every execution opens with its Wait: nothing is evaluated before something can be due.`;
    })(),
    ...(disturbed.length ? [``, `Left out (timeline not the scenario's, a timing artefact of a busy machine): ${disturbed.join(', ')}.`] : []),
  ].join('\n');
  return { markdown, summary, data: datas };
}

// ---------------------------------------------------------------------------------------------------------------
// Entry: the parent runs each variant in a child process (in parallel: they are idle most of the time)

async function measure(): Promise<PartOutcome> {
  const only = argValue('--variant') as VariantKey | undefined;
  if (only) {
    const variant = VARIANTS.find((v) => v.key === only);
    if (!variant) throw new Error(`unknown variant ${only}`);
    return { markdown: '', summary: [], data: await measureVariant(variant) };
  }
  const { templatePath } = await import('./support.ts');
  await templatePath(); // once, shared by both children
  const dir = removeOnExit(mkdtempSync(join(tmpdir(), 'escalator-bench-transitions-')));
  const datas = await Promise.all(
    VARIANTS.map(async (v) => {
      progress(`transitions: ${v.label}…`);
      const out = join(dir, `${v.key}.json`);
      await runNode([fileURLToPath(import.meta.url), '--variant', v.key, '--json', out], { tsx: true });
      return (JSON.parse(readFileSync(out, 'utf8')) as { data: VariantData }).data;
    }),
  );
  return render(datas);
}

mainPart(import.meta.url, 'transitions', measure);
