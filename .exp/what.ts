import { build } from 'esbuild';
import { join } from 'node:path';
import { deployedBuildOptions } from '../bench/cold-start.ts';
import { escalatorBundling } from '../lib/escalator-function.ts';
import { loadPolicy } from '../lib/policy-file.ts';
const ROOT = join(import.meta.dirname, '..');
const { policy } = loadPolicy(join(ROOT, 'policies/default.json'));
for (const file of process.argv.slice(2)) {
  const r = await build({ ...deployedBuildOptions('node24', policy, escalatorBundling), entryPoints: [join(ROOT, file)], outfile: join(ROOT, '.exp/out.mjs'), write: false, sourcemap: false, metafile: true });
  const out = Object.values(r.metafile!.outputs)[0]!;
  const by = new Map<string, number>();
  for (const [p, v] of Object.entries(out.inputs)) {
    const m = p.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
    const key = m ? m[1]! : p.replace(/\/[^/]+$/, '');
    by.set(key, (by.get(key) ?? 0) + v.bytesInOutput);
  }
  console.log(`\n${file}: ${(out.bytes / 1024).toFixed(0)} KB`);
  for (const [k, v] of [...by].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 25))) console.log(`  ${(v / 1024).toFixed(1).padStart(7)} ${k}`);
}
