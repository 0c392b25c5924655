// Local stack: the whole of Escalator on 127.0.0.1 — DynamoDB (AWS's DynamoDB Local, a JVM child process), its stream
// consumer (the event source mapping from the template, as a poller), Step Functions (the definition from the
// synthesized template), SES (aws-ses-v2-local), the API gateway and the reconciler — with the same handler code as on
// AWS, which sees only the SDK's standard endpoint variables.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Policy } from '../functions/domain/policy.ts';
import { loadPolicy, PolicyFileError } from '../lib/policy-file.ts';
import { createLocalAuth, loadLocalClients, loadLocalUsers, type LocalAuth } from './auth.ts';
import { startGateway, type Gateway } from './gateway.ts';
import { invokeIsolated, loadIsolated, LOCAL_MAX_CONCURRENCY } from './invocations.ts';
import { startLocalSes } from './ses.ts';
import { startLocalSmtp } from './smtp.ts';
import { LOCAL_REGION, localDefinition, readTemplate, type CfnTemplate, type HandlerRef } from './template.ts';
import { startLocalStepFunctions, type LocalStepFunctions } from './stepfunctions/index.ts';
import { JavaMissingError, startDynamoDbLocal } from './dynamodb.ts';
import { startStreamPoller, type StreamPoller } from './stream-poller.ts';

export const ROOT = resolve(import.meta.dirname, '..');
export const DEFAULT_PORTS = { api: 3000, dynamodb: 8000, stepfunctions: 8083, ses: 8005, smtp: 2525 } as const;
export const TABLE_NAME = 'escalator-cases';

export interface LocalStackOptions {
  /** Where cases, executions and keys live; undefined keeps nothing (--in-memory). */
  dataDir?: string | undefined;
  policyPath?: string;
  ports?: Partial<Record<keyof typeof DEFAULT_PORTS, number>>;
  /** A synthesized template to use instead of synthesizing one at start-up (tests share one). */
  templatePath?: string | undefined;
  /** How often the reconciler runs; 0 turns it off. */
  reconcileEveryMs?: number;
  throttle?: { rate: number; burst: number } | false;
  clientsPath?: string | undefined;
  /** Use a DynamoDB Local that is already running (tests share one per run) instead of starting one. */
  dynamodb?: { endpoint: string } | undefined;
  /** @default escalator-cases */
  tableName?: string;
  /** Consume the table's stream (default). Tests turn it off to prove what the reconciler does on its own. */
  consumeStream?: boolean;
  /** Print the functions' EMF metric documents on stdout as Lambda does (npm start does; tests opt in). Default false. */
  metrics?: boolean;
  /** JSON file of extra local people for the console's sign-in: [{username, password, groups}]. */
  usersPath?: string | undefined;
  log?: (line: string) => void;
}

export interface LocalStack {
  urls: { api: string; dynamodb: string; stepfunctions: string; ses: string; smtp: string };
  ports: Record<keyof typeof DEFAULT_PORTS, number>;
  policy: Policy;
  stateMachineArn: string;
  auth: LocalAuth;
  tableName: string;
  /** Customers reply to reply+<reference>.<signature>@ this domain (the receipt rule's, from the template). */
  inboundDomain: string;
  /** Where inbound mail is kept (raw/ and attachments/): under the data folder, or a temporary folder in memory. */
  mailDir: string;
  /** Run the reconciler now (tests use it instead of waiting for the interval). */
  reconcile(): Promise<unknown>;
  /** Resolves once the stream consumer has been handed every change written before the call. */
  drained(): Promise<void>;
  stop(): Promise<void>;
}

/** A one-line, user-facing start-up failure (bad policy, port in use…). */
export class StartupError extends Error {
  override name = 'StartupError';
}

function listen(server: Server, port: number, what: string, envName: string): Promise<number> {
  return new Promise((resolveListen, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new StartupError(`port ${port} (${what}) is already in use; stop what holds it or set ${envName}`) : e),
    );
    server.listen(port, '127.0.0.1', () => {
      const a = server.address();
      resolveListen(typeof a === 'object' && a ? a.port : port);
    });
  });
}

