// What the functions' bundles carry, built as deployed (lib/escalator-function.ts's esbuild settings, each function
// from its own entry, lib/function-entry.ts). Each HTTP function holds its own route's contract and no other's, even
// where its module serves several: the contracts are separate exports, their schemas deferred calls marked pure, and
// the handlers marked pure, so esbuild drops the rest. A contract that reads a property or
// spreads an object at the top level would pin every contract into every function (issue 14: bytes and import CPU);
// these tests name the module it happened in. And no function validates the policy it was built with again: only the
// simulate route (drafts) and the OpenAPI document (which describes that route) carry the policy's schema.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { bareHandlerBuildOptions, deployedBuildOptions } from '../../bench/cold-start.ts';
import { escalatorBundling, HANDLER_METADATA_KEY, NODE_RUNTIME } from '../../lib/escalator-function.ts';
import { functionEntry } from '../../lib/function-entry.ts';
import { loadPolicy } from '../../lib/policy-file.ts';
import { ROUTE_TABLE } from '../../functions/http/route-table.ts';
import { parsePolicy } from '../../functions/domain/policy.ts';
import { ROUTES } from '../../functions/routes.ts';
import { defaultSynth } from './synth.ts';

const ROOT = join(import.meta.dirname, '../..');
const { policy } = loadPolicy(join(ROOT, 'policies/default.json'));
const target = NODE_RUNTIME.name.replace(/^nodejs(\d+).*$/, 'node$1');

/**
 * The operationIds whose contracts are in the bundle: a contract's object literal names its own (`operationId:"…"`),
 * a case action's is the first argument of the call that builds it (`("escalateCase","/cases/…"`).
 */
interface Handler {
  readonly file: string;
  readonly export: string;
}

interface Bundle {
  code: string;
  /** The source files esbuild read for it. */
  inputs: string[];
}

const builds = new Map<string, Promise<Bundle>>();

/** The function's bundle as deployed: its code and the source files in it (each function built once per run). */
function built(handler: Handler): Promise<Bundle> {
  const key = `${handler.file}#${handler.export}`;
  let b = builds.get(key);
  if (!b) {
    b = build({ ...deployedBuildOptions(target, policy, escalatorBundling), entryPoints: [functionEntry(handler)], outfile: join(ROOT, 'out.mjs'), write: false, sourcemap: false, metafile: true }).then((out) => ({
      code: out.outputFiles.find((f) => f.path.endsWith('.mjs'))!.text,
      inputs: Object.keys(out.metafile.inputs),
    }));
    builds.set(key, b);
  }
  return b;
}

async function bundled(handler: Handler): Promise<string> {
  return (await built(handler)).code;
}

