// The escalation policy file, read and validated the same way for `cdk synth`/deploy and for the local stack.
// No CDK imports here: the local stack loads it on every start, also when the synthesized template is cached.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parsePolicy, type Policy } from '../functions/domain/policy.ts';
import { REPO_ROOT } from './paths.ts';

export const DEFAULT_POLICY_PATH = 'policies/default.json';

/** A policy file that cannot be read or is not a valid policy; the message is one line. */
export class PolicyFileError extends Error {
  override name = 'PolicyFileError';
}

export interface LoadedPolicy {
  path: string;
  document: unknown;
  policy: Policy;
}

export function loadPolicy(policyPath?: string): LoadedPolicy {
  const given = policyPath ?? process.env['ESCALATOR_POLICY'] ?? DEFAULT_POLICY_PATH;
  const candidates = path.isAbsolute(given) ? [given] : [path.resolve(process.cwd(), given), path.resolve(REPO_ROOT, given)];
  const file = candidates.find((c) => fs.existsSync(c));
  if (!file) throw new PolicyFileError(`policy file ${given} not found (looked in ${[...new Set(candidates)].join(', ')})`);
  let document: unknown;
  try {
    document = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new PolicyFileError(`policy file ${file} is not valid JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  try {
    return { path: file, document, policy: parsePolicy(document, file) };
  } catch (e) {
    throw new PolicyFileError((e as Error).message.replace(/\s*\n\s*/g, ' '));
  }
}