/** Everything that shapes the template: the infrastructure code, what it imports from functions/, the policy, the lockfile. */
function templateInputsHash(policyPath: string): string {
  const hash = createHash('sha256');
  const files = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() && e.name.endsWith('.ts'))
      .map((e) => join(e.parentPath, e.name))
      .sort();
  for (const f of [...files('lib'), ...files('functions/domain'), join(ROOT, 'functions/routes.ts'), join(ROOT, 'functions/http/views.ts'), join(ROOT, 'functions/adapters/case-table-schema.ts'), join(ROOT, 'package-lock.json'), policyPath]) {
    hash.update(f.replace(ROOT, '')).update(readFileSync(f));
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * The synthesized template: given, or cached under node_modules/.cache (keyed by everything that shapes it), or
 * synthesized in-process with bundling skipped. A cache hit makes start-up take a second instead of a full synth.
 */
export async function loadTemplate(policyPath: string, templatePath?: string): Promise<CfnTemplate> {
  if (templatePath) return readTemplate(templatePath);
  const cacheDir = join(ROOT, 'node_modules', '.cache', 'escalator');
  const cached = join(cacheDir, `template-${templateInputsHash(policyPath)}.json`);
  if (existsSync(cached)) return readTemplate(cached);
  const { createEscalatorApp } = (await import('../lib/app.ts')) as typeof import('../lib/app.ts');
  const { app, stack } = createEscalatorApp({ policyPath, bundle: false });
  const assembly = app.synth();
  const template = assembly.getStackArtifact(stack.artifactId).template as CfnTemplate;
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${cached}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(template));
  renameSync(tmp, cached);
  return template;
}

