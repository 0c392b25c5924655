// local/stepfunctions/arns.ts — Step Functions ARN shapes and execution-name rules, as the real service checks them.

// Execution names: 1–80 chars, none of whitespace, < > { } [ ] ? * " # % \ ^ | ~ ` $ & , ; : / or control chars.
const FORBIDDEN_NAME_CHARS = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;

export function executionNameProblem(name: string): string | undefined {
  if (name.length < 1 || name.length > 80) return 'Execution name must be between 1 and 80 characters long';
  if (FORBIDDEN_NAME_CHARS.test(name)) return `Invalid Name: '${name}'`;
  return undefined;
}

const STATE_MACHINE_ARN = /^arn:[^:]+:states:[^:]*:[^:]*:stateMachine:([^:]+)(?::[^:]+)?$/;
const EXECUTION_ARN = /^arn:[^:]+:states:[^:]*:[^:]*:execution:([^:]+):([^:]+)$/;

export function isStateMachineArn(arn: string): boolean {
  return STATE_MACHINE_ARN.test(arn);
}

export function isExecutionArn(arn: string): boolean {
  return EXECUTION_ARN.test(arn);
}

/** arn:…:stateMachine:<sm> → arn:…:execution:<sm>:<name>, the way the service derives execution ARNs. */
export function executionArnFor(stateMachineArn: string, executionName: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
}
