// What the functions' bundles carry, built as deployed (lib/escalator-function.ts's esbuild settings). Each HTTP
// function holds the contracts of the routes its module serves and no other route's: the contracts are separate
// exports and their schemas deferred calls marked pure, so esbuild drops the rest. A contract that reads a property or
// spreads an object at the top level would pin every contract into every function (issue 14: bytes and import CPU);
// these tests name the module it happened in. And no function validates the policy it was built with again: only the
// simulate route (drafts) and the OpenAPI document (which describes that route) carry the policy's schema.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { deployedBuildOptions } from '../../bench/cold-start.ts';
import { escalatorBundling, HANDLER_METADATA_KEY, NODE_RUNTIME } from '../../lib/escalator-function.ts';
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
async function bundled(file: string): Promise<string> {
  const out = await build({ ...deployedBuildOptions(target, policy, escalatorBundling), entryPoints: [join(ROOT, file)], outfile: join(ROOT, 'out.mjs'), write: false, sourcemap: false });
  return out.outputFiles.find((f) => f.path.endsWith('.mjs'))!.text;
}

async function contractsIn(file: string): Promise<string[]> {
  const code = await bundled(file);
  return ROUTES.map((r) => r.operationId)
    .filter((id) => code.includes(`operationId:"${id}"`) || code.includes(`("${id}","/`))
    .sort();
}

describe('HTTP function bundles', () => {
  const modules = [...new Set(ROUTE_TABLE.map((e) => e.entry.file))].filter((f) => !f.endsWith('openapi.ts'));
  it.each(modules)('%s carries only its own routes\' contracts', async (file) => {
    const own = ROUTE_TABLE.filter((e) => e.entry.file === file).map((e) => e.route.operationId).sort();
    expect(await contractsIn(file)).toEqual(own);
  }, 60_000);

  // A function whose routes take no body and no query validates nothing: the answers' schemas are named in the
  // contracts, not imported (functions/http/views.ts VIEWS), so it carries none of zod's schemas.
  const validatesNothing = modules.filter((file) => ROUTE_TABLE.filter((e) => e.entry.file === file).every((e) => !e.route.body && !e.route.query && !e.route.policyBody));
  it('finds functions that validate nothing', () => {
    expect(validatesNothing).toEqual(expect.arrayContaining(['functions/http/sla.ts', 'functions/http/queue.ts']));
  });
  it.each(validatesNothing)('%s carries no schema (it validates nothing)', async (file) => {
    const code = await bundled(file);
    expect(code.includes('"$ZodObject"'), 'zod object schemas are bundled').toBe(false);
  }, 60_000);
  it('a function that validates carries zod\'s object schema (the check above can fail)', async () => {
    expect((await bundled('functions/http/timeline.ts')).includes('"$ZodObject"')).toBe(true);
  }, 60_000);

  it('the OpenAPI document\'s function carries every contract (it describes them all)', async () => {
    const file = ROUTE_TABLE.find((e) => e.route.operationId === 'getOpenApi')!.entry.file;
    expect(await contractsIn(file)).toEqual(ROUTES.map((r) => r.operationId).sort());
  }, 60_000);

  // Every Lambda the stack deploys, by the module its template metadata names (test/cdk/synth.ts: no bundling there).
  const deployed = [...new Set(Object.values(defaultSynth().json.Resources).flatMap((r) => {
    const ref = r.Metadata?.[HANDLER_METADATA_KEY] as { file: string } | undefined;
    return ref ? [ref.file] : [];
  }))].sort();
  const POLICY_SCHEMA_TEXT = 'every case must be closed this long after creation'; // a description only PolicySchema has
  const VALIDATES_POLICIES = ['functions/http/openapi.ts', 'functions/http/simulate.ts'];

  it('finds the deployed functions', () => {
    expect(deployed).toEqual(expect.arrayContaining(['functions/workflow/evaluate.ts', 'functions/stream/effects.ts', ...VALIDATES_POLICIES]));
  });

  it.each(deployed)('%s carries the policy\'s schema only if it validates drafts', async (file) => {
    expect((await bundled(file)).includes(POLICY_SCHEMA_TEXT)).toBe(VALIDATES_POLICIES.includes(file));
  }, 60_000);

  it('builds every function with the validated policy, defaults applied', () => {
    const define = escalatorBundling(policy).define['process.env.ESCALATOR_POLICY_JSON'];
    expect(JSON.parse(JSON.parse(define) as string)).toEqual(parsePolicy(JSON.parse(readFileSync(join(ROOT, 'policies/default.json'), 'utf8'))));
  });
});
