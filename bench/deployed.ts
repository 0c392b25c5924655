// Cold start of what `cdk synth` really deploys (issue 14's budget): every Lambda asset in the synthesized cloud
// assembly, imported (never called) in fresh `node` processes next to the bare handler (a DynamoDBClient and one
// PutItem, bench/fixtures/baseline-handler.ts) bundled by the same esbuild settings in the same run.
//
// Unlike bench/cold-start.ts (which bundles each handler module itself, to attribute bytes and CPU to packages), this
// part reads the bundles from cdk.out: whatever entry layout lib/ chooses, the figure is the deployed one.
// Budget: every function ≤ 1.4× the baseline's bundle size and ≤ 1.25× its import CPU (median of --runs processes).
//
//   node --import tsx bench/deployed.ts [--runs 7] [--cdk-out dir]   (without --cdk-out: synthesizes into a temp dir)
//   node --import tsx bench/deployed.ts --cdk-out before=dirA,after=dirB   two assemblies side by side in one run
//   … --node /path/to/node   import with another Node.js (the functions run on nodejs24.x; this machine has Node 20)
//   … --instructions         also count each import's instructions under valgrind (callgrind): CPU time on a shared
//                            2-core VM moves by ±0.1× between runs, an instruction count by about 1.5 %
//
// A function that needs more AWS services than the baseline's one carries their clients whatever its own code does.
// So each set of clients a deployed bundle holds (read off its source map) gets a second reference too: the baseline
// with those same clients, each sending one command. The budget stays the issue's (against the bare handler); the
// same-clients figures say what a function's own code and libraries add on top of the services it has to call.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { bareHandlerBuildOptions, deployedBuildOptions, PROBE_ENV } from './cold-start.ts';
import { argValue, BENCH_DIR, fmtKB, fmtMs, fmtRatio, mainPart, median, progress, removeOnExit, ROOT, runNode, table, type PartOutcome } from './support.ts';

export const SIZE_BUDGET = 1.4;
export const CPU_BUDGET = 1.25;

interface Bundle {
  label: string;
  kind: 'baseline' | 'deployed' | 'what-if' | 'same-clients';
  /** The AWS SDK clients in the bundle (`client-sfn` → `sfn`), from its source map. */
  clients?: string[];
  /** The functions (construct paths) that deploy this very bundle (an asset hash shared by several is one bundle). */
  functions: string[];
  file: string;
  bytes: number;
}

interface TemplateResource {
  Type: string;
  Properties?: { Handler?: string };
  Metadata?: Record<string, unknown>;
}

/** The Lambda assets of the assembly: each function's `aws:asset:path` (a folder holding index.mjs). */
function deployedBundles(cdkOut: string, prefix = ''): Bundle[] {
  const manifest = JSON.parse(readFileSync(join(cdkOut, 'manifest.json'), 'utf8')) as { artifacts: Record<string, { type: string; properties?: { templateFile?: string } }> };
  const byAsset = new Map<string, Bundle>();
  for (const a of Object.values(manifest.artifacts)) {
    if (a.type !== 'aws:cloudformation:stack' || !a.properties?.templateFile) continue;
    const template = JSON.parse(readFileSync(join(cdkOut, a.properties.templateFile), 'utf8')) as { Resources: Record<string, TemplateResource> };
    for (const [id, r] of Object.entries(template.Resources)) {
      if (r.Type !== 'AWS::Lambda::Function' || !r.Metadata?.['escalator:handler']) continue;
      const assetPath = String(r.Metadata['aws:asset:path']);
      const dir = join(cdkOut, assetPath);
      const entry = readdirSync(dir).find((f) => /^index\.(mjs|js)$/.test(f));
      if (!entry) throw new Error(`${id}: no index.mjs in ${dir}`);
      const file = join(dir, entry);
      const ref = r.Metadata['escalator:handler'] as { file: string; export: string };
      const name = `${prefix}${ref.file.replace(/^functions\//, '')}#${ref.export}`;
      const seen = byAsset.get(assetPath);
      if (seen) {
        seen.functions.push(name);
        seen.label = `${seen.functions[0]} (+${seen.functions.length - 1} sharing this bundle)`;
      }
      else byAsset.set(assetPath, { label: name, kind: 'deployed', functions: [name], file, bytes: statSync(file).size, clients: sdkClients(file) });
    }
  }
  if (!byAsset.size) throw new Error(`no Escalator function assets in ${cdkOut} (was it synthesized with bundling?)`);
  return [...byAsset.values()].sort((x, y) => x.label.localeCompare(y.label));
}

