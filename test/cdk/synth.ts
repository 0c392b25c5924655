// CDK test support: one in-process synthesis per test file (bundling skipped, so no esbuild), shared by its tests.
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { IConstruct } from 'constructs';
import { createEscalatorApp, type EscalatorAppOptions, type EscalatorStack } from '../../lib/app.ts';

export interface Synthesized {
  app: App;
  stack: EscalatorStack;
  assembly: CloudAssembly;
  template: Template;
  /** The raw template JSON. */
  json: { Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown>; DeletionPolicy?: string }>; Outputs?: Record<string, unknown> };
  logicalId(construct: IConstruct): string;
}

export function synth(opts: Omit<EscalatorAppOptions, 'bundle'> = {}): Synthesized {
  const { app, stack } = createEscalatorApp({ ...opts, bundle: false });
  const assembly = app.synth();
  const template = Template.fromStack(stack);
  return {
    app,
    stack,
    assembly,
    template,
    json: template.toJSON() as Synthesized['json'],
    logicalId: (construct) => {
      const element = (construct.node.defaultChild ?? construct) as CfnElement;
      return Stack.of(construct).resolve(element.logicalId) as string;
    },
  };
}

let cached: Synthesized | undefined;
/** The default app (policies/default.json), synthesized once per test file. */
export function defaultSynth(): Synthesized {
  cached ??= synth();
  return cached;
}

/** Every Allow statement of every IAM policy (AWS::IAM::Policy and inline role policies), with where it lives. */
export function iamStatements(json: Synthesized['json']): { owner: string; actions: string[]; resources: unknown[] }[] {
  const out: { owner: string; actions: string[]; resources: unknown[] }[] = [];
  const add = (owner: string, doc: unknown) => {
    for (const s of ((doc as { Statement?: Record<string, unknown>[] })?.Statement ?? [])) {
      if (s['Effect'] !== 'Allow') continue;
      const arr = (v: unknown) => (Array.isArray(v) ? v : [v]);
      out.push({ owner, actions: arr(s['Action']) as string[], resources: arr(s['Resource']) });
    }
  };
  for (const [id, r] of Object.entries(json.Resources)) {
    if (r.Type === 'AWS::IAM::Policy') add(id, r.Properties?.['PolicyDocument']);
    if (r.Type === 'AWS::IAM::Role') {
      for (const p of (r.Properties?.['Policies'] as { PolicyDocument: unknown }[] | undefined) ?? []) add(id, p.PolicyDocument);
    }
  }
  return out;
}
