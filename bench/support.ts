// Benchmark support: the machine, a template synthesized once (in a child process, so the CDK never sits in a
// measured process), a local stack on ephemeral ports, small statistics, bounded concurrency, and the protocol
// between bench/run.ts and each part (every part is also runnable alone: `node --import tsx bench/<part>.ts`).
//
// Import this module FIRST in every part: it quiets the SDK's Node-version warning and Powertools before they load.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
process.env['POWERTOOLS_LOG_LEVEL'] ??= 'ERROR';

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = import.meta.dirname;
export const ROOT = resolve(BENCH_DIR, '..');
/** run.ts synthesizes once and hands the template to every part through this variable. */
export const TEMPLATE_ENV = 'ESCALATOR_BENCH_TEMPLATE';

// ---------------------------------------------------------------------------------------------------------------
// The machine

export interface Machine {
  cpu: string;
  nproc: number;
  ramGiB: number;
  node: string;
  os: string;
  date: string;
  /** 1-minute load average when read: other work on the machine skews absolute times (ratios less so). */
  load1: number;
}

export function machine(): Machine {
  let nproc = os.availableParallelism();
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || nproc;
  } catch {
    // no coreutils: keep Node's figure
  }
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {
    // not Linux
  }
  return {
    cpu,
    nproc,
    ramGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
    load1: Math.round(os.loadavg()[0]! * 100) / 100,
  };
}

export function machineMarkdown(m: Machine): string {
  return table(
    ['', ''],
    [
      ['CPU (/proc/cpuinfo)', m.cpu],
      ['cores (nproc)', String(m.nproc)],
      ['RAM', `${m.ramGiB} GiB`],
      ['Node', m.node],
      ['OS', m.os],
      ['date', m.date],
      ['load average (1 min) at start', String(m.load1)],
    ],
  );
}

// ---------------------------------------------------------------------------------------------------------------
// The local stack

/** The synthesized template (bundling skipped): the one run.ts made, else synthesize one now in a child process. */
export async function templatePath(): Promise<string> {
  const given = process.env[TEMPLATE_ENV];
  if (given && existsSync(given)) return given;
  const dir = mkdtempSync(join(os.tmpdir(), 'escalator-bench-'));
  const path = join(dir, 'template.json');
  removeOnExit(dir);
  progress('synthesizing the CDK app (bundling skipped) in a child process…');
  await runNode([join(BENCH_DIR, 'synth.ts'), path], { tsx: true });
  process.env[TEMPLATE_ENV] = path;
  return path;
}

export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** The JVM running DynamoDB Local for a bench stack: its process id, CPU time and memory (it is not this process). */
export interface BenchJvm {
  endpoint: string;
  /** The java process (a wrapper shell is its parent). */
  pid: number | undefined;
  /** CPU (user + system) the JVM has used so far, ms. */
  cpuMs(): number;
  /** Its resident memory now, bytes. */
  rss(): number;
}

const CLOCK_TICKS_PER_S = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function jvmOf(endpoint: string, wrapperPid: number | undefined): BenchJvm {
  let pid: number | undefined;
  const find = () => (pid ??= wrapperPid === undefined ? undefined : childPids(wrapperPid).find((c) => { try { return readFileSync(`/proc/${c}/comm`, 'utf8').trim() === 'java'; } catch { return false; } }));
  return {
    endpoint,
    get pid() {
      return find();
    },
    cpuMs() {
      const p = find();
      if (p === undefined) return Number.NaN;
      try {
        // /proc/<pid>/stat: fields 14 and 15 (utime, stime) after the parenthesised command name.
        const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ');
        return ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S) * 1000;
      } catch {
        return Number.NaN;
      }
    },
    rss() {
      const p = find();
      if (p === undefined) return Number.NaN;
      try {
        const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1];
        return kb ? Number(kb) * 1024 : Number.NaN;
      } catch {
        return Number.NaN;
      }
    },
  };
}