/** Packages the bundle holds from more than one folder (two versions, or one version installed twice). */
/** A bundled file's package folder and the package's name: `…node_modules/<name>/…`. */
const PACKAGE_PATH = /^(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//;

function duplicatePackages(inputs: readonly string[]): Record<string, string[]> {
  const roots = new Map<string, Set<string>>();
  for (const f of inputs) {
    const m = PACKAGE_PATH.exec(f);
    if (m) roots.set(m[2]!, (roots.get(m[2]!) ?? new Set()).add(m[1]!));
  }
  return Object.fromEntries([...roots].filter(([, r]) => r.size > 1).map(([name, r]) => [name, [...r].sort()]));
}

async function contractsIn(handler: Handler): Promise<string[]> {
  const code = await bundled(handler);
  return ROUTES.map((r) => r.operationId)
    .filter((id) => code.includes(`operationId:"${id}"`) || code.includes(`("${id}","/`))
    .sort();
}

describe('HTTP function bundles', () => {
  const functions = ROUTE_TABLE.filter((e) => e.route.operationId !== 'getOpenApi').map((e) => ({ ...e.entry, operationId: e.route.operationId, route: e.route }));
  it('finds modules serving several routes (where one bundle per function matters)', () => {
    const shared = functions.filter((f) => functions.some((o) => o.file === f.file && o.export !== f.export)).map((f) => f.file);
    expect([...new Set(shared)]).toEqual(
      expect.arrayContaining(['functions/http/case-actions.ts', 'functions/http/cases.ts', 'functions/http/feedback.ts']),
    );
  });
  it.each(functions)('$file#$export carries only its own route\'s contract', async (f) => {
    expect(await contractsIn(f)).toEqual([f.operationId]);
  }, 60_000);

  // A function whose route takes no body and no query validates nothing: the answers' schemas are named in the
  // contracts, not imported (functions/http/views.ts VIEWS), so it carries none of zod's schemas.
  const validatesNothing = functions.filter((f) => !f.route.body && !f.route.query && !f.route.policyBody);
  it('finds functions that validate nothing', () => {
    expect(validatesNothing.map((f) => f.operationId)).toEqual(expect.arrayContaining(['getSla', 'getQueueCounts', 'getCase']));
  });
  it.each(validatesNothing)('$file#$export carries no schema (it validates nothing)', async (f) => {
    const code = await bundled(f);
    expect(code.includes('"$ZodObject"'), 'zod object schemas are bundled').toBe(false);
  }, 60_000);
  it('a function that validates carries zod\'s object schema (the check above can fail)', async () => {
    expect((await bundled({ file: 'functions/http/timeline.ts', export: 'getTimeline' })).includes('"$ZodObject"')).toBe(true);
  }, 60_000);

  it('the OpenAPI document\'s function carries every contract (it describes them all)', async () => {
    const { entry } = ROUTE_TABLE.find((e) => e.route.operationId === 'getOpenApi')!;
    expect(await contractsIn(entry)).toEqual(ROUTES.map((r) => r.operationId).sort());
  }, 60_000);

  // Every Lambda the stack deploys, by the module its template metadata names (test/cdk/synth.ts: no bundling there).
  const deployed = Object.values(defaultSynth().json.Resources)
    .flatMap((r) => {
      const ref = r.Metadata?.[HANDLER_METADATA_KEY] as Handler | undefined;
      return ref ? [{ file: ref.file, export: ref.export }] : [];
    })
    .sort((a, b) => `${a.file}#${a.export}`.localeCompare(`${b.file}#${b.export}`));
  const POLICY_SCHEMA_TEXT = 'every case must be closed this long after creation'; // a description only PolicySchema has
  const VALIDATES_POLICIES = ['functions/http/openapi.ts', 'functions/http/simulate.ts'];

  it('finds the deployed functions', () => {
    expect(deployed.map((d) => d.file)).toEqual(expect.arrayContaining(['functions/workflow/evaluate.ts', 'functions/stream/effects.ts', ...VALIDATES_POLICIES]));
  });

  it.each(deployed)('$file#$export carries the policy\'s schema only if it validates drafts', async (handler) => {
    expect((await bundled(handler)).includes(POLICY_SCHEMA_TEXT)).toBe(VALIDATES_POLICIES.includes(handler.file));
  }, 60_000);

  // Two copies of a package cost their bytes twice (issue 14): Powertools' batch and parameters pinned their own
  // commons, and dom-serializer pinned an older entities with its own decode tables (74 KB in the inbound function);
  // package.json's overrides make them share one.
  it.each(deployed)('$file#$export holds one copy of every package', async (handler) => {
    expect(duplicatePackages((await built(handler)).inputs)).toEqual({});
  }, 60_000);

  it('tells a package bundled from two folders (the check above can fail)', () => {
    expect(
      duplicatePackages([
        'node_modules/entities/lib/esm/index.js',
        'node_modules/htmlparser2/node_modules/entities/dist/esm/decode.js',
        'node_modules/@aws-sdk/core/dist-es/index.js',
        'functions/inbound/parse.ts',
      ]),
    ).toEqual({ entities: ['node_modules/entities', 'node_modules/htmlparser2/node_modules/entities'] });
  });

  // Lambda's credentials are in the environment; the SDK's default chain is aliased away at build time
  // (functions/commons/clients/lambda-credentials.ts): none of its other providers or their nested clients is bundled.
  it.each(deployed)('$file#$export holds no credential provider but the environment one', async (handler) => {
    expect((await built(handler)).inputs.filter((f) => /node_modules\/@aws-sdk\/(credential-provider-(?!env\/)|nested-clients\/)/.test(f))).toEqual([]);
  }, 60_000);

  it('builds every function with the validated policy, defaults applied', () => {
    const define = escalatorBundling(policy).define['process.env.ESCALATOR_POLICY_JSON'];
    expect(JSON.parse(JSON.parse(define) as string)).toEqual(parsePolicy(JSON.parse(readFileSync(join(ROOT, 'policies/default.json'), 'utf8'))));
  });
});

// The inbound function loads its HTML-to-text conversion (functions/inbound/html-text.ts, on htmlparser2's streaming
// parser) only for an HTML-only reply (functions/inbound/parse.ts). On Lambda there is no node_modules: the import must
// be one esbuild inlined, so the bundle, run from a folder with no packages near it, still makes text of such a reply.
// The conversion is htmlparser2's Parser alone (~60 KB with entities' tables); html-to-text (~121 KB with its DOM and
// selector engine) made way for it, for the function's size budget.
describe('the inbound function\'s bundle', () => {
  it('makes text of an HTML-only reply with the html-text.ts the bundle holds (its import inlined)', async () => {
    const { code } = await built({ file: 'functions/inbound/parse.ts', export: 'parseMail' });
    expect(code).not.toMatch(/import\(\s*["'][^"']*html-text(\.[cm]?[jt]s)?["']\s*\)/);
    const dir = mkdtempSync(join(tmpdir(), 'escalator-bundle-'));
    try {
      const file = join(dir, 'parse.mjs');
      writeFileSync(file, code);
      const { parseMail } = (await import(pathToFileURL(file).href)) as typeof import('../../functions/inbound/parse.ts');
      const mail = await parseMail(readFileSync(join(ROOT, 'test/fixtures/mail/apple-mail-html-only.eml')));
      expect(mail.text).toMatch(/^Bonjour,\n\nle colis est arrivé ce matin/);
      expect(mail.text).not.toMatch(/<|wrote:/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  // What html-to-text brought with it (its DOM building and CSS selector engine) is not read at all.
  it('holds htmlparser2, and no html-to-text, selderee, parseley or deepmerge-ts', async () => {
    const { inputs } = await built({ file: 'functions/inbound/receive.ts', export: 'handler' });
    const packages = new Set(inputs.flatMap((f) => PACKAGE_PATH.exec(f)?.[2] ?? []));
    expect(packages.has('htmlparser2')).toBe(true);
    expect([...packages].filter((p) => /^(html-to-text|selderee|@selderee\/.*|parseley|deepmerge-ts)$/.test(p))).toEqual([]);
  }, 60_000);
});

// What the aliased chain does where the function runs: a client in a deployed bundle takes Lambda's credentials from
// the environment, and nothing else, even where a shared credentials file would have served the SDK's default chain.
describe('credentials in a deployed bundle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'escalator-credentials-'));
  const home = join(dir, 'home');
  mkdirSync(join(home, '.aws'), { recursive: true });
  writeFileSync(join(home, '.aws', 'credentials'), '[default]\naws_access_key_id = AKIDFROMFILE\naws_secret_access_key = file-secret\n');
  const probe = `import { ddb } from ${JSON.stringify(join(ROOT, 'functions/commons/clients/dynamodb.ts'))};
const { accessKeyId, sessionToken } = await ddb().config.credentials();
console.log(JSON.stringify({ accessKeyId, sessionToken }));`;
  /** The probe bundled with `options`, run by a fresh node from a folder with no packages, in `env` only. */
  async function resolve(options: typeof deployedBuildOptions, env: Record<string, string>) {
    const file = join(dir, `${options.name}.mjs`);
    await build({ ...options(target, policy, escalatorBundling), stdin: { contents: probe, resolveDir: ROOT, loader: 'ts' }, outfile: file, sourcemap: false });
    const run = spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', HOME: home, AWS_REGION: 'eu-west-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env } });
    return { ok: run.status === 0, out: run.stdout.trim(), err: run.stderr };
  }
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("takes the execution role's credentials from Lambda's environment variables", async () => {
    const r = await resolve(deployedBuildOptions, { AWS_ACCESS_KEY_ID: 'AKIDLAMBDAROLE', AWS_SECRET_ACCESS_KEY: 'role-secret', AWS_SESSION_TOKEN: 'role-session' });
    expect(r.err).toBe('');
    expect(JSON.parse(r.out)).toEqual({ accessKeyId: 'AKIDLAMBDAROLE', sessionToken: 'role-session' });
  }, 60_000);

  it('looks nowhere else: without them it fails and says so, though a credentials file is there', async () => {
    const r = await resolve(deployedBuildOptions, {});
    expect(r.ok).toBe(false);
    expect(r.err).toContain('Unable to find environment variable credentials');
  }, 60_000);

  it("the SDK's default chain, as the bare handler bundles it, would have read the file (the check above can fail)", async () => {
    const r = await resolve(bareHandlerBuildOptions, {});
    expect(r.err).toBe('');
    expect(JSON.parse(r.out)).toEqual({ accessKeyId: 'AKIDFROMFILE' });
  }, 60_000);
});
