// Runtime config: read once at cold start and fail fast, so a misconfigured function never half-works.
import { parsePolicy, type Policy } from '../domain/policy.ts';

export function requireEnv(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === '') throw new Error(`environment variable ${name} is required`);
  return v;
}

let policy: { raw: string; parsed: Policy } | undefined;
/**
 * The escalation policy. On AWS it is inlined into each bundle at synth (esbuild `define`), locally the stack
 * sets the same variable from ESCALATOR_POLICY; either way it is validated once per cold start.
 */
export function getPolicy(): Policy {
  // The literal `process.env.ESCALATOR_POLICY_JSON` is what esbuild's `define` replaces in a deployed bundle.
  const raw = process.env.ESCALATOR_POLICY_JSON ?? requireEnv('ESCALATOR_POLICY_JSON');
  // Keyed by the document: one process that hosts a stack, stops it and starts another with a new policy file (the
  // tests do) must see the new one, as a restarted process would.
  if (policy?.raw !== raw) policy = { raw, parsed: parsePolicy(JSON.parse(raw), 'ESCALATOR_POLICY_JSON') };
  return policy.parsed;
}

export const tableName = (): string => requireEnv('TABLE_NAME');
export const stateMachineArn = (): string => requireEnv('STATE_MACHINE_ARN');