/** The AWS SDK clients a bundle holds, from the sources its linked source map lists. */
function sdkClients(file: string): string[] {
  const map = JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[] };
  return [...new Set(map.sources.flatMap((src) => /node_modules\/@aws-sdk\/client-([a-z0-9-]+)\//.exec(src)?.[1] ?? []))].sort();
}

/** One command per client for the same-clients baselines, as the bare handler sends one PutItem. */
const CLIENT_CALLS: Record<string, { client: string; command: string; input: string; name: string }> = {
  dynamodb: { name: 'DynamoDB', client: 'DynamoDBClient', command: 'PutItemCommand', input: "{ TableName: 'baseline', Item: { pk: { S: 'baseline' } } }" },
  sfn: { name: 'Step Functions', client: 'SFNClient', command: 'StartExecutionCommand', input: "{ stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:baseline' }" },
  ses: { name: 'SES', client: 'SESClient', command: 'SendRawEmailCommand', input: '{ RawMessage: { Data: new Uint8Array(1) } }' },
  'secrets-manager': { name: 'Secrets Manager', client: 'SecretsManagerClient', command: 'GetSecretValueCommand', input: "{ SecretId: 'baseline' }" },
  // The inbound function held S3's client before it signed its two S3 requests itself: for --cdk-out trees from then.
  s3: { name: 'S3', client: 'S3Client', command: 'GetObjectCommand', input: "{ Bucket: 'baseline', Key: 'baseline' }" },
};

/** A client package this tree no longer installs cannot make a baseline (an older --cdk-out tree may hold it). */
const installed = (client: string) => existsSync(join(ROOT, 'node_modules', '@aws-sdk', `client-${client}`, 'package.json'));

/** The bare handler's source with these clients, each created in the handler and sending its one command. */
function sameClientsSource(clients: readonly string[]): string {
  const calls = clients.map((c) => {
    const call = CLIENT_CALLS[c];
    if (!call) throw new Error(`a deployed bundle holds @aws-sdk/client-${c}: add it to CLIENT_CALLS in bench/deployed.ts`);
    return { ...call, pkg: `@aws-sdk/client-${c}` };
  });
  return [
    ...calls.map((c) => `import { ${c.client}, ${c.command} } from '${c.pkg}';`),
    'export const handler = async (): Promise<void> => {',
    ...calls.map((c) => `  await new ${c.client}().send(new ${c.command}(${c.input}));`),
    '};',
  ].join('\n');
}

async function synthesize(): Promise<string> {
  const outdir = removeOnExit(mkdtempSync(join(tmpdir(), 'escalator-bench-cdkout-')));
  progress(`deployed: cdk synth with bundling into ${outdir}…`);
  const code = `const { createEscalatorApp } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'lib/app.ts')).href)}); createEscalatorApp({ outdir: ${JSON.stringify(outdir)}, context: { 'aws:cdk:enable-asset-metadata': true } }).app.synth();`;
  await runNode(['--input-type=module', '-e', code], {
    tsx: true,
    capture: true,
    env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' },
  });
  return outdir;
}

/** The baseline, the what-ifs and a same-clients baseline per client set, bundled with the deployed functions' own esbuild settings. */
async function referenceBundles(clientSets: readonly (readonly string[])[]): Promise<Bundle[]> {
  const { NODE_RUNTIME, escalatorBundling } = await import('../lib/escalator-function.ts');
  const target = NODE_RUNTIME.name.replace(/^nodejs(\d+).*$/, 'node$1');
  const { policy } = (await import('../lib/policy-file.ts')).loadPolicy(join(ROOT, 'policies', 'default.json'));
  // Every reference is a bare handler as anyone would bundle it, with the SDK's default credential chain; one what-if
  // shows the bare handler built exactly as the functions are (their alias of that chain to Lambda's environment).
  const options = bareHandlerBuildOptions(target, policy, escalatorBundling);
  const outRoot = removeOnExit(mkdtempSync(join(tmpdir(), 'escalator-bench-ref-')));
  const refs: { label: string; kind: Bundle['kind']; src: string; asDeployed?: true }[] = [
    { label: 'BASELINE: DynamoDBClient + PutItem', kind: 'baseline', src: 'fixtures/baseline-handler.ts' },
    {
      label: "what-if: baseline built as the functions are, with Lambda's environment credentials in place of the SDK's default chain (functions/commons/clients/lambda-credentials.ts)",
      kind: 'what-if',
      src: 'fixtures/baseline-handler.ts',
      asDeployed: true,
    },
    { label: 'what-if: baseline with its client built at import (what building a client costs; every function builds its clients on first use, as the baseline does)', kind: 'what-if', src: 'fixtures/baseline-client-at-import.ts' },
    { label: 'what-if: baseline + Powertools Tracer (aws-xray-sdk-core) on its client', kind: 'what-if', src: 'fixtures/baseline-powertools-tracer.ts' },
    { label: 'what-if: baseline + what every function must carry (traced document client, Powertools Logger and Metrics, the middy stack), none of our code', kind: 'what-if', src: 'fixtures/baseline-required-stack.ts' },
    ...(existsSync(join(BENCH_DIR, 'fixtures/baseline-escalator-tracing.ts'))
      ? [{ label: 'what-if: baseline + our X-Ray subsegments (functions/commons/tracing.ts) on its client', kind: 'what-if' as const, src: 'fixtures/baseline-escalator-tracing.ts' }]
      : []),
  ];
  const out: Bundle[] = [];
  for (const [i, r] of refs.entries()) {
    const file = join(outRoot, String(i), 'index.mjs');
    await build({ ...(r.asDeployed ? deployedBuildOptions(target, policy, escalatorBundling) : options), entryPoints: [join(BENCH_DIR, r.src)], outfile: file });
    out.push({ label: r.label, kind: r.kind, functions: [], file, bytes: statSync(file).size });
  }
  // The bare handler is the same-clients baseline of a DynamoDB-only function; every other set gets its own.
  const distinct = [...new Map(clientSets.filter((c) => c.length && c.join() !== 'dynamodb').map((c) => [c.join(), c])).values()].filter((clients) => {
    const missing = clients.filter((c) => !installed(c));
    if (missing.length) progress(`deployed: no same-clients baseline for ${clients.join(' + ')}: ${missing.map((c) => `@aws-sdk/client-${c}`).join(', ')} not installed`);
    return !missing.length;
  });
  for (const [i, clients] of distinct.entries()) {
    const file = join(outRoot, `clients-${i}`, 'index.mjs');
    await build({ ...options, stdin: { contents: sameClientsSource(clients), resolveDir: BENCH_DIR, sourcefile: 'same-clients-baseline.ts', loader: 'ts' }, outfile: file });
    const label = `same-clients baseline: ${clients.map((c) => CLIENT_CALLS[c]!.name).join(' + ')}, one command each`;
    out.push({ label, kind: 'same-clients', functions: [], file, bytes: statSync(file).size, clients: [...clients] });
  }
  return out;
}

interface Probe {
  ms: number;
  cpuMs: number;
  error?: string;
}

async function probe(file: string, execPath?: string): Promise<Probe> {
  const out = await runNode([join(BENCH_DIR, 'import-probe.mjs'), pathToFileURL(file).href], {
    capture: true,
    ...(execPath ? { execPath } : {}),
    // As deployed: lib/escalator-function.ts sets NODE_OPTIONS=--enable-source-maps on every function.
    env: { ...PROBE_ENV, NODE_OPTIONS: '--enable-source-maps' },
  });
  return JSON.parse(out) as Probe;
}

/**
 * The instructions a fresh `node` executes to import the bundle (callgrind's count, every thread), less those of
 * importing an empty module (`emptyCount`): Node's own start-up is not the bundle's. Unlike CPU time it does not
 * depend on what else the machine is doing, so it tells a real change from noise; it is not time (cache misses and
 * the JIT's own threads weigh differently), so the budget stays on CPU time and this column backs it up.
 */
async function importInstructions(file: string, execPath: string | undefined, emptyCount = 0): Promise<number> {
  const args = ['--tool=callgrind', '--callgrind-out-file=/dev/null', execPath ?? process.execPath, join(BENCH_DIR, 'import-probe.mjs'), pathToFileURL(file).href];
  const stderr = await new Promise<string>((resolveRun, reject) => {
    const child = spawn('valgrind', args, { cwd: ROOT, env: { ...PROBE_ENV, NODE_OPTIONS: '--enable-source-maps' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' ? new Error('--instructions needs valgrind on PATH (Debian: apt-get install valgrind)') : e));
    child.on('exit', (code) => (code === 0 ? resolveRun(err) : reject(new Error(`valgrind exited with ${code}: ${err.slice(-500)}`))));
  });
  const collected = /Collected\s*:\s*(\d+)/.exec(stderr);
  if (!collected) throw new Error(`no instruction count from valgrind: ${stderr.slice(-500)}`);
  return Number(collected[1]) - emptyCount;
}

export interface DeployedRow {
  label: string;
  kind: Bundle['kind'];
  functions: string[];
  bytes: number;
  sizeRatio: number;
  cpuMs: number;
  cpuRatio: number;
  /** With --instructions: the import's instructions (Node's start-up excluded) and their ratio to the baseline's. */
  instructions?: number;
  instructionRatio?: number;
  /** The fastest of the runs against the baseline's fastest: the cost with the least interference from other load. */
  minCpuRatio: number;
  wallMs: number;
  /** The AWS SDK clients it holds. */
  clients?: string[];
  /** Against the baseline holding the same clients (the bare handler for a DynamoDB-only bundle): size, import CPU. */
  sameClients?: { label: string; sizeRatio: number; cpuRatio: number };
  withinBudget: boolean;
  error?: string;
}

async function measure(): Promise<PartOutcome<DeployedRow[]>> {
  const runs = Number(argValue('--runs') ?? 7);
  const node = argValue('--node');
  const nodeVersion = node ? (await runNode(['--version'], { capture: true, execPath: node })).trim() : process.version;
  // One assembly (given or synthesized now), or several named ones (`name=dir,…`) measured side by side.
  const given = argValue('--cdk-out');
  const assemblies = given?.includes('=') ? given.split(',').map((p) => p.split('=') as [string, string]) : [['', given ?? (await synthesize())] as [string, string]];
  const assemblyBundles = assemblies.flatMap(([name, dir]) => deployedBundles(dir, name ? `${name}: ` : ''));
  const bundles = [...(await referenceBundles(assemblyBundles.map((b) => b.clients ?? []))), ...assemblyBundles];
  progress(`deployed: ${runs} rounds × ${bundles.length} bundles, each import in a fresh node…`);
  const samples = new Map<Bundle, Probe[]>(bundles.map((b) => [b, []]));
  /** Each import's CPU over the baseline import run just before it: a pair sees the same load on the machine. */
  const paired = new Map<Bundle, number[]>(bundles.map((b) => [b, []]));
  const base = bundles.find((b) => b.kind === 'baseline')!;
  // Round-robin, so drift (other engineers' tests on the same 2 cores) spreads over every bundle alike, and each bundle
  // paired with a baseline import right before it: the load of the moment then weighs on both alike.
  for (let round = 0; round < runs; round++) {
    for (const b of bundles) {
      if (b === base) continue;
      const before = await probe(base.file, node);
      const sample = await probe(b.file, node);
      samples.get(base)!.push(before);
      samples.get(b)!.push(sample);
      paired.get(b)!.push(sample.cpuMs / before.cpuMs);
    }
  }

  const instructions = new Map<Bundle, number>();
  if (process.argv.includes('--instructions')) {
    progress(`deployed: counting each import's instructions under valgrind (about 10 s each)…`);
    const empty = join(removeOnExit(mkdtempSync(join(tmpdir(), 'escalator-bench-empty-'))), 'index.mjs');
    writeFileSync(empty, 'export const handler = async () => {};\n');
    const emptyCount = median([await importInstructions(empty, node), await importInstructions(empty, node), await importInstructions(empty, node)]);
    for (const b of bundles) instructions.set(b, await importInstructions(b.file, node, emptyCount));
  }
  const baseInstructions = instructions.get(base);

  const baseCpu = median(samples.get(base)!.map((p) => p.cpuMs));
  const baseMinCpu = Math.min(...samples.get(base)!.map((p) => p.cpuMs));
  // A bundle's CPU over its same-clients baseline: both were paired with the bare handler, so divide those ratios.
  const cpuOverBase = (b: Bundle) => (b === base ? 1 : median(paired.get(b)!));
  const sameClientsOf = (b: Bundle) =>
    b.kind !== 'deployed' || !b.clients?.length ? undefined : b.clients.join() === 'dynamodb' ? base : bundles.find((r) => r.kind === 'same-clients' && r.clients!.join() === b.clients!.join());
  const rows: DeployedRow[] = bundles.map((b) => {
    const s = samples.get(b)!;
    const cpuMs = median(s.map((p) => p.cpuMs));
    const sizeRatio = b.bytes / base.bytes;
    const cpuRatio = cpuOverBase(b);
    const ref = sameClientsOf(b);
    const minCpuRatio = Math.min(...s.map((p) => p.cpuMs)) / baseMinCpu;
    const error = s.find((p) => p.error)?.error?.split('\n')[0];
    return {
      label: b.label,
      kind: b.kind,
      functions: b.functions,
      bytes: b.bytes,
      sizeRatio,
      cpuMs,
      cpuRatio,
      minCpuRatio,
      wallMs: median(s.map((p) => p.ms)),
      ...(instructions.has(b) && baseInstructions ? { instructions: instructions.get(b)!, instructionRatio: instructions.get(b)! / baseInstructions } : {}),
      ...(b.clients ? { clients: b.clients } : {}),
      ...(ref ? { sameClients: { label: ref.label, sizeRatio: b.bytes / ref.bytes, cpuRatio: cpuRatio / cpuOverBase(ref) } } : {}),
      withinBudget: !error && sizeRatio <= SIZE_BUDGET && cpuRatio <= CPU_BUDGET,
      ...(error ? { error } : {}),
    };
  });
  const deployed = rows.filter((r) => r.kind === 'deployed');
  const over = deployed.filter((r) => !r.withinBudget);
  const range = (xs: number[]) => `${fmtRatio(Math.min(...xs))}–${fmtRatio(Math.max(...xs))}`;
  const counted = instructions.size > 0;
  const overOnInstructions = deployed.filter((r) => r.sizeRatio > SIZE_BUDGET || (r.instructionRatio ?? 0) > CPU_BUDGET);
  const markdown = [
    `### Deployed bundles (from the synthesized cloud assembly) against the bare handler`,
    ``,
    `Every \`AWS::Lambda::Function\` asset \`cdk synth\` produces (bundles shared by several functions counted once), imported — never called — in a fresh \`node\` (${nodeVersion}) with \`NODE_OPTIONS=--enable-source-maps\` as deployed, ${runs} rounds round-robin, each import right after one of the baseline; import CPU ms is the median, × baseline the median of each import over the baseline import just before it. ` +
      `The baseline is bench/fixtures/baseline-handler.ts bundled with the same esbuild options in the same run. Budget: size ≤ ${SIZE_BUDGET}×, import CPU (median) ≤ ${CPU_BUDGET}×; the fastest run against the baseline's fastest is the cost with the least interference from other load.` +
      (counted ? ` Import instructions: one count per bundle under valgrind's callgrind (every thread), less an empty module's (Node's start-up), in millions.` : ''),
    ``,
    table(
      ['bundle', 'functions', 'KB', '× baseline', 'import CPU ms', '× baseline', 'fastest run × baseline\'s', 'import wall ms', 'within budget', 'SDK clients', 'KB × same-clients baseline', 'CPU × same-clients baseline', ...(counted ? ['import instructions (M)', '× baseline'] : [])],
      rows.map((r) => [
        r.kind === 'deployed' ? r.label : `_${r.label}_`,
        String(r.functions.length || ''),
        fmtKB(r.bytes),
        fmtRatio(r.sizeRatio),
        fmtMs(r.cpuMs),
        fmtRatio(r.cpuRatio),
        fmtRatio(r.minCpuRatio),
        fmtMs(r.wallMs),
        r.kind === 'baseline' ? '' : r.error ? `import failed: ${r.error}` : r.withinBudget ? 'yes' : 'NO',
        (r.clients ?? []).join(', '),
        r.sameClients ? fmtRatio(r.sameClients.sizeRatio) : '',
        r.sameClients ? fmtRatio(r.sameClients.cpuRatio) : '',
        ...(counted ? [r.instructions === undefined ? '' : (r.instructions / 1e6).toFixed(1), r.instructionRatio === undefined ? '' : fmtRatio(r.instructionRatio)] : []),
      ]),
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l', 'l', 'r', 'r', ...(counted ? (['r', 'r'] as const) : [])],
    ),
  ].join('\n');
  const summary = [
    `baseline ${fmtKB(base.bytes)} KB, ${fmtMs(baseCpu)} ms import CPU; ${deployed.length} deployed bundles: size ${range(deployed.map((r) => r.sizeRatio))}, import CPU ${range(deployed.map((r) => r.cpuRatio))}`,
    over.length ? `${over.length} of ${deployed.length} over budget (${SIZE_BUDGET}× size / ${CPU_BUDGET}× CPU): ${over.map((r) => r.label).join(', ')}` : `every deployed bundle within budget (${SIZE_BUDGET}× size, ${CPU_BUDGET}× CPU)`,
    ...(counted
      ? [
          `import instructions × baseline: ${range(deployed.map((r) => r.instructionRatio!))}; ` +
            (overOnInstructions.length ? `${overOnInstructions.length} of ${deployed.length} over ${SIZE_BUDGET}× size or ${CPU_BUDGET}× instructions: ${overOnInstructions.map((r) => r.label).join(', ')}` : `every deployed bundle within ${SIZE_BUDGET}× size and ${CPU_BUDGET}× instructions`),
        ]
      : []),
    `against the baseline with the same SDK clients: size ${range(deployed.filter((r) => r.sameClients).map((r) => r.sameClients!.sizeRatio))}, import CPU ${range(deployed.filter((r) => r.sameClients).map((r) => r.sameClients!.cpuRatio))}`,
    ...rows.filter((r) => r.kind === 'what-if' || r.kind === 'same-clients').map((r) => `${r.label}: ${fmtKB(r.bytes)} KB (${fmtRatio(r.sizeRatio)}), import CPU ${fmtMs(r.cpuMs)} ms (${fmtRatio(r.cpuRatio)})`),
  ];
  return { markdown, summary, data: rows };
}

mainPart(import.meta.url, 'deployed', measure);
