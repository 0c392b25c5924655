// Local stack: reads what it runs from the synthesized CloudFormation template — the state machine's definition
// (intrinsics resolved), which module handles each Lambda, the table's keys, indexes and stream, and how the stream is
// consumed (the event source mapping) — so nothing drifts.
import { readFileSync } from 'node:fs';
import type { StreamMapping } from './stream-poller.ts';

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface Resource {
  Type: string;
  Properties?: Record<string, Json>;
  Metadata?: Record<string, Json>;
}
export interface CfnTemplate {
  Resources: Record<string, Resource>;
}

export interface HandlerRef {
  file: string;
  export: string;
}

export interface LocalDefinition {
  stateMachine: { name: string; arn: string; definition: Record<string, unknown> };
  /** Lambda ARN (as the definition names it) → the module that handles it. */
  lambdas: Map<string, HandlerRef>;
  /** Handler of a function by its metadata (e.g. the reconciler), keyed by `file#export`. */
  handlers: HandlerRef[];
  /** CreateTable input for the cases table. */
  table: Record<string, unknown>;
  /** The consumers of the table's stream (event source mappings), each with the module that handles it. */
  streamConsumers: { handler: HandlerRef; mapping: StreamMapping }[];
  /** SES receiving: the receipt rule's domain and the function its Lambda action invokes. */
  inbound?: { domain: string; handler: HandlerRef; functionArn: string };
}

export function readTemplate(path: string): CfnTemplate {
  return JSON.parse(readFileSync(path, 'utf8')) as CfnTemplate;
}

export const lambdaArn = (logicalId: string) => `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${logicalId}`;

/** Resolve the intrinsics CDK puts in a DefinitionString: Fn::Join, Fn::GetAtt, Ref and the pseudo parameters. */
export function resolveIntrinsics(v: Json, t: CfnTemplate): Json {
  if (Array.isArray(v)) return v.map((x) => resolveIntrinsics(x, t));
  if (v === null || typeof v !== 'object') return v;
  const keys = Object.keys(v);
  if (keys.length === 1) {
    const [k] = keys as [string];
    const arg = v[k] as Json;
    if (k === 'Fn::Join') {
      const [sep, parts] = arg as [string, Json[]];
      return parts.map((p) => String(resolveIntrinsics(p, t))).join(sep);
    }
    if (k === 'Fn::GetAtt') {
      const [id, attr] = arg as [string, string];
      const r = t.Resources[id];
      if (r?.Type === 'AWS::Lambda::Function' && attr === 'Arn') return lambdaArn(id);
      if (r?.Type === 'AWS::DynamoDB::Table' && attr === 'Arn') return `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${id}`;
      throw new Error(`cannot resolve Fn::GetAtt ${id}.${attr} locally`);
    }
    if (k === 'Ref') {
      const name = arg as string;
      if (name === 'AWS::Region') return LOCAL_REGION;
      if (name === 'AWS::AccountId') return LOCAL_ACCOUNT;
      if (name === 'AWS::Partition') return 'aws';
      if (name === 'AWS::URLSuffix') return 'amazonaws.com';
      if (t.Resources[name]) return name;
      throw new Error(`cannot resolve Ref ${name} locally`);
    }
  }
  return Object.fromEntries(keys.map((k) => [k, resolveIntrinsics(v[k] as Json, t)]));
}

export function localDefinition(t: CfnTemplate, stateMachineName = 'EscalationWorkflow'): LocalDefinition {
  const entries = Object.entries(t.Resources);
  const machines = entries.filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1) throw new Error(`expected one state machine in the template, found ${machines.length}`);
  const [, sm] = machines[0]!;
  const raw = sm.Properties?.['DefinitionString'];
  if (raw === undefined) throw new Error('the state machine has no DefinitionString');
  const resolved = resolveIntrinsics(raw, t);
  const definition = (typeof resolved === 'string' ? JSON.parse(resolved) : resolved) as Record<string, unknown>;

  const lambdas = new Map<string, HandlerRef>();
  const handlers: HandlerRef[] = [];
  for (const [id, r] of entries) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const h = r.Metadata?.['escalator:handler'] as HandlerRef | undefined;
    if (!h) continue;
    lambdas.set(lambdaArn(id), h);
    handlers.push(h);
  }

  const tables = entries.filter(([, r]) => r.Type === 'AWS::DynamoDB::Table');
  if (tables.length !== 1) throw new Error(`expected one DynamoDB table in the template, found ${tables.length}`);
  const p = tables[0]![1].Properties ?? {};
  const table: Record<string, unknown> = {
    KeySchema: p['KeySchema'],
    AttributeDefinitions: p['AttributeDefinitions'],
    BillingMode: 'PAY_PER_REQUEST',
    ...(p['GlobalSecondaryIndexes'] ? { GlobalSecondaryIndexes: p['GlobalSecondaryIndexes'] } : {}),
    ...(p['StreamSpecification'] ? { StreamSpecification: { StreamEnabled: true, ...(p['StreamSpecification'] as object) } } : {}),
  };
  const tableId = tables[0]![0];

  const streamConsumers: LocalDefinition['streamConsumers'] = [];
  for (const [, r] of entries) {
    if (r.Type !== 'AWS::Lambda::EventSourceMapping') continue;
    const m = r.Properties ?? {};
    const source = m['EventSourceArn'] as { 'Fn::GetAtt'?: [string, string] } | undefined;
    if (source?.['Fn::GetAtt']?.[0] !== tableId || source['Fn::GetAtt'][1] !== 'StreamArn') continue;
    const fnId = (m['FunctionName'] as { Ref?: string } | undefined)?.Ref;
    const handler = fnId ? (t.Resources[fnId]?.Metadata?.['escalator:handler'] as HandlerRef | undefined) : undefined;
    if (!handler) throw new Error('an event source mapping of the table names no function with an escalator:handler');
    streamConsumers.push({
      handler,
      mapping: {
        batchSize: Number(m['BatchSize'] ?? 100),
        maximumRetryAttempts: Number(m['MaximumRetryAttempts'] ?? 10_000),
        bisectBatchOnFunctionError: m['BisectBatchOnFunctionError'] === true,
        startingPosition: m['StartingPosition'] === 'LATEST' ? 'LATEST' : 'TRIM_HORIZON',
        reportBatchItemFailures: ((m['FunctionResponseTypes'] as string[] | undefined) ?? []).includes('ReportBatchItemFailures'),
      },
    });
  }
  let inbound: LocalDefinition['inbound'];
  for (const [, r] of entries) {
    if (r.Type !== 'AWS::SES::ReceiptRule') continue;
    const rule = (r.Properties?.['Rule'] ?? {}) as { Recipients?: string[]; Actions?: { LambdaAction?: { FunctionArn?: { 'Fn::GetAtt'?: [string, string] } } }[] };
    const fnId = rule.Actions?.find((a) => a.LambdaAction)?.LambdaAction?.FunctionArn?.['Fn::GetAtt']?.[0];
    const handler = fnId ? (t.Resources[fnId]?.Metadata?.['escalator:handler'] as HandlerRef | undefined) : undefined;
    const domain = rule.Recipients?.[0];
    if (!handler || !domain || !fnId) throw new Error('the receipt rule names no recipient domain or no function with an escalator:handler');
    inbound = { domain, handler, functionArn: lambdaArn(fnId) };
  }
  return {
    inbound,
    stateMachine: {
      name: stateMachineName,
      arn: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${stateMachineName}`,
      definition,
    },
    lambdas,
    handlers,
    table,
    streamConsumers,
  };
}
