// Infrastructure: the one Lambda construct of the project. It fixes the defaults once (runtime, arm64, ESM bundle,
// source maps, tracing, own log group and role, the policy inlined at build time) and offers small binders that set
// an environment variable and the matching least-privilege grant together.
import * as path from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Architecture, type CfnFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { CasesTable } from './cases-table.ts';
import { functionEntry } from './function-entry.ts';
import { acknowledge, acknowledgeWildcardResource } from './nag.ts';
import { REPO_ROOT } from './paths.ts';
import type { TableAccess, WorkflowAccess } from '../functions/routes.ts';
import type { Policy } from '../functions/domain/policy.ts';

/** The newest Lambda Node.js runtime this aws-cdk-lib knows (cdk-nag AwsSolutions-L1 / Serverless-LambdaLatestVersion check it). */
export const NODE_RUNTIME = Runtime.NODEJS_24_X;

/** Metadata key on each AWS::Lambda::Function: which module and export it runs. The local stack maps Lambdas by it. */
export const HANDLER_METADATA_KEY = 'escalator:handler';

/** A module (path from the repo root) and the function it exports. */
export interface HandlerRef {
  readonly file: string;
  readonly export: string;
}

/**
 * How AWS invokes the function. Synchronous callers (API Gateway, Step Functions) see and retry errors themselves;
 * asynchronous ones (EventBridge, SNS) need a dead-letter queue so a failed event is kept.
 */
export type Invocation = { readonly kind: 'sync'; readonly caller: string } | { readonly kind: 'async'; readonly deadLetterQueue: IQueue };

export interface EscalatorFunctionProps {
  readonly handler: HandlerRef;
  readonly description: string;
  /** The validated escalation policy (parsePolicy's output, defaults applied); inlined into the bundle at build time. */
  readonly policy: Policy;
  readonly invocation: Invocation;
  /** @default 15 seconds */
  readonly timeout?: Duration;
  /** @default 1024 MB (more memory is more CPU: faster cold starts) */
  readonly memorySize?: number;
  readonly environment?: Record<string, string>;
}

/** Declared with each route (functions/routes.ts); also what the other functions of the stack are granted. */
export type { TableAccess, WorkflowAccess };

/** What a function needs to send email: the identity it sends as and the configuration set that records bounces. */
export interface EmailSending {
  readonly identityArns: readonly string[];
  readonly configurationSetName: string;
  /** The domain customers reply to (reply+<reference>.<signature>@…), when the stack receives mail. */
  readonly inboundDomain?: string;
}

const TABLE_READ = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
/** TransactWriteItems is authorised per item by these (there is no IAM action of its own). */
const TABLE_WRITE = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'];

/**
 * The esbuild settings every function is built with, shared with bench/cold-start.ts so what is measured is what
 * ships. The policy is part of the build, not of the environment (no 4 KB limit, no drift between functions):
 * functions/commons/config.ts reads the literal expression `process.env.ESCALATOR_POLICY_JSON`, which `define` replaces.
 * It is the policy as validated at synth, defaults applied, so a function takes it as it is: no function builds the
 * policy's schema or checks a constant again on every cold start.
 */
export function escalatorBundling(policy: Policy) {
  return {
    mainFields: ['module', 'main'],
    // CommonJS dependencies inside an ESM bundle still call require(): give them one.
    banner: "import { createRequire as __escalatorCreateRequire } from 'node:module'; const require = __escalatorCreateRequire(import.meta.url);",
    minify: true,
    define: { 'process.env.ESCALATOR_POLICY_JSON': JSON.stringify(JSON.stringify(policy)) },
    // Lambda's credentials are in the environment: the SDK's default chain is replaced by the environment provider
    // alone (why, and what it saves: functions/commons/clients/lambda-credentials.ts). Paths are from the repo root,
    // esbuild's working directory.
    alias: { '@aws-sdk/credential-provider-node': './functions/commons/clients/lambda-credentials.ts' },
  };
}

export class EscalatorFunction extends NodejsFunction {
  readonly handlerRef: HandlerRef;
  private readonly executionRole: iam.Role;

