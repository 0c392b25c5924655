// local/stepfunctions/definition.ts — reads an ASL definition: which Task states exist (for handler routing) and run-time patches.
import { createHash } from 'node:crypto';
import type { StateMachine, StateMachineDefinition } from 'aws-local-stepfunctions';
import { MAX_TIMER_DELAY_MS } from './long-timers.ts';

/** JSON value as the library types it (its JSONValue type is not exported). */
export type JsonValue = Parameters<StateMachine['run']>[0];

/** What the library tells us about a Task state we route to the dispatcher. */
export interface TaskStateInfo {
  name: string;
  resource: string;
  timeoutSeconds?: number;
  heartbeatSeconds?: number;
  /** Inside a Map iterator: iterations run concurrently under the same state name, so attempts cannot be paired. */
  insideMap: boolean;
}

/**
 * Timeout for Task states that set none. The library would impose 60 s; AWS's default is 99999999 s. We use the
 * longest delay a plain setTimeout honours (~24.8 days), so this timer stays correct even on a clock nobody wrapped
 * with long-timers (e.g. fake timers installed after the server started), where AWS's value would clamp to 1 ms.
 */
export const DEFAULT_TASK_TIMEOUT_SECONDS = Math.floor(MAX_TIMER_DELAY_MS / 1000);

type StatesBlock = { States?: Record<string, Record<string, unknown>> };

/** Walks nested Parallel branches and Map iterators: the library keys task overrides by state name across all levels. */
function walkStates(block: StatesBlock, insideMap: boolean, visit: (name: string, state: Record<string, unknown>, insideMap: boolean) => void): void {
  for (const [name, state] of Object.entries(block.States ?? {})) {
    visit(name, state, insideMap);
    if (state['Type'] === 'Parallel' && Array.isArray(state['Branches'])) {
      for (const branch of state['Branches'] as StatesBlock[]) walkStates(branch, insideMap, visit);
    }
    if (state['Type'] === 'Map') {
      const iterator = (state['ItemProcessor'] ?? state['Iterator']) as StatesBlock | undefined;
      if (iterator) walkStates(iterator, true, visit);
    }
  }
}

export function indexTaskStates(definition: object): Map<string, TaskStateInfo> {
  const tasks = new Map<string, TaskStateInfo>();
  walkStates(definition as StatesBlock, false, (name, state, insideMap) => {
    if (state['Type'] !== 'Task') return;
    const resource = String(state['Resource']);
    const existing = tasks.get(name);
    if (existing && existing.resource !== resource) {
      // The library looks handlers up by state name only; two different Tasks with one name cannot both be routed.
      throw new Error(`Task state name '${name}' is used for two resources (${existing.resource}, ${resource})`);
    }
    tasks.set(name, {
      name,
      resource,
      timeoutSeconds: typeof state['TimeoutSeconds'] === 'number' ? state['TimeoutSeconds'] : undefined,
      heartbeatSeconds: typeof state['HeartbeatSeconds'] === 'number' ? state['HeartbeatSeconds'] : undefined,
      insideMap: insideMap || existing?.insideMap === true,
    });
  });
  return tasks;
}

/**
 * The definition the library actually runs: a copy where Task states without a timeout get a practically unbounded
 * one instead of the library's 60 s, and where the execution-level TimeoutSeconds counts from the original start (a resumed run
 * must not get a fresh budget). Returns undefined when that budget is already spent.
 */
export function definitionForRun(definition: object, elapsedMs: number): StateMachineDefinition | undefined {
  const copy = structuredClone(definition) as StateMachineDefinition & { TimeoutSeconds?: number };
  walkStates(copy as unknown as StatesBlock, false, (_name, state) => {
    if (state['Type'] === 'Task' && state['TimeoutSeconds'] === undefined && state['TimeoutSecondsPath'] === undefined) {
      state['TimeoutSeconds'] = DEFAULT_TASK_TIMEOUT_SECONDS;
    }
  });
  if (typeof copy.TimeoutSeconds === 'number') {
    const remaining = Math.ceil(copy.TimeoutSeconds - elapsedMs / 1000);
    if (remaining <= 0) return undefined;
    copy.TimeoutSeconds = remaining;
  }
  return copy;
}

export function definitionHash(definitionText: string): string {
  return createHash('sha256').update(definitionText).digest('hex');
}
