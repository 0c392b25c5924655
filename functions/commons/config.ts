// Runtime config: read once at cold start and fail fast, so a misconfigured function never half-works.
import type { Policy } from '../domain/policy.ts';

export function requireEnv(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === '') throw new Error(`environment variable ${name} is required`);
  return v;
}

let policy: { raw: string; parsed: Policy } | undefined;
/**
 * The escalation policy, as validated where it was read: on AWS at synth (lib/app.ts, then inlined into each bundle
 * by esbuild's `define`), locally by the stack from the same file (local/stack.ts sets this variable). Both hand over
 * parsePolicy's output, defaults applied, so it is taken as it is: re-validating a constant would only cost each cold
 * start the policy schema (the simulate route still validates the drafts it is sent).
 */
export function getPolicy(): Policy {
  // The literal `process.env.ESCALATOR_POLICY_JSON` is what esbuild's `define` replaces in a deployed bundle.
  const raw = process.env.ESCALATOR_POLICY_JSON ?? requireEnv('ESCALATOR_POLICY_JSON');
  // Keyed by the document: one process that hosts a stack, stops it and starts another with a new policy file (the
  // tests do) must see the new one, as a restarted process would.
  if (policy?.raw !== raw) policy = { raw, parsed: JSON.parse(raw) as Policy };
  return policy.parsed;
}

export const tableName = (): string => requireEnv('TABLE_NAME');
export const stateMachineArn = (): string => requireEnv('STATE_MACHINE_ARN');
