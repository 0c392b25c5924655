// Test set-up for every file: structured ERROR logs (Powertools JSON lines with "level":"ERROR") are captured, not
// printed. Tests that provoke failures on purpose assert on them (`loggedErrors()`); a test that fails prints what
// it captured, so a passing run stays quiet and a failing one keeps its clues. Other console output is untouched.
import { afterEach, beforeEach } from 'vitest';

export interface LoggedError {
  message: string;
  /** The whole structured line (caseId, key, error…). */
  entry: Record<string, unknown>;
}

let captured: LoggedError[] = [];
let lines: Record<string, unknown>[] = [];

/**
 * Every structured line (Powertools log entries at any level, EMF metric documents) written since the current test
 * began, oldest first. INFO/DEBUG entries and EMF documents are captured and not printed (a passing run stays quiet);
 * WARN entries are printed as before.
 */
export function structuredLines(): Record<string, unknown>[] {
  return [...lines];
}

/** The EMF documents written since the current test began (CloudWatch's `_aws` envelope). */
export function emittedMetrics(): { namespace: string; dimensions: string[][]; metrics: { Name: string; Unit: string }[]; values: Record<string, unknown> }[] {
  return lines
    .filter((l) => l['_aws'])
    .flatMap((l) => {
      const aws = l['_aws'] as { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
      return aws.CloudWatchMetrics.map((m) => ({ namespace: m.Namespace, dimensions: m.Dimensions, metrics: m.Metrics, values: l }));
    });
}

const QUIET_LINE = /"level"\s*:\s*"(INFO|DEBUG|TRACE)"|"_aws"\s*:/;

/** The ERROR logs written since the current test began, oldest first. */
export function loggedErrors(): LoggedError[] {
  return [...captured];
}

const ERROR_LINE = /"level"\s*:\s*"(ERROR|CRITICAL)"/;

/**
 * Takes one structured line out of the output: ERROR/CRITICAL entries are captured (and recorded), INFO/DEBUG/TRACE
 * entries and EMF documents only recorded. Anything else — WARN entries, text that is not one JSON line — is left to
 * be printed (false).
 */
function keep(text: string | undefined): boolean {
  if (!text) return false;
  const error = ERROR_LINE.test(text);
  if (!error && !QUIET_LINE.test(text)) return false;
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return false; // not one JSON line: print it
  }
  if (error) captured.push({ message: String(entry['message'] ?? ''), entry });
  lines.push(entry);
  return true;
}

for (const method of ['log', 'info', 'warn', 'error'] as const) {
  const original = console[method].bind(console);
  console[method] = (...args: unknown[]) => {
    if (!keep(args.length === 1 && typeof args[0] === 'string' ? args[0] : undefined)) original(...args);
  };
}

// Powertools' logger and metrics write to process.stdout through their own Console (POWERTOOLS_DEV unset, as on Lambda).
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (!keep(typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : undefined)) return write(chunk, ...rest);
    (rest.find((r) => typeof r === 'function') as (() => void) | undefined)?.();
    return true;
  }) as typeof stream.write;
}

beforeEach(() => {
  captured = [];
  lines = [];
});

afterEach((ctx) => {
  if (ctx.task.result?.state === 'fail' && captured.length) {
    process.stderr.write(`ERROR logs captured during "${ctx.task.name}":\n${captured.map((c) => JSON.stringify(c.entry)).join('\n')}\n`);
  }
});
