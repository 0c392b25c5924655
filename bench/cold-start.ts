// Cold start of every deployed Lambda handler, against the baseline measured in the same run (TOOLCHAIN.md: a
// handler that only creates a DynamoDBClient and sends one PutItemCommand, bundled the same way).
//
// Each distinct handler module is bundled with esbuild using the options lib/escalator-function.ts gives
// NodejsFunction (ESM, minified, platform node, the runtime's target, the createRequire banner, the policy inlined
// with `define`, linked source maps without sources content, nothing external), then imported — never called — in a
// fresh `node` process, several times round-robin, with the Lambda's NODE_OPTIONS (--enable-source-maps) and
// without. The esbuild metafile says what each bundle carries beyond the baseline.
//
//   node --import tsx bench/cold-start.ts [--runs 7] [--profile functions/http/cases.ts]
import { fmtKB, fmtMs, fmtRatio, mainPart, median, progress, removeOnExit, runNode, table, argValue, BENCH_DIR, ROOT, type PartOutcome } from './support.ts';
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type BuildOptions, type Metafile } from 'esbuild';

const FLAG_ABOVE = 1.5;

/** The deployed functions' esbuild settings (lib/escalator-function.ts), as the esbuild JS API spells them. */
export function deployedBuildOptions(target: string, policy: import('../functions/domain/policy.ts').Policy, escalatorBundling: typeof import('../lib/escalator-function.ts').escalatorBundling): BuildOptions {
  const shared = escalatorBundling(policy);
  return {
    bundle: true,
    platform: 'node',
    target, // NodejsFunction derives it from the runtime: nodejs24.x → node24
    format: 'esm',
    mainFields: shared.mainFields,
    banner: { js: shared.banner },
    minify: shared.minify,
    define: shared.define,
    alias: shared.alias, // esbuildArgs `--alias:…` in lib/escalator-function.ts
    sourcemap: 'linked', // SourceMapMode.DEFAULT → `--sourcemap`
    sourcesContent: false,
    logLevel: 'warning',
    absWorkingDir: ROOT,
  };
}

/**
 * The bare handler's settings: the deployed ones without our alias of the SDK's credential chain. The bare handler is
 * issue 14's yardstick as the issue defines it, a DynamoDB client and one PutItem as anyone would write and bundle
 * them, so it keeps the SDK's default chain. bench/deployed.ts also measures it with the alias, as a what-if.
 */
export function bareHandlerBuildOptions(...args: Parameters<typeof deployedBuildOptions>): BuildOptions {
  const { alias: _ours, ...options } = deployedBuildOptions(...args);
  return options;
}

interface HandlerModule {
  /** Path from the repo root. */
  file: string;
  /** The exports deployed as functions (NodejsFunction bundles the whole module once per function). */
  exports: string[];
  kind: 'handler' | 'baseline' | 'floor';
}

/** Profiled by default (one API function). */
const PROFILED_MODULE = 'functions/http/cases.ts';

/** Every deployed handler: the route table's, plus the functions lib/ wires by `handler: { file, export }`. */
async function deployedHandlers(): Promise<HandlerModule[]> {
  const { ROUTE_TABLE } = await import('../functions/http/route-table.ts');
  const byFile = new Map<string, Set<string>>();
  const add = (file: string, exp: string) => byFile.set(file, (byFile.get(file) ?? new Set()).add(exp));
  for (const { entry } of ROUTE_TABLE) add(entry.file, entry.export);
  const libDir = join(ROOT, 'lib');
  for (const f of readdirSync(libDir).filter((f) => f.endsWith('.ts'))) {
    const src = readFileSync(join(libDir, f), 'utf8');
    for (const m of src.matchAll(/handler:\s*\{\s*file:\s*'([^']+)',\s*export:\s*'([^']+)'\s*\}/g)) add(m[1]!, m[2]!);
  }
  for (const required of ['functions/workflow/evaluate.ts', 'functions/workflow/reconciler.ts']) {
    if (!byFile.has(required)) add(required, 'handler');
  }
  return [...byFile].map(([file, exports]) => ({ file, exports: [...exports], kind: 'handler' as const }));
}

