// Counting the handlers' AWS SDK calls in a bench process, and telling apart who made each one:
//   request — the route handler behind the gateway (what a client waits for)
//   stream  — the table's stream consumer (functions/stream/effects.ts → functions/app/effects.ts) and the timer's
//             Evaluate task (functions/workflow/): the effects that follow a change, off the request path
// The handlers' clients are module singletons (functions/commons/clients/*), the same instances the local stack loaded;
// each one's `send` is wrapped here and the caller is read from the (async) stack trace at the moment of the call: the
// use case that calls `send` is on it synchronously, and V8's async frames name the functions awaiting it.
//
// Optionally every DynamoDB write asks for ReturnConsumedCapacity: 'TOTAL', and each call's consumed capacity and the
// size of the items it writes (DynamoDB's sizing rules, approximated) are handed to listeners.
import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

export type Origin = 'request' | 'stream' | 'other';

export interface CallInfo {
  service: 'DynamoDB' | 'SFN' | 'SES';
  command: string;
  origin: Origin;
  input: Record<string, unknown>;
  /** When the call's answer arrived (epoch ms): for SES, the moment the email is in the (local) SES store. */
  at: number;
  /** The capacity DynamoDB reported (when asked for), write units summed over tables and indexes. */
  writeUnits?: number;
  /** Bytes of the items a write puts (Put, TransactWrite Puts; an Update counts its new values only). */
  itemBytes?: number;
  items?: number;
}

/** lib-dynamodb command class → the DynamoDB API operation it sends. */
const DOC_COMMANDS: Record<string, string> = {
  GetCommand: 'GetItem',
  PutCommand: 'PutItem',
  UpdateCommand: 'UpdateItem',
  DeleteCommand: 'DeleteItem',
  QueryCommand: 'Query',
  ScanCommand: 'Scan',
  BatchGetCommand: 'BatchGetItem',
  BatchWriteCommand: 'BatchWriteItem',
  TransactWriteCommand: 'TransactWriteItems',
  TransactGetCommand: 'TransactGetItems',
};

const STREAM_MARKERS = ['/functions/stream/', '/functions/app/effects.ts', '/functions/workflow/', '/functions/notifications/compose.ts', '/local/stream-poller.ts', '/local/stepfunctions/'];
const REQUEST_MARKERS = ['/functions/http/', '/functions/app/cases.ts', '/functions/app/queries.ts', '/functions/app/idempotency.ts', '/local/gateway.ts'];

function originOfStack(stack: string): Origin {
  if (STREAM_MARKERS.some((m) => stack.includes(m))) return 'stream';
  if (REQUEST_MARKERS.some((m) => stack.includes(m))) return 'request';
  return 'other';
}

// ---- DynamoDB item size (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html)
function valueSize(v: AttributeValue): number {
  if (v.S !== undefined) return Buffer.byteLength(v.S);
  if (v.N !== undefined) return Math.ceil(v.N.replace(/^-|\.|e.*$/gi, '').replace(/^0+/, '').length / 2) + 1;
  if (v.B !== undefined) return v.B.length;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.SS) return v.SS.reduce((t, s) => t + Buffer.byteLength(s), 0);
  if (v.NS) return v.NS.reduce((t, n) => t + valueSize({ N: n }), 0);
  if (v.L) return 3 + v.L.reduce((t, e) => t + 1 + valueSize(e), 0);
  if (v.M) return 3 + Object.entries(v.M).reduce((t, [k, e]) => t + 1 + Buffer.byteLength(k) + valueSize(e), 0);
  return 0;
}
export function itemSize(item: Record<string, unknown>): number {
  const m = marshall(item, { removeUndefinedValues: true, convertClassInstanceToMap: false }) as Record<string, AttributeValue>;
  return Object.entries(m).reduce((t, [k, v]) => t + Buffer.byteLength(k) + valueSize(v), 0);
}
export const marshalledItemSize = (m: Record<string, AttributeValue>) => Object.entries(m).reduce((t, [k, v]) => t + Buffer.byteLength(k) + valueSize(v), 0);

function writtenItems(command: string, input: Record<string, unknown>): Record<string, unknown>[] {
  if (command === 'PutItem') return [input['Item'] as Record<string, unknown>];
  if (command === 'TransactWriteItems') {
    return (input['TransactItems'] as { Put?: { Item: Record<string, unknown> } }[]).flatMap((t) => (t.Put ? [t.Put.Item] : []));
  }
  if (command === 'UpdateItem') return [{ ...(input['Key'] as object), ...((input['ExpressionAttributeValues'] as object | undefined) ?? {}) }];
  return [];
}

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem']);

export interface CallCounter {
  /** Calls so far by origin, then `Service.Operation`. */
  counts: Record<Origin, Record<string, number>>;
  /** A copy of `counts`. */
  snapshot(): Record<Origin, Record<string, number>>;
  /** performance.now() of the last call's end. */
  lastAt(): number;
  listen(fn: (c: CallInfo) => void): () => void;
  /** Ask DynamoDB for ReturnConsumedCapacity: 'TOTAL' on every write from now on. */
  measureWrites(on: boolean): void;
}

type Sendable = { send: (command: unknown, ...rest: unknown[]) => Promise<unknown> };

