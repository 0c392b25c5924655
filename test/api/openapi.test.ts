// GET /openapi.json: generated from the route table's zod schemas, so it lists every route with its scope and shapes.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../local/stack.ts';
import type { LocalStack } from '../../local/stack.ts';
import { ROUTES } from '../../functions/routes.ts';
import { startTestStack, TestApi } from '../support/stack.ts';

let stack: LocalStack;
let api: TestApi;
beforeAll(async () => {
  ({ stack, api } = await startTestStack());
});
afterAll(async () => {
  await stack?.stop();
});

describe('GET /openapi.json', () => {
  it('serves an OpenAPI 3.1 document, without a token, covering every route of the route table', async () => {
    // Act
    const r = await api.get('/openapi.json', { token: null });
    // Assess
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe('3.1.0');
    for (const route of ROUTES) {
      const op = r.body.paths[route.path]?.[route.method.toLowerCase()];
      expect(op, `${route.method} ${route.path}`).toBeDefined();
      expect(op.operationId).toBe(route.operationId);
      if (route.scope) expect(op.security).toEqual([{ oauth2: [route.scope] }]);
      else expect(op.security, 'a public route says so: security: []').toEqual([]);
    }
  });

  it('describes request bodies from the same schemas that validate them', async () => {
    const doc = (await api.get('/openapi.json', { token: null })).body;
    const create = doc.paths['/cases'].post.requestBody.content['application/json'].schema;
    expect(create.required).toEqual(expect.arrayContaining(['customer', 'subject', 'description']));
    expect(create.additionalProperties).toBe(false);
    expect(create.properties.priority.enum).toEqual(['P1', 'P2', 'P3', 'P4']);
    const escalation = doc.paths['/cases/{id}/escalations'].post.requestBody.content['application/json'].schema;
    expect(JSON.stringify(escalation)).toContain('toDepartment');
  });
});

describe('the served document lints clean', () => {
  // The document as served (the policy's departments and currency, the local server); both linters with their
  // recommended rules (Spectral: .spectral.yaml), warnings included: the document has none today, keep it so.
  const run = promisify(execFile);
  const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);
  const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' };
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'escalator-openapi-'));
    file = join(dir, 'openapi.json');
    writeFileSync(file, (await api.get('/openapi.json', { token: null })).text);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('Redocly CLI (recommended rules) reports no problems', async () => {
    const r = await run(bin('redocly'), ['lint', file, '--format', 'json'], { env, cwd: dir }).catch((e: { stdout: string; stderr: string }) => e);
    const report = JSON.parse(r.stdout) as { totals: { errors: number; warnings: number }; problems: unknown[] };
    expect(report.problems, JSON.stringify(report.problems, null, 1)).toEqual([]);
  }, 60_000);

  it('Spectral (spectral:oas) reports no problems', async () => {
    const out = join(dir, 'spectral.json');
    const args = ['lint', file, '--ruleset', join(ROOT, '.spectral.yaml'), '--format', 'json', '--output', out, '--fail-severity', 'hint'];
    const r = await run(bin('spectral'), args, { env, cwd: dir }).then(() => undefined, (e: Error) => e);
    const results = JSON.parse(readFileSync(out, 'utf8')) as unknown[];
    expect(results, JSON.stringify(results, null, 1)).toEqual([]);
    expect(r).toBeUndefined();
  }, 60_000);
});