export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolvePort(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/**
 * A whole local stack, in memory, on ephemeral ports, no reconciler interval, no throttle, quiet. DynamoDB Local (a JVM,
 * in memory, the stack's own heap cap and flags) is started here and handed to the stack, so a part can read the JVM's
 * CPU and memory (`jvm`); `stop()` stops both.
 */
export async function startBenchStack(policyPath?: string) {
  const tpl = await templatePath();
  const { startLocalStack } = await import('../local/stack.ts');
  const { startDynamoDbLocal } = await import('../local/dynamodb.ts');
  const ddbLocal = await startDynamoDbLocal({ port: await freePort() });
  try {
    const stack = await startLocalStack({
      templatePath: tpl,
      ...(policyPath ? { policyPath } : {}),
      ports: { api: 0, dynamodb: 0, stepfunctions: 0, ses: 0, smtp: 0 },
      dynamodb: { endpoint: ddbLocal.endpoint },
      reconcileEveryMs: 0,
      throttle: false,
      log: () => undefined,
    });
    const stopStack = stack.stop;
    return Object.assign(stack, {
      jvm: jvmOf(ddbLocal.endpoint, ddbLocal.process.pid),
      async stop() {
        await stopStack();
        await ddbLocal.stop();
      },
    });
  } catch (e) {
    await ddbLocal.stop();
    throw e;
  }
}
export type BenchStack = Awaited<ReturnType<typeof startBenchStack>>;

/** What the local SES stand-in holds (GET <ses>/store): every email sent, with the time it arrived (`at`, ms). */
export interface StoredEmail {
  messageId: string;
  from: string;
  destination: { to: string[]; cc?: string[]; bcc?: string[] };
  subject: string;
  at: number;
}

export async function sesStore(stack: { urls: { ses: string } }): Promise<StoredEmail[]> {
  const r = await fetch(`${stack.urls.ses}/store`);
  if (!r.ok) throw new Error(`GET ${stack.urls.ses}/store → ${r.status}`);
  return ((await r.json()) as { emails: StoredEmail[] }).emails;
}

/** Process CPU of this process (user + system), ms. */
export function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

// ---------------------------------------------------------------------------------------------------------------
// Numbers

/** Nearest-rank quantile of a list (copied and sorted here). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}
export const median = (values: readonly number[]) => quantile(values, 0.5);

export const fmtMs = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
export const fmtKB = (bytes: number) => `${(bytes / 1024).toFixed(0)}`;
export const fmtMB = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)}`;
export const fmtRatio = (r: number) => (Number.isFinite(r) ? `${r.toFixed(2)}×` : '–');
export const fmtUsd = (usd: number) => (usd >= 1 ? `$${usd.toFixed(2)}` : `$${usd.toFixed(4)}`);

export function table(head: readonly string[], rows: readonly (readonly string[])[], align?: readonly ('l' | 'r')[]): string {
  const sep = head.map((_, i) => ((align?.[i] ?? (i === 0 ? 'l' : 'r')) === 'r' ? '---:' : '---'));
  return [head, sep, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

/** Run `task(i)` for i in [0, count) with at most `concurrency` in flight; results in index order. */
export async function pool<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) results[i] = await task(i);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Poll until `check` yields a value (not undefined/false) or time runs out. */
export async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Processes

/** A temporary folder this process made: removed when it exits (children that use it exit first). */
export function removeOnExit(dir: string): string {
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Progress goes to stderr so stdout carries only the report. */
export function progress(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

export interface RunNodeOptions {
  tsx?: boolean;
  nodeFlags?: string[];
  env?: NodeJS.ProcessEnv;
  /** Capture stdout instead of passing it through. */
  capture?: boolean;
  /** Another Node.js binary (e.g. the Lambda runtime's major version) instead of the one running the bench. */
  execPath?: string;
}

/** `node [flags] [--import tsx] args…` in the repo root; rejects on a non-zero exit. */
export function runNode(args: string[], opts: RunNodeOptions = {}): Promise<string> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(opts.execPath ?? process.execPath, [...(opts.nodeFlags ?? []), ...(opts.tsx ? ['--import', 'tsx'] : []), ...args], {
      cwd: ROOT,
      env: opts.env ?? process.env,
      stdio: ['ignore', opts.capture ? 'pipe' : 'inherit', 'inherit'],
    });
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolveRun(out) : reject(new Error(`node ${args.join(' ')} exited with ${signal ?? code}`)),
    );
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The part protocol

export interface PartOutcome<D = unknown> {
  /** Markdown: the part's section of the report (tables and short notes). */
  markdown: string;
  /** One-line findings for the summary. */
  summary: string[];
  data: D;
}

export interface PartResult<D = unknown> extends PartOutcome<D> {
  part: string;
  seconds: number;
}

export function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/**
 * When `moduleUrl` is the script node was started with, run the part: with `--json <file>` (how run.ts calls it)
 * write the result there, otherwise print the markdown and the summary. Exits explicitly: a stopped local stack
 * may still hold a timer or two.
 */
export function mainPart(moduleUrl: string, part: string, measure: () => Promise<PartOutcome>): void {
  if (!process.argv[1] || resolve(process.argv[1]) !== fileURLToPath(moduleUrl)) return;
  const started = performance.now();
  measure().then(
    (outcome) => {
      const result: PartResult = { part, seconds: (performance.now() - started) / 1000, ...outcome };
      const jsonOut = argValue('--json');
      if (jsonOut) writeFileSync(jsonOut, JSON.stringify(result, null, 2));
      else {
        process.stdout.write(`${machineMarkdown(machine())}\n\n${result.markdown}\n\nSummary:\n${result.summary.map((s) => `- ${s}`).join('\n')}\n`);
      }
      progress(`${part}: done in ${result.seconds.toFixed(1)} s`);
      process.exit(0);
    },
    (e: unknown) => {
      process.stderr.write(`[bench] ${part} failed: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
