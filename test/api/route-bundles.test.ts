// Each HTTP function's bundle, built as deployed (lib/escalator-function.ts's esbuild settings), carries the contracts
// of the routes its module serves and no other route's: the contracts are separate exports and their schemas deferred
// calls marked pure, so esbuild drops the rest. A contract that reads a property or spreads an object at the top level
// would pin every contract into every function (issue 14: bytes and import CPU); this test names the module it
// happened in.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { deployedBuildOptions } from '../../bench/cold-start.ts';
import { escalatorBundling, NODE_RUNTIME } from '../../lib/escalator-function.ts';
import { ROUTE_TABLE } from '../../functions/http/route-table.ts';
import { ROUTES } from '../../functions/routes.ts';

const ROOT = join(import.meta.dirname, '../..');
const policy: unknown = JSON.parse(readFileSync(join(ROOT, 'policies/default.json'), 'utf8'));
const target = NODE_RUNTIME.name.replace(/^nodejs(\d+).*$/, 'node$1');

/**
 * The operationIds whose contracts are in the bundle: a contract's object literal names its own (`operationId:"…"`),
 * a case action's is the first argument of the call that builds it (`("escalateCase","/cases/…"`).
 */
async function contractsIn(file: string): Promise<string[]> {
  const out = await build({ ...deployedBuildOptions(target, policy, escalatorBundling), entryPoints: [join(ROOT, file)], outfile: join(ROOT, 'out.mjs'), write: false, sourcemap: false });
  const code = out.outputFiles.find((f) => f.path.endsWith('.mjs'))!.text;
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

  it('the OpenAPI document\'s function carries every contract (it describes them all)', async () => {
    const file = ROUTE_TABLE.find((e) => e.route.operationId === 'getOpenApi')!.entry.file;
    expect(await contractsIn(file)).toEqual(ROUTES.map((r) => r.operationId).sort());
  }, 60_000);
});