export async function instrumentHandlerClients(): Promise<CallCounter> {
  const counts: Record<Origin, Record<string, number>> = { request: {}, stream: {}, other: {} };
  const listeners = new Set<(c: CallInfo) => void>();
  let last = performance.now();
  let measure = false;
  const clients: [CallInfo['service'], Sendable][] = [
    ['DynamoDB', (await import('../functions/commons/clients/dynamodb.ts')).ddb() as unknown as Sendable],
    ['SFN', (await import('../functions/commons/clients/sfn.ts')).sfn() as unknown as Sendable],
    ['SES', (await import('../functions/commons/clients/ses.ts')).ses() as unknown as Sendable],
  ];
  for (const [service, client] of clients) {
    if ((client as { __benchWrapped?: boolean }).__benchWrapped) throw new Error('the handler clients are instrumented twice');
    const original = client.send.bind(client);
    Object.assign(client, { __benchWrapped: true });
    client.send = (command: unknown, ...rest: unknown[]) => {
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 80;
      const stack = new Error().stack ?? '';
      Error.stackTraceLimit = limit;
      const origin = originOfStack(stack);
      const cls = (command as object).constructor.name;
      const name = service === 'DynamoDB' ? (DOC_COMMANDS[cls] ?? cls.replace(/Command$/, '')) : cls.replace(/Command$/, '');
      const key = `${service}.${name}`;
      counts[origin][key] = (counts[origin][key] ?? 0) + 1;
      const input = ((command as { input?: Record<string, unknown> }).input ?? {}) as Record<string, unknown>;
      const isWrite = service === 'DynamoDB' && WRITES.has(name);
      if (isWrite && measure) input['ReturnConsumedCapacity'] = 'TOTAL';
      const done = (output: unknown, ok: boolean) => {
        last = performance.now();
        if (!ok && service === 'SES') return;
        if (!listeners.size) return;
        const info: CallInfo = { service, command: name, origin, input, at: Date.now() };
        if (isWrite) {
          const items = writtenItems(name, input);
          info.items = items.length;
          info.itemBytes = items.reduce((t, i) => t + itemSize(i), 0);
          const cc = (output as { ConsumedCapacity?: unknown } | undefined)?.ConsumedCapacity;
          const list = (Array.isArray(cc) ? cc : cc ? [cc] : []) as { CapacityUnits?: number; WriteCapacityUnits?: number }[];
          if (list.length) info.writeUnits = list.reduce((t, c) => t + (c.WriteCapacityUnits ?? c.CapacityUnits ?? 0), 0);
        }
        for (const l of listeners) l(info);
      };
      return original(command, ...rest).then(
        (out) => {
          done(out, true);
          return out;
        },
        (e: unknown) => {
          done(undefined, false);
          throw e;
        },
      );
    };
  }
  return {
    counts,
    snapshot: () => ({ request: { ...counts.request }, stream: { ...counts.stream }, other: { ...counts.other } }),
    lastAt: () => last,
    listen(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    measureWrites(on) {
      measure = on;
    },
  };
}

/** Calls made between two snapshots, by origin. */
export function callsBetween(before: Record<Origin, Record<string, number>>, after: Record<Origin, Record<string, number>>): Record<Origin, Record<string, number>> {
  const out: Record<Origin, Record<string, number>> = { request: {}, stream: {}, other: {} };
  for (const o of ['request', 'stream', 'other'] as const) {
    for (const [k, n] of Object.entries(after[o])) {
      const d = n - (before[o][k] ?? 0);
      if (d) out[o][k] = d;
    }
  }
  return out;
}

export const totalCalls = (calls: Record<string, number>) => Object.values(calls).reduce((t, n) => t + n, 0);

/** "2.0: DynamoDB.GetItem 1.0, DynamoDB.TransactWriteItems 1.0" — calls per request. */
export function callsText(calls: Record<string, number>, per: number): string {
  const entries = Object.entries(calls).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (!entries.length) return '0';
  const f = (n: number) => (n / per).toFixed(n % per === 0 ? 0 : 2);
  return `${f(totalCalls(calls))}: ${entries.map(([k, n]) => `${k} ${f(n)}`).join(', ')}`;
}

/** The subject and recipients of an SES SendEmail call's input. */
export function sesEmailOf(c: CallInfo): { subject: string; to: string[] } | undefined {
  if (c.service !== 'SES') return undefined;
  if (c.command === 'SendEmail') {
    const i = c.input as { Message?: { Subject?: { Data?: string } }; Destination?: { ToAddresses?: string[] } };
    return { subject: i.Message?.Subject?.Data ?? '', to: i.Destination?.ToAddresses ?? [] };
  }
  if (c.command !== 'SendRawEmail') return undefined;
  const i = c.input as { RawMessage?: { Data?: Uint8Array }; Destinations?: string[] };
  const raw = Buffer.from(i.RawMessage?.Data ?? new Uint8Array()).toString('utf8');
  const head = raw.slice(0, raw.search(/\r?\n\r?\n/) >>> 0).replace(/\r?\n[ \t]+/g, ' '); // unfolded header lines
  const subject = /^Subject: (.*)$/im.exec(head)?.[1] ?? '';
  return { subject: decodeWords(subject), to: i.Destinations ?? [] };
}

/** RFC 2047 encoded words (=?UTF-8?B?…?= / =?UTF-8?Q?…?=), as nodemailer writes a non-ASCII subject. */
function decodeWords(s: string): string {
  return s
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_m, _charset: string, enc: string, text: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'),
    );
}
