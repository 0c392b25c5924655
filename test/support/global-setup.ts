// Test set-up, once per run: synthesize the CDK app (bundling skipped) so every test file's local stack runs the
// same template without paying for a synth of its own, and start one DynamoDB Local (in memory) that every test file
// shares, each with tables of its own: one JVM start per run instead of one per file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../local/dynamodb.ts';
import { loadTemplate, ROOT } from '../../local/stack.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    templatePath: string;
    dynamodbEndpoint: string;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export default async function setup(project: TestProject) {
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';
  const dir = mkdtempSync(join(tmpdir(), 'escalator-template-'));
  const path = join(dir, 'template.json');
  const [template, dynamodb] = await Promise.all([
    loadTemplate(join(ROOT, 'policies', 'default.json')),
    freePort().then((port) => startDynamoDbLocal({ port })),
  ]);
  writeFileSync(path, JSON.stringify(template));
  project.provide('templatePath', path);
  project.provide('dynamodbEndpoint', dynamodb.endpoint);
  return async () => {
    await dynamodb.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
