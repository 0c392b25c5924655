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

/** The ERROR logs written since the current test began, oldest first. */
export function loggedErrors(): LoggedError[] {
  return [...captured];
}

const ERROR_LINE = /"level"\s*:\s*"(ERROR|CRITICAL)"/;

for (const method of ['log', 'info', 'warn', 'error'] as const) {
  const original = console[method].bind(console);
  console[method] = (...args: unknown[]) => {
    const text = args.length === 1 && typeof args[0] === 'string' ? args[0] : undefined;
    if (text && ERROR_LINE.test(text)) {
      try {
        const entry = JSON.parse(text) as Record<string, unknown>;
        captured.push({ message: String(entry['message'] ?? ''), entry });
        return;
      } catch {
        // not one JSON line: print it
      }
    }
    original(...args);
  };
}

// A logger created before the local stack set POWERTOOLS_DEV writes to process.stdout through its own Console.
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : undefined;
    if (text && ERROR_LINE.test(text)) {
      try {
        const entry = JSON.parse(text) as Record<string, unknown>;
        captured.push({ message: String(entry['message'] ?? ''), entry });
        const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
        done?.();
        return true;
      } catch {
        // not one JSON line: write it
      }
    }
    return write(chunk, ...rest);
  }) as typeof stream.write;
}

beforeEach(() => {
  captured = [];
});

afterEach((ctx) => {
  if (ctx.task.result?.state === 'fail' && captured.length) {
    process.stderr.write(`ERROR logs captured during "${ctx.task.name}":\n${captured.map((c) => JSON.stringify(c.entry)).join('\n')}\n`);
  }
});