function linkSigningKey(dataDir: string | undefined): string {
  if (!dataDir) return randomBytes(32).toString('hex');
  const file = join(dataDir, 'keys', 'link-signing.key');
  if (!existsSync(file)) {
    mkdirSync(join(dataDir, 'keys'), { recursive: true });
    writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

const loaded = new Map<string, Promise<Record<string, unknown>>>();
async function loadHandler(ref: HandlerRef): Promise<(event: unknown, context?: unknown) => Promise<unknown>> {
  if (!loaded.has(ref.file)) loaded.set(ref.file, loadIsolated(() => import(pathToFileURL(resolve(ROOT, ref.file)).href) as Promise<Record<string, unknown>>));
  const fn = (await loaded.get(ref.file)!)[ref.export];
  if (typeof fn !== 'function') throw new Error(`${ref.file} has no export ${ref.export}`);
  return fn as (event: unknown, context?: unknown) => Promise<unknown>;
}

/** A local function's name: its module's (evaluate, effects, reconciler…), as the route's operationId names an API function. */
const functionNameOf = (ref: HandlerRef): string => ref.file.replace(/^.*\//, '').replace(/\.ts$/, '');

/** The Lambda context a handler gets locally (Powertools reads these fields). */
function lambdaContext(functionName: string) {
  return {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomBytes(16).toString('hex'),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 60_000,
  };
}

export async function startLocalStack(opts: LocalStackOptions = {}): Promise<LocalStack> {
  const log = opts.log ?? (() => undefined);
  const ports = { ...DEFAULT_PORTS, ...opts.ports };
  const policyPath = resolve(opts.policyPath ?? join(ROOT, 'policies', 'default.json'));
  let policy: Policy;
  try {
    policy = loadPolicy(policyPath).policy;
  } catch (e) {
    throw e instanceof PolicyFileError ? new StartupError(e.message) : e;
  }
  const dataDir = opts.dataDir ? resolve(opts.dataDir) : undefined;
  const tableName = opts.tableName ?? TABLE_NAME;
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    stops.length = 0;
  };

  try {
    const template = await loadTemplate(policyPath, opts.templatePath);
    const def = localDefinition(template);

    // DynamoDB: AWS's DynamoDB Local, on disk under the data folder (or in memory), unless one is given.
    let dynamodbEndpoint = opts.dynamodb?.endpoint;
    if (!dynamodbEndpoint) {
      const probe = createServer();
      ports.dynamodb = await listen(probe, ports.dynamodb, 'DynamoDB', 'DYNAMODB_PORT');
      await new Promise((r) => probe.close(r));
      if (dataDir && existsSync(join(dataDir, 'dynamodb'))) {
        log(`note: ${join(dataDir, 'dynamodb')} holds data of the earlier local store (dynalite), which this version does not read; it starts from an empty store (delete that folder to silence this)`);
      }
      const ddbLocal = await startDynamoDbLocal({ port: ports.dynamodb, dbPath: dataDir ? join(dataDir, 'dynamodb-local') : undefined }).catch((e: Error) => {
        throw e instanceof JavaMissingError ? new StartupError(e.message) : e;
      });
      dynamodbEndpoint = ddbLocal.endpoint;
      stops.push(() => ddbLocal.stop());
    } else {
      ports.dynamodb = Number(new URL(dynamodbEndpoint).port);
    }

    // SES
    const probe = createServer();
    ports.ses = await listen(probe, ports.ses, 'SES', 'SES_PORT');
    await new Promise((r) => probe.close(r));
    const ses = await startLocalSes({ host: '127.0.0.1', port: ports.ses, identities: [policy.notifications.from] });
    stops.push(() => new Promise((r) => { ses.close(() => r()); ses.closeAllConnections?.(); }));

    // The gateway binds first (so its URL is known for survey links) and holds requests until the env is set.
    let markReady!: () => void;
    const ready = new Promise<void>((r) => (markReady = r));
    const gatewayPortProbe = createServer();
    ports.api = await listen(gatewayPortProbe, ports.api, 'the API', 'PORT');
    await new Promise((r) => gatewayPortProbe.close(r));
    const auth = await createLocalAuth({ issuer: `http://127.0.0.1:${ports.api}`, dataDir, clients: loadLocalClients(opts.clientsPath), users: loadLocalUsers(opts.usersPath) });
    const gateway: Gateway = await startGateway({ port: ports.api, root: ROOT, auth, ready, log, ...(opts.throttle !== undefined ? { throttle: opts.throttle } : {}) });
    stops.push(() => gateway.stop());

    const urls = {
      api: gateway.url,
      dynamodb: dynamodbEndpoint,
      stepfunctions: `http://127.0.0.1:${ports.stepfunctions}`,
      ses: `http://127.0.0.1:${ports.ses}`,
      smtp: `smtp://127.0.0.1:${ports.smtp}`,
    };
    if (!def.inbound) throw new Error('the template has no SES receipt rule for inbound mail');
    const inbound = def.inbound;
    // Where SES's S3 action and the attachments' bucket would be: the data folder, or a folder that dies with the stack.
    const mailDir = dataDir ? join(dataDir, 'inbound') : mkdtempSync(join(tmpdir(), 'escalator-mail-'));
    if (!dataDir) stops.push(async () => rmSync(mailDir, { recursive: true, force: true }));
    const localPolicy: Policy = { ...policy, notifications: { ...policy.notifications, publicBaseUrl: urls.api, consoleUrl: `${urls.api}/console` } };

    // The handlers' environment: what a Lambda would get, with the SDK pointed at the stand-ins.
    Object.assign(process.env, {
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: urls.dynamodb,
      AWS_ENDPOINT_URL_SES: urls.ses,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      TABLE_NAME: tableName,
      STATE_MACHINE_ARN: def.stateMachine.arn,
      INBOUND_DOMAIN: inbound.domain,
      INBOUND_MAIL_DIR: mailDir,
      ESCALATOR_POLICY_JSON: JSON.stringify(localPolicy),
      LINK_SIGNING_KEY: linkSigningKey(dataDir),
      POWERTOOLS_LOG_LEVEL: process.env['LOG_LEVEL'] ?? process.env['POWERTOOLS_LOG_LEVEL'] ?? 'WARN',
      // Many invocations overlap in this one process: scope Powertools' state per invocation as Lambda does (local/invocations.ts).
      AWS_LAMBDA_MAX_CONCURRENCY: LOCAL_MAX_CONCURRENCY,
      // Not POWERTOOLS_DEV: stdout carries exactly the one-line JSON Lambda writes (bin/local.ts shows it readably on a
      // terminal). EMF metrics only when asked (`metrics: true`): npm start does, tests opt in.
      POWERTOOLS_METRICS_DISABLED: opts.metrics ? 'false' : 'true',
    });

    const { DynamoDBClient, CreateTableCommand, DescribeTableCommand } = await import('@aws-sdk/client-dynamodb');
    const admin = new DynamoDBClient({ endpoint: urls.dynamodb });
    try {
      await admin.send(new DescribeTableCommand({ TableName: tableName }));
    } catch {
      await admin.send(new CreateTableCommand({ TableName: tableName, ...def.table } as never));
    }
    admin.destroy();

    // Step Functions: the synthesized definition; each Task goes to the module its Lambda deploys.
    const sfnServer: LocalStepFunctions = await startLocalStepFunctions({
      port: ports.stepfunctions,
      ...(dataDir ? { dataDir } : {}),
      stateMachines: [def.stateMachine],
      dispatch: async (resource, input) => {
        const ref = def.lambdas.get(resource);
        if (!ref) throw new Error(`no local handler for ${resource}`);
        return invokeIsolated(await loadHandler(ref), input, lambdaContext(functionNameOf(ref)));
      },
      log,
    }).catch((e: NodeJS.ErrnoException) => {
      throw e.code === 'EADDRINUSE' ? new StartupError(`port ${ports.stepfunctions} (Step Functions) is already in use; stop what holds it or set SFN_PORT`) : e;
    });
    ports.stepfunctions = sfnServer.port;
    urls.stepfunctions = sfnServer.url;
    process.env['AWS_ENDPOINT_URL_SFN'] = sfnServer.url;
    stops.push(() => sfnServer.stop());

    // The stream's consumers, wired as the template's event source mappings say.
    const pollers: StreamPoller[] = [];
    for (const consumer of opts.consumeStream === false ? [] : def.streamConsumers) {
      const poller = await startStreamPoller({
        endpoint: dynamodbEndpoint,
        tableName,
        mapping: consumer.mapping,
        invoke: async (event) => invokeIsolated(await loadHandler(consumer.handler), event, lambdaContext(functionNameOf(consumer.handler))),
        checkpointFile: dataDir ? join(dataDir, `stream-checkpoint-${tableName}.json`) : undefined,
        failureFile: dataDir ? join(dataDir, 'stream-failures.jsonl') : undefined,
        log,
      });
      pollers.push(poller);
      stops.push(() => poller.stop());
    }
    // Load the stream consumer and the timer task now, as a warm Lambda would have them, not on the first record.
    await Promise.all([...def.streamConsumers.map((c) => loadHandler(c.handler)), ...[...def.lambdas.values()].map(loadHandler), loadHandler(inbound.handler)]);
    markReady();

    // SES receiving: an SMTP server handing each message to the receipt rule's function, as SES would.
    const smtp = await startLocalSmtp({
      port: ports.smtp,
      domain: inbound.domain,
      mailDir,
      functionArn: inbound.functionArn,
      // In an invocation context of its own, named after its file as every other local function is.
      handler: async (event) => invokeIsolated(await loadHandler(inbound.handler), event, lambdaContext(functionNameOf(inbound.handler))),
      log,
    }).catch((e: NodeJS.ErrnoException) => {
      throw e.code === 'EADDRINUSE' ? new StartupError(`port ${ports.smtp} (SMTP) is already in use; stop what holds it or set SMTP_PORT`) : e;
    });
    ports.smtp = smtp.port;
    urls.smtp = `smtp://127.0.0.1:${smtp.port}`;
    stops.push(() => smtp.stop());

    // The reconciler, on an interval as the EventBridge schedule is on AWS.
    const reconcilerRef = def.handlers.find((h) => h.file.endsWith('workflow/reconciler.ts'));
    if (!reconcilerRef) throw new Error('the template has no reconciler function');
    let running: Promise<unknown> | undefined;
    const reconcile = () => {
      running ??= loadHandler(reconcilerRef)
        .then((fn) => invokeIsolated(fn, {}, lambdaContext('reconciler')))
        .catch((e: unknown) => log(`reconciler: ${(e as Error).message}`))
        .finally(() => (running = undefined));
      return running;
    };
    const every = opts.reconcileEveryMs ?? 5_000;
    if (every > 0) {
      const timer = setInterval(() => void reconcile(), every);
      timer.unref();
      stops.push(async () => {
        clearInterval(timer);
        await running;
      });
    }

    const drained = async () => {
      await Promise.all(pollers.map((p) => p.drained()));
    };
    return { urls, ports, policy: localPolicy, stateMachineArn: def.stateMachine.arn, tableName, inboundDomain: inbound.domain, mailDir, auth, reconcile, drained, stop: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
