// `npm start`: the whole Escalator stack on this machine (see local/stack.ts), until Ctrl-C.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { startLocalStack, StartupError, DEFAULT_PORTS, ROOT } from '../local/stack.ts';
import { ensureConsoleBuilt } from '../console/build.ts';
import { prettyLogsWhenWatched } from '../local/pretty-logs.ts';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
prettyLogsWhenWatched();

const usage = `usage: npm start [-- --in-memory] [--data-dir DIR] [--policy FILE]
  env: PORT (API, ${DEFAULT_PORTS.api}), DYNAMODB_PORT (${DEFAULT_PORTS.dynamodb}), SFN_PORT (${DEFAULT_PORTS.stepfunctions}), SES_PORT (${DEFAULT_PORTS.ses}), SMTP_PORT (${DEFAULT_PORTS.smtp}),
       ESCALATOR_POLICY, ESCALATOR_DATA_DIR (.escalator), ESCALATOR_LOCAL_CLIENTS, ESCALATOR_LOCAL_USERS, ESCALATOR_RECONCILE_MS, LOG_LEVEL`;

function port(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new StartupError(`${name}=${v} is not a port number`);
  return n;
}

async function main() {
  let args;
  try {
    args = parseArgs({
      options: {
        'in-memory': { type: 'boolean', default: false },
        'data-dir': { type: 'string' },
        policy: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (e) {
    throw new StartupError(`${(e as Error).message}\n${usage}`);
  }
  if (args.help) {
    console.log(usage);
    return;
  }
  const dataDir = args['in-memory'] ? undefined : resolve(args['data-dir'] ?? process.env['ESCALATOR_DATA_DIR'] ?? '.escalator');
  const policyPath = resolve(args.policy ?? process.env['ESCALATOR_POLICY'] ?? resolve(ROOT, 'policies/default.json'));
  const started = Date.now();
  // The ops console is served at /console/; build it when missing or stale (a second or two).
  await ensureConsoleBuilt((line) => console.error(line));
  const stack = await startLocalStack({
    dataDir,
    policyPath,
    ports: {
      api: port('PORT', DEFAULT_PORTS.api),
      dynamodb: port('DYNAMODB_PORT', DEFAULT_PORTS.dynamodb),
      stepfunctions: port('SFN_PORT', DEFAULT_PORTS.stepfunctions),
      ses: port('SES_PORT', DEFAULT_PORTS.ses),
      smtp: port('SMTP_PORT', DEFAULT_PORTS.smtp),
    },
    templatePath: process.env['ESCALATOR_TEMPLATE'],
    clientsPath: process.env['ESCALATOR_LOCAL_CLIENTS'],
    usersPath: process.env['ESCALATOR_LOCAL_USERS'],
    reconcileEveryMs: port('ESCALATOR_RECONCILE_MS', 5_000),
    // The business metrics as Lambda prints them (EMF on stdout); ESCALATOR_METRICS=off hides them.
    metrics: process.env['ESCALATOR_METRICS'] !== 'off',
    log: (line) => console.error(line),
  });
  const { urls } = stack;
  console.log(`Escalator is running (policy "${stack.policy.name}", ${dataDir ? `data in ${dataDir}` : 'in memory'}; ready in ${((Date.now() - started) / 1000).toFixed(1)} s)
  API             ${urls.api}   (OpenAPI: ${urls.api}/openapi.json; token: POST ${urls.api}/oauth2/token)
  DynamoDB        ${urls.dynamodb}   (table escalator-cases)
  Step Functions  ${urls.stepfunctions}   (state machine ${stack.stateMachineArn})
  SES             ${urls.ses}   (every email sent: open it in a browser; JSON at ${urls.ses}/store)
  SMTP (replies)  ${urls.smtp}   (customers' replies to reply+…@${stack.inboundDomain}; kept in ${stack.mailDir})
  Ops console     ${urls.api}/console/   (sign in as ops / ops-local-password; local only)
  Local client    escalator-local / escalator-local-secret (all scopes; local only)
Press Ctrl-C to stop.`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping…`);
    await stack.stop();
    console.log(dataDir ? `Stopped. Cases and running timers are kept in ${dataDir} and resume on the next start.` : 'Stopped (in memory: nothing was kept).');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((e: unknown) => {
  if (e instanceof StartupError) console.error(`escalator: ${e.message}`);
  else console.error(`escalator: failed to start: ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});
