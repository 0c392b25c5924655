// Infrastructure: cdk-nag 3 acknowledgements. Every acknowledgement names the one finding it silences and says why,
// so a new wildcard or a new public route fails the synth instead of slipping under an old suppression.
import { Stack, Validations, type IResolvable } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Acknowledge one cdk-nag finding (`Pack-Rule` or `Pack-Rule[Finding]`) on a construct and everything below it. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * Acknowledge `AwsSolutions-IAM5` for exactly one wildcard resource of an IAM policy under `scope`. The finding id is
 * computed the way cdk-nag prints it (intrinsics flattened to `<LogicalId.Attr>`), so the acknowledgement follows
 * the resource when logical ids change and never covers a different wildcard.
 */
export function acknowledgeWildcardResource(scope: IConstruct, resource: string | IResolvable, reason: string): void {
  const flat = flattenCfnReference(Stack.of(scope).resolve(resource));
  acknowledge(scope, `AwsSolutions-IAM5[Resource::${flat}]`, reason);
}

/** Same as cdk-nag's utils/flatten-cfn-reference (not part of its public API, hence this copy; the CDK tests catch drift). */
export function flattenCfnReference(reference: unknown): string {
  const visit = (node: unknown): string => {
    if (node === undefined) return '';
    if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
    const o = node as Record<string, unknown>;
    if (o['Fn::Join']) {
      const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
      return items.map(visit).join(delimiter);
    }
    if (o['Fn::Sub']) return visit(o['Fn::Sub']);
    if (o['Fn::GetAtt']) {
      const [resource, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
      return `<${visit(resource)}.${visit(attribute)}>`;
    }
    if (o['Fn::ImportValue']) return visit(o['Fn::ImportValue']);
    if (o['Ref']) return `<${visit(o['Ref'])}>`;
    return JSON.stringify(node);
  };
  return visit(reference);
}
