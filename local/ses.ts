// Local stack: SES v1/v2 on 127.0.0.1 — aws-ses-v2-local (its page lists every email; GET /store returns them), with
// the v1 query actions it lacks answered here. Unpatched, any v1 action but SendEmail/SendRawEmail never gets an
// answer: `aws ses list-identities` hangs until the CLI gives up. Now ListIdentities and GetSendQuota answer like
// SES, and any other v1 action is refused at once with SES's own error shape (InvalidAction, naming what works).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

export interface LocalSesOptions {
  host: string;
  port: number;
  /** The identities (sender addresses) the local SES reports as verified: the policy's `from`. */
  identities: string[];
}

const XMLNS = 'http://ses.amazonaws.com/doc/2010-12-01/';
const SENDS = new Set(['SendEmail', 'SendRawEmail']);
const ANSWERED = ['SendEmail', 'SendRawEmail', 'ListIdentities', 'GetSendQuota'];

const xmlEscape = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

function xml(res: ServerResponse, status: number, body: string) {
  res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>${body}`);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startLocalSes(opts: LocalSesOptions): Promise<Server> {
  const { default: sesServer } = (await import('aws-ses-v2-local')) as unknown as { default: (c: { host: string; port: number }) => Promise<Server> };
  const server = await sesServer({ host: opts.host, port: opts.port });
  const app = server.listeners('request')[0] as (req: IncomingMessage, res: ServerResponse) => void;
  server.removeAllListeners('request');
  const sentAt: number[] = [];

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const isV1 = req.method === 'POST' && (req.url ?? '/').split('?')[0] === '/' && /application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '');
    if (!isV1) return app(req, res);
    readBody(req).then(
      (text) => {
        const params = new URLSearchParams(text);
        const action = params.get('Action') ?? '';
        const requestId = randomUUID();
        if (SENDS.has(action)) {
          sentAt.push(Date.now());
          // The stream is read: hand the parsed form on (Express's body parser skips a request already read).
          (req as IncomingMessage & { body: unknown }).body = Object.fromEntries(params);
          return app(req, res);
        }
        if (action === 'ListIdentities') {
          const members = opts.identities.map((i) => `<member>${xmlEscape(i)}</member>`).join('');
          return xml(res, 200, `<ListIdentitiesResponse xmlns="${XMLNS}"><ListIdentitiesResult><Identities>${members}</Identities></ListIdentitiesResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></ListIdentitiesResponse>`);
        }
        if (action === 'GetSendQuota') {
          const dayAgo = Date.now() - 86_400_000;
          while (sentAt.length && sentAt[0]! < dayAgo) sentAt.shift();
          // -1: no sending limit (SES's own "unlimited"); the stand-in sends nothing anywhere.
          return xml(res, 200, `<GetSendQuotaResponse xmlns="${XMLNS}"><GetSendQuotaResult><Max24HourSend>-1.0</Max24HourSend><MaxSendRate>-1.0</MaxSendRate><SentLast24Hours>${sentAt.length}.0</SentLast24Hours></GetSendQuotaResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></GetSendQuotaResponse>`);
        }
        const message = `the local SES (aws-ses-v2-local) does not implement ${action || 'a request without an Action'}; it answers ${ANSWERED.join(', ')} (v1) and the v2 email API`;
        return xml(res, 400, `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`);
      },
      () => res.destroy(),
    );
  });
  return server;
}
