// Synthesize the CDK app in-process with bundling skipped and write the template to argv[2]. Run as a child of the
// benchmarks so the CDK (hundreds of MB) never sits in a measured process.
import './support.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTemplate, ROOT } from '../local/stack.ts';

const out = process.argv[2];
if (!out) throw new Error('usage: node --import tsx bench/synth.ts <template.json>');
writeFileSync(out, JSON.stringify(await loadTemplate(join(ROOT, 'policies', 'default.json'))));