interface Bundled extends HandlerModule {
  bytes: number;
  mapBytes: number;
  outfile: string;
  /** Output bytes per package (node_modules) or first-party folder. */
  byPackage: Map<string, number>;
}

function packageOf(input: string): string {
  const parts = input.split('node_modules/');
  if (parts.length > 1) {
    const rest = parts[parts.length - 1]!.split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const dirs = input.split('/');
  return `(own) ${dirs.slice(0, Math.min(2, dirs.length - 1)).join('/') || input}`;
}

function byPackage(meta: Metafile): Map<string, number> {
  const out = Object.values(meta.outputs).find((o) => o.entryPoint);
  const sums = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(out?.inputs ?? {})) {
    const p = packageOf(input);
    sums.set(p, (sums.get(p) ?? 0) + bytesInOutput);
  }
  return sums;
}

interface Probe {
  ms: number;
  cpuMs: number;
  rss: number;
  heapUsed: number;
  error?: string;
}

export const PROBE_ENV: NodeJS.ProcessEnv = {
  PATH: process.env['PATH'],
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_LAMBDA_FUNCTION_NAME: 'bench',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  POWERTOOLS_SERVICE_NAME: 'escalator',
  TABLE_NAME: 'escalator-cases',
  STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:EscalationWorkflow',
  SES_CONFIGURATION_SET: 'bench',
  LINK_SIGNING_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench',
};

async function probe(b: Bundled, sourceMaps: boolean): Promise<Probe> {
  const out = await runNode([join(BENCH_DIR, 'import-probe.mjs'), pathToFileURL(b.outfile).href], {
    capture: true,
    env: { ...PROBE_ENV, ...(sourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}) },
  });
  return JSON.parse(out) as Probe;
}

interface Row {
  label: string;
  file: string;
  exports: string[];
  kind: HandlerModule['kind'];
  bytes: number;
  mapBytes: number;
  importMs: number;
  importMsNoMaps: number;
  importCpuMsNoMaps: number;
  importCpuMs: number;
  cpuRatio: number;
  rss: number;
  sizeRatio: number;
  importRatio: number;
  /** Packages that add the most over the baseline: [package, extra bytes]. */
  extra: [string, number][];
  error?: string;
}


// ---------------------------------------------------------------------------------------------------------------
// Where one handler's import spends its CPU: the same build unminified (esbuild marks each module with a
// `// path` comment), `node --cpu-prof` on the import, samples attributed to the package of their innermost frame
// in the bundle; samples with no bundle frame are V8 compiling the bundle and Node's module loading.

const PRELUDE = "(esbuild's runtime helpers: require() of Node builtins)";
const GC = '(garbage collector)';
const COMPILE = '(V8 parse + compile of the bundle, unminified here)';
const NODE = '(Node start-up and module loader)';

