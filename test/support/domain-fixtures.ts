// Shared factories for the pure-domain unit tests: fixed instants, counter-based ids, policies and cases.
// No I/O beyond importing the shipped policy documents; no clocks, no randomness.
import defaultPolicyDoc from '../../policies/default.json' with { type: 'json' };
import demoPolicyDoc from '../../policies/demo.json' with { type: 'json' };
import type { ChangeContext } from '../../functions/domain/change.ts';
import type { Actor, CaseRecord } from '../../functions/domain/model.ts';
import { CreateCaseInput, newCase } from '../../functions/domain/operations.ts';
import { parsePolicy, type Policy } from '../../functions/domain/policy.ts';

export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** Every scenario starts here: a Monday morning, UTC. */
export const T0 = new Date('2026-03-02T09:00:00.000Z');

/** The instant `ms` after T0 (or after `from`). */
export function at(ms: number, from: Date = T0): Date {
  return new Date(from.getTime() + ms);
}

/** The ISO string of the instant `ms` after T0. */
export function iso(ms: number, from: Date = T0): string {
  return at(ms, from).toISOString();
}

export const agent: Actor = { kind: 'client', id: 'agent-1' };
export const manager: Actor = { kind: 'client', id: 'manager-1' };
export const customerActor: Actor = { kind: 'customer', id: 'cust-1' };

/** Deterministic, sortable ids: `id-0001`, `id-0002`, … */
export function counterIds(prefix = 'id'): () => string {
  let n = 0;
  return () => `${prefix}-${String(++n).padStart(4, '0')}`;
}

/** The shipped policy documents, parsed afresh (callers may not share mutable state). */
export function defaultPolicy(): Policy {
  return parsePolicy(structuredClone(defaultPolicyDoc), 'policies/default.json');
}
export function demoPolicy(): Policy {
  return parsePolicy(structuredClone(demoPolicyDoc), 'policies/demo.json');
}

/** A raw copy of a shipped policy document, to break on purpose. */
export function defaultPolicyDocument(): Record<string, any> {
  return structuredClone(defaultPolicyDoc) as Record<string, any>;
}

const uniform = (d: string) => ({ L0: d, L1: d, L2: d, L3: d });

/**
 * A small policy whose every budget is `budget` (default 10 days), so the close-by rule can be reached while a
 * case is below the top level. `over` replaces top-level fields.
 */
export function testPolicy(over: Record<string, unknown> = {}, budget = 'P10D'): Policy {
  return parsePolicy({
    name: 'test',
    budgets: { P1: uniform(budget), P2: uniform(budget), P3: uniform(budget), P4: uniform(budget) },
    departments: { support: {}, billing: { managers: { L1: ['billing-leads@example.com'] } } },
    routing: { defaultDepartment: 'support' },
    compensation: {
      currency: 'USD',
      authority: { L0: 25, L1: 100, L2: 500, L3: 5000 },
      tierMultiplier: { standard: 1, gold: 1.5, platinum: 2 },
    },
    notifications: {
      from: 'help@example.com',
      publicBaseUrl: 'https://api.example.com',
      managers: { L1: ['leads@example.com'], L2: ['manager@example.com'], L3: ['exec@example.com', 'vp@example.com'] },
    },
    ...over,
  });
}

/**
 * A world: one policy and one id counter shared by every change made in it, so event ids (and therefore outbox
 * keys) are unique and reproducible. `ctx(at)` builds the ChangeContext of a change at that instant.
 */
export interface World {
  policy: Policy;
  newId: () => string;
  ctx: (now: Date, actor?: Actor, idempotencyKey?: string) => ChangeContext;
}

export function world(policy: Policy = defaultPolicy()): World {
  const newId = counterIds('ev');
  return {
    policy,
    newId,
    ctx: (now, actor = agent, idempotencyKey) => ({ now, actor, policy, newId, ...(idempotencyKey ? { idempotencyKey } : {}) }),
  };
}

export interface CaseOptions {
  id?: string;
  priority?: 'P1' | 'P2' | 'P3' | 'P4';
  category?: string;
  customer?: { id?: string; email?: string; name?: string; tier?: 'standard' | 'gold' | 'platinum'; lifetimeValue?: number };
  /** When it is created; T0 by default. */
  createdAt?: Date;
}

/** A case created through `newCase` with the create-input schema's defaults applied (P3, standard tier). */
export function makeCase(w: World, opts: CaseOptions = {}): CaseRecord {
  const input = CreateCaseInput.parse({
    customer: { id: 'cust-1', email: 'ada@example.org', name: 'Ada', ...opts.customer },
    subject: 'Order arrived broken',
    description: 'The parcel was crushed and the device does not start.',
    ...(opts.priority ? { priority: opts.priority } : {}),
    ...(opts.category ? { category: opts.category } : {}),
  });
  return newCase(opts.id ?? 'case-1', input, w.ctx(opts.createdAt ?? T0));
}

/** The timeline event types of a case, oldest first. */
export function eventTypes(c: CaseRecord): string[] {
  return c.newEvents.map((e) => e.type);
}

/** The events appended by a change. */
export function newEvents(before: CaseRecord, after: CaseRecord): CaseRecord['newEvents'] {
  return after.newEvents.slice(before.newEvents.length);
}

/** The outbox entries owed by a change. */
export function newOutbox(before: CaseRecord, after: CaseRecord): CaseRecord['owedEmails'] {
  return after.owedEmails.slice(before.owedEmails.length);
}
