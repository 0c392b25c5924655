// local/stepfunctions/store.ts — executions in memory, mirrored to <dataDir>/stepfunctions with atomic file writes.
//
// Layout: executions/<state machine>/<execution>.json (names are only unique per state machine) and
// definitions/<sha256>.json (running executions keep the definition they started with). Every write goes to a temp
// file and is renamed over the target, so a kill -9 leaves either the old or the new file, never a torn one; no exit
// handler is involved. Writes of one execution are coalesced: at most one in flight, the next one writes the latest
// state, so a chatty history costs a bounded number of writes.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { ExecutionRecord } from './types.ts';

const recordSchema = z.object({
  executionArn: z.string(),
  stateMachineArn: z.string(),
  stateMachineName: z.string(),
  name: z.string(),
  status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']),
  startDate: z.number(),
  stopDate: z.number().optional(),
  input: z.string(),
  output: z.string().optional(),
  error: z.string().optional(),
  cause: z.string().optional(),
  roleArn: z.string(),
  definitionHash: z.string(),
  runs: z.number(),
  events: z.array(
    z.object({
      id: z.number(),
      previousEventId: z.number(),
      timestamp: z.number(),
      type: z.string(),
      details: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
    }),
  ),
});

interface Writer {
  running: Promise<void> | undefined;
  dirty: boolean;
}

let tempCounter = 0;

async function writeAtomic(file: string, text: string): Promise<void> {
  const temp = `${file}.${process.pid}.${++tempCounter}.tmp`;
  await writeFile(temp, text);
  await rename(temp, file);
}

/** File-name-safe and reversible; '.json' is appended, so even '.' or '..' names map to ordinary files. */
const fileName = (name: string): string => `${encodeURIComponent(name)}.json`;

export class ExecutionStore {
  private readonly byArn = new Map<string, ExecutionRecord>();
  private readonly definitions = new Map<string, string>();
  private readonly writers = new Map<string, Writer>();

  private constructor(
    private readonly root: string | undefined,
    private readonly log: (line: string) => void,
  ) {}

  /** Opens the store; with a dataDir, loads every persisted execution and definition. */
  static async open(dataDir: string | undefined, log: (line: string) => void): Promise<ExecutionStore> {
    const store = new ExecutionStore(dataDir === undefined ? undefined : join(dataDir, 'stepfunctions'), log);
    await store.load();
    return store;
  }

  get(executionArn: string): ExecutionRecord | undefined {
    return this.byArn.get(executionArn);
  }

  all(): ExecutionRecord[] {
    return [...this.byArn.values()];
  }

  insert(record: ExecutionRecord): void {
    this.byArn.set(record.executionArn, record);
    this.save(record);
  }

  definition(hash: string): string | undefined {
    return this.definitions.get(hash);
  }

  async putDefinition(hash: string, text: string): Promise<void> {
    if (this.definitions.has(hash)) return;
    this.definitions.set(hash, text);
    if (!this.root) return;
    const dir = join(this.root, 'definitions');
    await mkdir(dir, { recursive: true });
    await writeAtomic(join(dir, `${hash}.json`), text);
  }

  /** Schedules a write of the record's current state (coalesced); a no-op without dataDir. */
  save(record: ExecutionRecord): void {
    if (!this.root) return;
    const writer = this.writers.get(record.executionArn) ?? { running: undefined, dirty: false };
    this.writers.set(record.executionArn, writer);
    writer.dirty = true;
    writer.running ??= this.drain(record, writer);
  }

  /** Resolves once everything scheduled for this record (or for all records) is on disk. */
  async flush(record?: ExecutionRecord): Promise<void> {
    const writers = record ? [this.writers.get(record.executionArn)] : [...this.writers.values()];
    await Promise.all(writers.map((w) => w?.running));
  }

  private async drain(record: ExecutionRecord, writer: Writer): Promise<void> {
    const root = this.root;
    if (!root) return;
    const dir = join(root, 'executions', encodeURIComponent(record.stateMachineName));
    try {
      await mkdir(dir, { recursive: true });
      while (writer.dirty) {
        writer.dirty = false;
        await writeAtomic(join(dir, fileName(record.name)), JSON.stringify(record));
      }
    } catch (err) {
      this.log(`stepfunctions: could not persist ${record.executionArn}: ${(err as Error).message}`);
    } finally {
      writer.running = undefined;
    }
  }

  private async load(): Promise<void> {
    if (!this.root) return;
    const definitionsDir = join(this.root, 'definitions');
    for (const entry of await listDir(definitionsDir)) {
      const file = join(definitionsDir, entry);
      if (entry.endsWith('.tmp')) await rm(file, { force: true });
      else if (entry.endsWith('.json')) this.definitions.set(entry.slice(0, -'.json'.length), await readFile(file, 'utf8'));
    }
    const executionsDir = join(this.root, 'executions');
    for (const machineDir of await listDir(executionsDir)) {
      const dir = join(executionsDir, machineDir);
      for (const entry of await listDir(dir)) {
        const file = join(dir, entry);
        // Leftovers of a write interrupted by kill -9: the target file still holds the previous complete state.
        if (entry.endsWith('.tmp')) {
          await rm(file, { force: true });
          continue;
        }
        if (!entry.endsWith('.json')) continue;
        try {
          const record = recordSchema.parse(JSON.parse(await readFile(file, 'utf8'))) as ExecutionRecord;
          this.byArn.set(record.executionArn, record);
        } catch (err) {
          this.log(`stepfunctions: skipping unreadable execution file ${file}: ${(err as Error).message}`);
        }
      }
    }
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw err;
  }
}
