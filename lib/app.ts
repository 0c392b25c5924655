// Infrastructure entry point: read and validate the policy, build the stack, register cdk-nag. Used by bin/app.ts
// (the CDK CLI), the CDK tests and the local stack (which synthesizes in-process with bundling skipped).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { EscalatorStack } from './escalator-stack.ts';
import { REPO_ROOT } from './paths.ts';
import { loadPolicy } from './policy-file.ts';

export { EscalatorStack } from './escalator-stack.ts';
export { DEFAULT_POLICY_PATH, loadPolicy, PolicyFileError, type LoadedPolicy } from './policy-file.ts';

export const DEFAULT_STACK_NAME = 'Escalator';

export interface EscalatorAppOptions {
  /** Policy file; default env ESCALATOR_POLICY, else policies/default.json. Relative paths: cwd first, then the repo root. */
  policyPath?: string;
  /** false: skip asset bundling (context `aws:cdk:bundling-stacks: []`), for fast in-process synthesis. Default true. */
  bundle?: boolean;
  /** Cloud assembly directory (default: the CLI's, else a temporary one). */
  outdir?: string;
  /** Extra context, as with `-c key=value`: account, region, stackName, alarmEmail, cognitoDomainPrefix, sesSandboxRecipients, inboundDomain. */
  context?: Record<string, unknown>;
}

/** cdk.json's context (feature flags): applied in-process too, so tests and the local stack synthesize what the CLI does. */
function projectContext(): Record<string, unknown> {
  const file = path.join(REPO_ROOT, 'cdk.json');
  if (!fs.existsSync(file)) return {};
  return ((JSON.parse(fs.readFileSync(file, 'utf8')) as { context?: Record<string, unknown> }).context ?? {});
}

export function createEscalatorApp(opts: EscalatorAppOptions = {}): { app: App; stack: EscalatorStack } {
  const { policy } = loadPolicy(opts.policyPath);
  const app = new App({
    ...(opts.outdir ? { outdir: opts.outdir } : {}),
    context: { ...projectContext(), ...opts.context },
    // After the CLI's context, so nothing can turn bundling back on for an in-process synth.
    ...(opts.bundle === false ? { postCliContext: { 'aws:cdk:bundling-stacks': [] } } : {}),
  });
  const ctx = (key: string): string | undefined => {
    const v = app.node.tryGetContext(key) as unknown;
    return v === undefined || v === null || v === '' ? undefined : String(v);
  };
  const account = ctx('account');
  const region = ctx('region');
  const stack = new EscalatorStack(app, ctx('stackName') ?? DEFAULT_STACK_NAME, {
    description: 'Escalator: API-first customer escalation engine',
    // Context-driven or environment-agnostic: never a lookup, so synth stays offline and deterministic.
    ...(account || region ? { env: { account, region } } : {}),
    policy,
    alarmEmail: ctx('alarmEmail'),
    cognitoDomainPrefix: ctx('cognitoDomainPrefix'),
    sesSandboxRecipients: (ctx('sesSandboxRecipients') ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    inboundDomain: ctx('inboundDomain'),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { app, stack };
}
