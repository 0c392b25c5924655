// All benchmarks, one after the other, each in its own process (the handlers cache policy and clients per process,
// and the memory part needs --expose-gc): synthesize the template once, run the parts, print the report.
//
//   npm run bench                                   all parts (≈ 10–15 minutes on a busy 2-core machine)
//   npm run bench -- --only api,deadlines           some parts: transitions, cold-start, deployed, api, comments, deadlines, dynamodb-local, memory
//   npm run bench -- --out /tmp/bench.md            also write the report (markdown) to a file
//   npm run bench -- --quick                        fewer samples (a smoke run; numbers are not for BENCHMARKS.md)
import { argValue, BENCH_DIR, machine, machineMarkdown, progress, removeOnExit, runNode, TEMPLATE_ENV, templatePath, type PartResult } from './support.ts';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Part {
  name: string;
  script: string;
  args: string[];
  quickArgs: string[];
  nodeFlags?: string[];
}

const PARTS: Part[] = [
  { name: 'transitions', script: 'transitions.ts', args: [], quickArgs: [] },
  { name: 'cold-start', script: 'cold-start.ts', args: ['--runs', '7'], quickArgs: ['--runs', '2'] },
  { name: 'deployed', script: 'deployed.ts', args: ['--runs', '7'], quickArgs: ['--runs', '2'] },
  { name: 'api', script: 'api.ts', args: ['--count', '120', '--throughput-count', '320'], quickArgs: ['--count', '30', '--rounds', '1', '--throughput-count', '64'] },
  { name: 'comments', script: 'comments.ts', args: ['--events', '2000', '--samples', '40'], quickArgs: ['--events', '300', '--samples', '10'] },
  { name: 'deadlines', script: 'deadlines.ts', args: ['--cases', '1000'], quickArgs: ['--cases', '100'] },
  { name: 'dynamodb-local', script: 'dynamodb-local.ts', args: ['--calls', '600'], quickArgs: ['--calls', '200'] },
  { name: 'memory', script: 'memory.ts', args: ['--cases', '500'], quickArgs: ['--cases', '100'], nodeFlags: ['--expose-gc'] },
  { name: 'console', script: 'console.ts', args: ['--sizes', '50,10000', '--samples', '30'], quickArgs: ['--sizes', '50,500', '--samples', '5'] },
  { name: 'simulate', script: 'simulate.ts', args: ['--cases', '9000', '--rounds', '3'], quickArgs: ['--cases', '1000', '--rounds', '1'] },
];

async function main() {
  const only = argValue('--only')?.split(',');
  const quick = process.argv.includes('--quick');
  const out = argValue('--out');
  const parts = PARTS.filter((p) => !only || only.includes(p.name));
  if (!parts.length) throw new Error(`--only names none of ${PARTS.map((p) => p.name).join(', ')}`);

  const m = machine();
  const started = performance.now();
  const synthStarted = performance.now();
  await templatePath();
  const synthSeconds = (performance.now() - synthStarted) / 1000;
  const dir = removeOnExit(mkdtempSync(join(tmpdir(), 'escalator-bench-results-')));
  const results: PartResult[] = [];
  const failed: string[] = [];
  for (const p of parts) {
    progress(`${p.name}…`);
    const file = join(dir, `${p.name}.json`);
    try {
      await runNode([join(BENCH_DIR, p.script), ...(quick ? p.quickArgs : p.args), '--json', file], {
        tsx: true,
        ...(p.nodeFlags ? { nodeFlags: p.nodeFlags } : {}),
        env: { ...process.env, [TEMPLATE_ENV]: process.env[TEMPLATE_ENV] },
      });
      results.push(JSON.parse(readFileSync(file, 'utf8')) as PartResult);
    } catch (e) {
      failed.push(`${p.name}: ${(e as Error).message}`);
    }
  }
  const totalSeconds = (performance.now() - started) / 1000;

  const report = [
    `## Benchmark run ${m.date}${quick ? ' (--quick: fewer samples)' : ''}`,
    ``,
    machineMarkdown(m),
    ``,
    `Template synthesized once in ${synthSeconds.toFixed(1)} s; parts: ${results.map((r) => `${r.part} ${r.seconds.toFixed(0)} s`).join(', ')}; total ${totalSeconds.toFixed(0)} s.`,
    ``,
    ...results.flatMap((r) => [r.markdown, ``]),
    `### Summary`,
    ``,
    ...results.flatMap((r) => r.summary.map((s) => `- **${r.part}**: ${s}`)),
    ...failed.map((f) => `- **FAILED** ${f}`),
    ``,
  ].join('\n');
  process.stdout.write(report);
  if (out) {
    writeFileSync(out, report);
    progress(`report written to ${out}`);
  }
  process.exit(failed.length ? 1 : 0);
}

main().catch((e: unknown) => {
  process.stderr.write(`[bench] ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
