// Test support: `npm start` as a child process on ports of its own (for tests that kill it with SIGKILL), and a
// token/fetch client for it.
import { spawn, type ChildProcess } from 'node:child_process';
import { inject } from 'vitest';
import { ROOT } from '../../local/stack.ts';
import { freePort } from './global-setup.ts';

export interface ChildStack {
  child: ChildProcess;
  api: string;
  ses: string;
}

export async function childPorts(): Promise<Record<string, string>> {
  const ports = { PORT: await freePort(), DYNAMODB_PORT: await freePort(), SFN_PORT: await freePort(), SES_PORT: await freePort(), SMTP_PORT: await freePort() };
  return Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)]));
}

/** Start bin/local.ts on `env`'s ports with its data in `dataDir`; resolves once it says it is running. */
export function startChildStack(env: Record<string, string>, dataDir: string, policy: string, children: ChildProcess[]): Promise<ChildStack> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/local.ts', '--data-dir', dataDir, '--policy', policy], {
    cwd: ROOT,
    env: { ...process.env, ...env, ESCALATOR_TEMPLATE: inject('templatePath'), ESCALATOR_RECONCILE_MS: '1000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Escalator is running')) resolve({ child, api: `http://127.0.0.1:${env['PORT']}`, ses: `http://127.0.0.1:${env['SES_PORT']}` });
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`stack exited with ${code}: ${out}`)));
    setTimeout(() => reject(new Error(`stack did not start: ${out}`)), 90_000).unref();
  });
}

export async function childToken(api: string): Promise<string> {
  const r = await fetch(`${api}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('escalator-local:escalator-local-secret').toString('base64')}` },
    body: 'grant_type=client_credentials',
  });
  return ((await r.json()) as { access_token: string }).access_token;
}

/** SIGKILL: no shutdown hook runs (DynamoDB Local's JVM dies with it: local/dynamodb.ts). */
export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
}
