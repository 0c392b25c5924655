// Test set-up, once per run: synthesize the CDK app (bundling skipped) so every test file's local stack runs the
// same template without paying for a synth of its own.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadTemplate, ROOT } from '../../local/stack.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    templatePath: string;
  }
}

export default async function setup(project: TestProject) {
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';
  const dir = mkdtempSync(join(tmpdir(), 'escalator-template-'));
  const path = join(dir, 'template.json');
  writeFileSync(path, JSON.stringify(await loadTemplate(join(ROOT, 'policies', 'default.json'))));
  project.provide('templatePath', path);
  return () => rmSync(dir, { recursive: true, force: true });
}