  constructor(scope: Construct, id: string, props: EscalatorFunctionProps) {
    // The log group and the role must exist before the function: they are siblings named after it.
    const logGroup = new LogGroup(scope, `${id}Logs`, { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `runs ${props.handler.file}#${props.handler.export}`,
      // Instead of AWSLambdaBasicExecutionRole (logs:* on every log group): write to this function's log group only.
      inlinePolicies: {
        Logs: new iam.PolicyDocument({
          statements: [new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] })],
        }),
      },
    });
    const entry = functionEntry(props.handler);
    const { alias, ...shared } = escalatorBundling(props.policy);
    super(scope, id, {
      entry,
      handler: props.handler.export,
      description: props.description,
      runtime: NODE_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.seconds(15),
      tracing: Tracing.ACTIVE,
      logGroup,
      role,
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      ...(props.invocation.kind === 'async' ? { deadLetterQueue: props.invocation.deadLetterQueue } : {}),
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'escalator',
        ...props.environment,
      },
      bundling: {
        ...shared,
        esbuildArgs: { '--alias': Object.entries(alias).map(([from, to]) => `${from}=${to}`) },
        format: OutputFormat.ESM,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: false,
        // Bundle the AWS SDK too: a pinned, tree-shaken SDK rather than whatever the runtime ships.
        externalModules: [],
        logLevel: LogLevel.WARNING,
      },
    });
    this.executionRole = role;
    this.handlerRef = { file: props.handler.file, export: props.handler.export };
    (this.node.defaultChild as CfnFunction).addMetadata(HANDLER_METADATA_KEY, { file: props.handler.file, export: props.handler.export });

    // X-Ray's PutTraceSegments/PutTelemetryRecords have no resource-level permissions: AWS requires Resource "*".
    acknowledgeWildcardResource(role, '*', 'X-Ray tracing (Tracing.ACTIVE): xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions');
    if (props.invocation.kind === 'sync') {
      acknowledge(
        this,
        'Serverless-LambdaDLQ',
        `invoked synchronously by ${props.invocation.caller}: a dead-letter queue only applies to asynchronous invocations; the caller sees and retries errors`,
      );
    }
  }

  /** TABLE_NAME and the matching DynamoDB actions on the table (and its indexes, for reads). */
  bindTable(cases: CasesTable, access: TableAccess): this {
    this.addEnvironment('TABLE_NAME', cases.table.tableName);
    const actions = [...(access === 'write' ? [] : TABLE_READ), ...(access === 'read' ? [] : TABLE_WRITE)];
    const resources = [cases.table.tableArn, ...(access === 'write' ? [] : cases.indexArns)];
    this.addToRolePolicy(new iam.PolicyStatement({ actions, resources }));
    return this;
  }

  /**
   * STATE_MACHINE_ARN and the Step Functions actions asked for: start/list act on the state machine, the others on
   * its executions (named per case and timer version, so the execution ARN needs a wildcard for the name).
   */
  bindWorkflow(stateMachine: IStateMachine, ...access: WorkflowAccess[]): this {
    this.addEnvironment('STATE_MACHINE_ARN', stateMachine.stateMachineArn);
    const onMachine = [...(access.includes('start') ? ['states:StartExecution'] : []), ...(access.includes('list') ? ['states:ListExecutions'] : [])];
    const onExecutions = [
      ...(access.includes('stop') ? ['states:StopExecution'] : []),
      ...(access.includes('describe') ? ['states:DescribeExecution'] : []),
      ...(access.includes('history') ? ['states:GetExecutionHistory'] : []),
      ...(access.includes('definition') ? ['states:DescribeStateMachineForExecution'] : []),
    ];
    if (onMachine.length) this.addToRolePolicy(new iam.PolicyStatement({ actions: onMachine, resources: [stateMachine.stateMachineArn] }));
    if (onExecutions.length) {
      const executions = executionsArn(this, stateMachine);
      this.addToRolePolicy(new iam.PolicyStatement({ actions: onExecutions, resources: [executions] }));
      acknowledgeWildcardResource(
        this.executionRole,
        executions,
        'executions of this one state machine; each execution is named <caseId>-v<timerVersion> at run time, so the name part must be a wildcard',
      );
    }
    return this;
  }

  /**
   * ses:SendRawEmail (raw: the threading headers) as the policy's sender, only through the configuration set that
   * records bounces; INBOUND_DOMAIN, so customer emails carry the case's reply address.
   */
  bindEmail(email: EmailSending): this {
    this.addEnvironment('SES_CONFIGURATION_SET', email.configurationSetName);
    if (email.inboundDomain) this.addEnvironment('INBOUND_DOMAIN', email.inboundDomain);
    const stack = Stack.of(this);
    const configurationSetArn = stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: email.configurationSetName });
    this.addToRolePolicy(new iam.PolicyStatement({ actions: ['ses:SendRawEmail'], resources: [...email.identityArns, configurationSetArn] }));
    return this;
  }

  /** LINK_SIGNING_SECRET_ARN and read access to the secret that signs customer (survey) links. */
  bindLinkSigningKey(secret: ISecret): this {
    this.addEnvironment('LINK_SIGNING_SECRET_ARN', secret.secretArn);
    secret.grantRead(this);
    return this;
  }
}

/** arn:…:states:R:A:execution:<state machine name>:* */
export function executionsArn(scope: Construct, stateMachine: IStateMachine): string {
  return Stack.of(scope).formatArn({
    service: 'states',
    resource: 'execution',
    resourceName: `${stateMachineName(stateMachine)}:*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

function stateMachineName(stateMachine: IStateMachine): string {
  const withName = stateMachine as IStateMachine & { stateMachineName?: string };
  if (!withName.stateMachineName) throw new Error('the state machine must expose its name (use a StateMachine, not an import by ARN)');
  return withName.stateMachineName;
}