interface CpuProfile {
  nodes: { id: number; callFrame: { url: string; lineNumber: number; functionName: string }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

async function profileImport(options: BuildOptions, file: string, runs: number): Promise<[string, number][]> {
  const dir = removeOnExit(mkdtempSync(join(tmpdir(), 'escalator-bench-profile-')));
  const outfile = join(dir, 'index.mjs');
  await build({ ...options, minify: false, sourcemap: false, entryPoints: [join(ROOT, file)], outfile });
  const lines = readFileSync(outfile, 'utf8').split('\n');
  const marks: [number, string][] = [];
  lines.forEach((l, i) => {
    const m = /^\/\/ (\S+\.(?:[cm]?js|ts|json))$/.exec(l);
    if (m) marks.push([i, m[1]!]);
  });
  const moduleAt = (line: number): string => {
    let lo = 0;
    let hi = marks.length - 1;
    let found = PRELUDE;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (marks[mid]![0] <= line) {
        found = marks[mid]![1];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found === PRELUDE ? found : packageOf(found);
  };
  const totals = new Map<string, number>();
  for (let run = 0; run < runs; run++) {
    const profDir = join(dir, `prof-${run}`);
    await runNode(['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', profDir, join(BENCH_DIR, 'import-probe.mjs'), pathToFileURL(outfile).href], {
      capture: true,
      env: PROBE_ENV,
    });
    const profFile = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'))!;
    const prof = JSON.parse(readFileSync(join(profDir, profFile), 'utf8')) as CpuProfile;
    const byId = new Map(prof.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const bundleUrl = pathToFileURL(outfile).href;
    const key = new Map<number, string>();
    const keyOf = (id: number): string => {
      const cached = key.get(id);
      if (cached) return cached;
      let k: string | undefined;
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const f = byId.get(cur)!.callFrame;
        if (f.url === bundleUrl) {
          k = moduleAt(f.lineNumber);
          break;
        }
      }
      const fn = byId.get(id)!.callFrame.functionName;
      if (!k) {
        const ancestors: string[] = [];
        for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) ancestors.push(byId.get(cur)!.callFrame.functionName);
        k =
          fn === '(garbage collector)'
            ? GC
            : fn === '(idle)' || fn === '(program)'
              ? ''
              : ancestors.includes('compileSourceTextModule')
                ? COMPILE
                : NODE;
      }
      key.set(id, k);
      return k;
    };
    prof.samples.forEach((id, i) => {
      const k = keyOf(id);
      if (k) totals.set(k, (totals.get(k) ?? 0) + (prof.timeDeltas[i] ?? 0) / 1000 / runs);
    });
  }
  return [...totals].sort((a, b) => b[1] - a[1]);
}

async function measure(): Promise<PartOutcome<Row[]>> {
  const runs = Number(argValue('--runs') ?? 7);
  const { NODE_RUNTIME, escalatorBundling } = await import('../lib/escalator-function.ts');
  const target = NODE_RUNTIME.name.replace(/^nodejs(\d+).*$/, 'node$1');
  const { policy } = (await import('../lib/policy-file.ts')).loadPolicy(join(ROOT, 'policies', 'default.json'));
  const options = deployedBuildOptions(target, policy, escalatorBundling);
  const bareOptions = bareHandlerBuildOptions(target, policy, escalatorBundling);

  const modules: HandlerModule[] = [
    { file: relative(ROOT, join(BENCH_DIR, 'fixtures', 'baseline-handler.ts')), exports: ['handler'], kind: 'baseline' },
    { file: relative(ROOT, join(BENCH_DIR, 'fixtures', 'empty-handler.ts')), exports: ['handler'], kind: 'floor' },
    ...(await deployedHandlers()),
  ];
  const outRoot = removeOnExit(mkdtempSync(join(tmpdir(), 'escalator-bench-bundles-')));
  progress(`cold-start: bundling ${modules.length} modules (target ${target}) into ${outRoot}…`);
  const bundled: Bundled[] = [];
  for (const [i, m] of modules.entries()) {
    const outfile = join(outRoot, String(i), 'index.mjs');
    const r = await build({ ...(m.kind === 'handler' ? options : bareOptions), entryPoints: [join(ROOT, m.file)], outfile, metafile: true });
    bundled.push({ ...m, outfile, bytes: statSync(outfile).size, mapBytes: statSync(`${outfile}.map`).size, byPackage: byPackage(r.metafile!) });
  }

  // Round-robin, so drift (thermal, other load) spreads over every bundle alike.
  const samples = new Map<Bundled, { maps: Probe[]; noMaps: Probe[] }>(bundled.map((b) => [b, { maps: [], noMaps: [] }]));
  progress(`cold-start: ${runs} rounds × ${bundled.length} bundles × 2 (with/without --enable-source-maps) fresh processes…`);
  for (let round = 0; round < runs; round++) {
    for (const b of bundled) {
      const s = samples.get(b)!;
      s.maps.push(await probe(b, true));
      s.noMaps.push(await probe(b, false));
    }
  }

  const baseline = bundled.find((b) => b.kind === 'baseline')!;
  const baseMs = median(samples.get(baseline)!.maps.map((p) => p.ms));
  const baseCpu = median(samples.get(baseline)!.maps.map((p) => p.cpuMs));
  const rows: Row[] = bundled.map((b) => {
    const s = samples.get(b)!;
    const importMs = median(s.maps.map((p) => p.ms));
    const importCpuMs = median(s.maps.map((p) => p.cpuMs));
    const extra = [...b.byPackage]
      .map(([p, bytes]): [string, number] => [p, bytes - (baseline.byPackage.get(p) ?? 0)])
      .filter(([, d]) => d > 1024)
      .sort((x, y) => y[1] - x[1])
      .slice(0, 6);
    const error = s.maps.find((p) => p.error)?.error;
    return {
      label:
        b.kind === 'baseline'
          ? 'BASELINE: DynamoDBClient + PutItem'
          : b.kind === 'floor'
            ? 'floor: empty handler'
            : b.file.replace(/^functions\//, ''),
      file: b.file,
      exports: b.exports,
      kind: b.kind,
      bytes: b.bytes,
      mapBytes: b.mapBytes,
      importMs,
      importMsNoMaps: median(s.noMaps.map((p) => p.ms)),
      importCpuMsNoMaps: median(s.noMaps.map((p) => p.cpuMs)),
      importCpuMs,
      cpuRatio: importCpuMs / baseCpu,
      rss: median(s.maps.map((p) => p.rss)),
      sizeRatio: b.bytes / baseline.bytes,
      importRatio: importMs / baseMs,
      extra,
      ...(error ? { error: error.split('\n')[0]! } : {}),
    };
  });
  const profiled = argValue('--profile') ?? PROFILED_MODULE;
  progress(`cold-start: profiling the import of ${profiled} (unminified build, --cpu-prof)…`);
  const profile = await profileImport(options, profiled, 3);
  return render(rows, runs, target, { file: profiled, profile });
}

function render(rows: Row[], runs: number, target: string, prof: { file: string; profile: [string, number][] }): PartOutcome<Row[]> {
  const flagged = (r: Row) => r.kind === 'handler' && (r.sizeRatio > FLAG_ABOVE || r.importRatio > FLAG_ABOVE || r.cpuRatio > FLAG_ABOVE);
  const base = rows.find((r) => r.kind === 'baseline')!;
  const main = table(
    ['handler module (exports)', 'bundle KB', '× baseline', 'import ms (median)', '× baseline', 'import CPU ms', '× baseline', 'import CPU ms w/o source maps', 'RSS after import MB', 'flag'],
    rows.map((r) => [
      r.kind === 'handler' ? `${r.label} (${r.exports.join(', ')})` : r.label,
      fmtKB(r.bytes),
      fmtRatio(r.sizeRatio),
      fmtMs(r.importMs),
      fmtRatio(r.importRatio),
      fmtMs(r.importCpuMs),
      fmtRatio(r.cpuRatio),
      fmtMs(r.importCpuMsNoMaps),
      (r.rss / 2 ** 20).toFixed(0),
      r.error ? `import failed: ${r.error}` : flagged(r) ? `> ${FLAG_ABOVE}×` : '',
    ]),
  );
  const heavy = rows.filter(flagged);
  const drags = table(
    ['handler module', 'KB over baseline', 'what adds the most (package: extra KB in the bundle)'],
    heavy.map((r) => [r.label, fmtKB(r.bytes - base.bytes), r.extra.map(([p, d]) => `${p}: ${fmtKB(d)}`).join(', ')]),
    ['l', 'r', 'l'],
  );
  const handlers = rows.filter((r) => r.kind === 'handler');
  const maxSize = handlers.reduce((a, b) => (b.sizeRatio > a.sizeRatio ? b : a));
  const maxImport = handlers.reduce((a, b) => (b.importRatio > a.importRatio ? b : a));
  const mapsCost = median(rows.map((r) => r.importCpuMs - r.importCpuMsNoMaps));
  const mapsCostWall = median(rows.map((r) => r.importMs - r.importMsNoMaps));
  const summary = [
    `baseline (DynamoDBClient + PutItem): ${fmtKB(base.bytes)} KB, imports in ${fmtMs(base.importMs)} ms wall / ${fmtMs(base.importCpuMs)} ms CPU (median of ${runs} fresh processes)`,
    `handler modules vs baseline: size ${fmtRatio(Math.min(...handlers.map((h) => h.sizeRatio)))}–${fmtRatio(Math.max(...handlers.map((h) => h.sizeRatio)))}, import wall ${fmtRatio(Math.min(...handlers.map((h) => h.importRatio)))}–${fmtRatio(Math.max(...handlers.map((h) => h.importRatio)))}, import CPU ${fmtRatio(Math.min(...handlers.map((h) => h.cpuRatio)))}–${fmtRatio(Math.max(...handlers.map((h) => h.cpuRatio)))}`,
    `${heavy.length} of ${handlers.length} handler modules above ${FLAG_ABOVE}× the baseline; largest ${maxSize.label} ${fmtKB(maxSize.bytes)} KB (${fmtRatio(maxSize.sizeRatio)}), slowest import ${maxImport.label} ${fmtMs(maxImport.importMs)} ms (${fmtRatio(maxImport.importRatio)})`,
    `--enable-source-maps (the deployed NODE_OPTIONS) adds a median ${fmtMs(mapsCost)} ms CPU (${fmtMs(mapsCostWall)} ms wall) per import`,
    ...handlers.filter((r) => r.error).map((r) => `IMPORT FAILED: ${r.label}: ${r.error}`),
  ];
  const markdown = [
    `### Cold start: bundle size and import time per handler`,
    ``,
    `esbuild with the deployed options (ESM, minified, platform node, target ${target}, createRequire banner, policy inlined by \`define\`, linked source maps, nothing external, the SDK's credential chain aliased to Lambda's environment provider; the baseline keeps the chain, as issue 14 defines it); ` +
      `import (never call) in a fresh \`node\` per sample, ${runs} samples round-robin, median; wall time and the process's CPU time over the import (CPU is less sensitive to other load); \`NODE_OPTIONS=--enable-source-maps\` as deployed unless stated. ` +
      `Ratios are against the baseline bundle measured in the same run. Each module is bundled once (NodejsFunction bundles the whole module for each export it deploys).`,
    ``,
    main,
    ``,
    heavy.length ? `What the handlers above ${FLAG_ABOVE}× carry beyond the baseline (esbuild metafile, bytes in the output by package):` : `No handler above ${FLAG_ABOVE}×.`,
    ``,
    heavy.length ? drags : '',
    ``,
    `Where a fresh process importing ${prof.file} spends its CPU (the same build unminified so that esbuild marks each module, \`node --cpu-prof\` over the whole process, mean of 3 processes; ` +
      `a sample counts for the package of its innermost frame in the bundle, else for V8's compile of the bundle, Node's start-up and loader, or GC):`,
    ``,
    table(
      ['where', 'CPU ms'],
      prof.profile.filter(([, ms]) => ms >= 0.5).map(([k, ms]) => [k, ms.toFixed(1)]),
    ),
  ].join('\n');
  const moduleCode = prof.profile.filter(([k]) => ![GC, COMPILE, NODE].includes(k)).reduce((t, [, ms]) => t + ms, 0);
  const zod = prof.profile.find(([k]) => k === 'zod')?.[1] ?? 0;
  const compile = prof.profile.find(([k]) => k === COMPILE)?.[1] ?? 0;
  summary.push(
    `import CPU profile of ${prof.file} (unminified): compile ${compile.toFixed(0)} ms, module top-level code ${moduleCode.toFixed(0)} ms of which zod ${zod.toFixed(0)} ms (${((zod / moduleCode) * 100).toFixed(0)}%)`,
  );
  return { markdown, summary, data: rows };
}

mainPart(import.meta.url, 'cold-start', measure);
