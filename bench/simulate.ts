// What-if speed: POST /policies/simulate's pure replay (functions/domain/simulate.ts) over a month of scripted cases,
// against the shipped office-hours policy (Berlin and Santiago calendars, holidays) and, as the baseline in the same
// run, against the round-the-clock policy the cases lived under. No stack: the route's own I/O is one window read.
//
//   node --import tsx bench/simulate.ts [--cases 9000] [--rounds 3]
import { loadPolicy } from '../lib/policy-file.ts';
import type { ChangeContext } from '../functions/domain/change.ts';
import type { CaseRecord } from '../functions/domain/model.ts';
import { CreateCaseInput, escalate, newCase, pause, resolve, resume } from '../functions/domain/operations.ts';
import type { Policy } from '../functions/domain/policy.ts';
import { applyDueTimers } from '../functions/domain/sla.ts';
import { simulate, type History } from '../functions/domain/simulate.ts';
import { argValue, fmtMs, fmtRatio, mainPart, median, progress, table, type PartOutcome } from './support.ts';

const HOUR = 3_600_000;
const MONTH_START = Date.parse('2026-11-02T00:00:00Z');

/** A small deterministic PRNG (mulberry32): the same month of cases on every run. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** `n` cases spread over 30 days, with the mix of human actions a helpdesk sees, lived under `policy`. */
function month(n: number, policy: Policy): History[] {
  const rnd = prng(42);
  let ids = 0;
  const newId = () => `ev-${++ids}`;
  const ctx = (at: number): ChangeContext => ({ now: new Date(at), actor: { kind: 'client', id: 'agent' }, policy, newId });
  const asOf = MONTH_START + 30 * 24 * HOUR;
  const out: History[] = [];
  for (let i = 0; i < n; i++) {
    const created = MONTH_START + Math.floor(rnd() * 30 * 24 * HOUR);
    const input = CreateCaseInput.parse({
      customer: { id: `cust-${Math.floor(rnd() * n * 0.7)}`, email: 'c@example.org', tier: rnd() < 0.1 ? 'gold' : 'standard' },
      subject: 'Order problem',
      description: 'Scripted for the benchmark.',
      priority: (['P1', 'P2', 'P3', 'P3', 'P4'] as const)[Math.floor(rnd() * 5)],
      ...(rnd() < 0.3 ? { category: 'refund' } : {}),
    });
    let c = newCase(`case-${String(i).padStart(6, '0')}`, input, ctx(created));
    let t = created;
    const step = (hours: number, op: (c: CaseRecord, x: ChangeContext) => CaseRecord) => {
      t += Math.floor(hours * HOUR);
      if (t >= asOf) return;
      c = applyDueTimers(c, ctx(t));
      try {
        c = op(c, ctx(t));
      } catch {
        // an action that no longer fits (e.g. escalating past the top) is simply not taken
      }
    };
    if (rnd() < 0.2) {
      step(rnd() * 6, (x, k) => pause(x, {}, k));
      step(rnd() * 20, (x, k) => resume(x, {}, k));
    }
    if (rnd() < 0.1) step(rnd() * 8, (x, k) => escalate(x, { kind: 'hierarchical', summary: 'key account' }, k));
    if (rnd() < 0.05) step(rnd() * 8, (x, k) => escalate(x, { kind: 'functional', summary: 'billing question', toDepartment: 'billing' }, k));
    if (rnd() < 0.7) step(1 + rnd() * 40, (x, k) => resolve(x, { resolution: 'Done.' }, k));
    const end = applyDueTimers(c, ctx(asOf));
    out.push({ case: end, events: end.newEvents });
  }
  return out;
}

async function measure(): Promise<PartOutcome> {
  const n = Number(argValue('--cases') ?? 9_000);
  const rounds = Number(argValue('--rounds') ?? 3);
  const lived = loadPolicy('policies/default.json').policy;
  const draft = loadPolicy('policies/office-hours.json').policy;
  progress(`simulate: scripting ${n} cases over 30 days…`);
  const cases = month(n, lived);
  const asOf = new Date(MONTH_START + 30 * 24 * HOUR);
  const time = (p: Policy) => {
    const samples: number[] = [];
    let report: ReturnType<typeof simulate> | undefined;
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      report = simulate(cases, p, asOf);
      samples.push(performance.now() - t0);
    }
    return { ms: median(samples), report: report! };
  };
  progress('simulate: baseline (the policy the cases lived under)…');
  const base = time(lived);
  progress('simulate: office-hours draft…');
  const office = time(draft);
  const events = cases.reduce((s, h) => s + h.events.length, 0);
  const rows = [
    ['round the clock (the cases\' own policy, baseline)', String(n), fmtMs(base.ms), `${Math.round((n / base.ms) * 1000)}`, '1.00×'],
    ['office-hours (calendars, holidays, round-the-clock P1)', String(n), fmtMs(office.ms), `${Math.round((n / office.ms) * 1000)}`, fmtRatio(office.ms / base.ms)],
  ];
  const markdown = [
    `### What-if replay (\`bench/simulate.ts\`)`,
    ``,
    `${n} scripted cases over 30 days (${events} timeline events), replayed in one process; median of ${rounds} rounds.`,
    ``,
    table(['draft', 'cases', 'ms', 'cases/s', 'vs baseline'], rows, ['l', 'r', 'r', 'r', 'r']),
    ``,
    `Office-hours draft vs what happened: breach rate ${pct(base.report.actual.breachRate)} → ${pct(office.report.simulated.breachRate)}, ` +
      `automatic escalations ${sum(base.report.actual.escalations.automatic)} → ${sum(office.report.simulated.escalations.automatic)}, ` +
      `deadlines moved ${office.report.deadlines.moved} of ${office.report.deadlines.compared}.`,
  ].join('\n');
  return {
    markdown,
    summary: [`a month of ${n} cases replays against the office-hours draft in ${(office.ms / 1000).toFixed(2)} s (${fmtRatio(office.ms / base.ms)} the round-the-clock replay)`],
    data: { cases: n, events, baselineMs: base.ms, officeMs: office.ms },
  };
}

const pct = (r: number | null) => (r === null ? '–' : `${(r * 100).toFixed(1)} %`);
const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

mainPart(import.meta.url, 'simulate', measure);
