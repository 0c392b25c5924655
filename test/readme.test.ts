// The README's walk-through, run as it stands against a local stack with the demo policy: every curl must succeed
// (an HTTP error fails the script), it may run twice in a row (a fresh Idempotency-Key makes a new case each time),
// the If-Match it sends is the version it just read, and it leaves no file behind in the directory it runs in.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, type LocalStack } from '../local/stack.ts';
import { startTestStack } from './support/stack.ts';

let stack: LocalStack;
let cwd: string;
beforeAll(async () => {
  ({ stack } = await startTestStack({ policyPath: join(ROOT, 'policies', 'demo.json') }));
  cwd = mkdtempSync(join(tmpdir(), 'escalator-readme-'));
});
afterAll(async () => {
  await stack?.stop();
  rmSync(cwd, { recursive: true, force: true });
});

/** The walk-through's shell block, pointed at this stack (its ports are ephemeral), without the `npm start` line. */
function walkThrough(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Walk-through (local)'));
  const block = /```bash\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README: no bash block under "Walk-through (local)"');
  expect(block.split('\n')[0]).toMatch(/^npm start -- --policy policies\/demo\.json/);
  return block
    .split('\n')
    .slice(1)
    .join('\n')
    .replaceAll('http://127.0.0.1:3000', stack.urls.api)
    .replaceAll('http://127.0.0.1:8005', stack.urls.ses)
    .replaceAll('smtp://127.0.0.1:2525', stack.urls.smtp);
}

/** Run it in a shell (asynchronously: the stack answering it lives in this process). */
function run(script: string): Promise<{ status: number; stdout: string; stderr: string }> {
  // Any failed request fails the script, as a reader would notice it.
  const prelude = 'set -euo pipefail\ncurl() { command curl --fail-with-body "$@"; }\n';
  return new Promise((resolve) => {
    execFile('bash', ['-c', prelude + script], { cwd, encoding: 'utf8', timeout: 30_000, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) =>
      resolve({ status: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('README walk-through', () => {
  it('runs as written, twice, making two cases, and leaves no file behind', async () => {
    // Act
    const first = await run(walkThrough());
    const second = await run(walkThrough());

    // Assess
    for (const r of [first, second]) {
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toContain('"department":"support"'); // the If-Match'd transfer
      expect(r.stdout).toContain('"status":"RESOLVED"');
      expect(r.stdout).toMatch(/"status":"OPEN".*"reopenCount":1/); // the customer's emailed reply reopened it
      expect(r.stdout).toMatch(/"reference":"ESC-[0-9A-HJKMNP-TV-Z]{6}"/);
    }
    const created = (out: string) => JSON.parse(out.split('\n').find((l) => l.startsWith('{"id"'))!).id as string;
    expect(created(first.stdout)).not.toBe(created(second.stdout));
    expect(readdirSync(cwd)).toEqual([]);
  });
});
