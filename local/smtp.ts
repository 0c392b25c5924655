// Local stack: SES receiving on 127.0.0.1 — an SMTP server (the `smtp-server` package) that does what the receipt rule
// does on AWS: accepts mail for the inbound domain only, stores the raw message under the mail folder as
// raw/<SES-style message id> (where the S3 action puts it), and invokes the same inbound handler with the event SES's
// Lambda action sends, every verdict PASS. Unlike SES (which answers 250 and invokes asynchronously) it answers after
// the handler has run, and a handler error is a 451 ("try again later"): the sender's retry is SES's retry, and a
// test that sent a message knows it has been handled.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { SESEvent } from 'aws-lambda';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { rawKeyOf } from '../functions/adapters/mail-store.ts';

/** SES receives messages up to 40 MB. */
export const MAX_MESSAGE_BYTES = 40 * 1024 * 1024;

export interface LocalSmtpOptions {
  port: number;
  /** Recipients on this domain are accepted; any other gets 550, as SES answers for a domain it has no rule for. */
  domain: string;
  /** The mail folder (INBOUND_MAIL_DIR): raw messages go to raw/<id> under it. */
  mailDir: string;
  functionArn: string;
  handler: (event: SESEvent) => Promise<unknown>;
  log?: (line: string) => void;
}

export interface LocalSmtp {
  port: number;
  stop(): Promise<void>;
}

/** SES message ids are 40 lower-case letters and digits. */
function sesMessageId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(40)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** The header block as SES lists it (name, value; folded lines unfolded). */
function headersOf(raw: Buffer): { name: string; value: string }[] {
  const end = raw.indexOf('\r\n\r\n');
  const block = raw.subarray(0, end < 0 ? raw.length : end).toString('latin1').replace(/\r\n[ \t]+/g, ' ');
  return block
    .split('\r\n')
    .map((l) => /^([^:\s]+):\s?(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => ({ name: m[1]!, value: m[2]! }));
}

export function sesEvent(o: { messageId: string; raw: Buffer; envelopeFrom: string; recipients: string[]; at: Date; functionArn: string }): SESEvent {
  const headers = headersOf(o.raw);
  const header = (n: string) => headers.find((h) => h.name.toLowerCase() === n)?.value;
  const pass = { status: 'PASS' };
  return {
    Records: [
      {
        eventSource: 'aws:ses',
        eventVersion: '1.0',
        ses: {
          mail: {
            timestamp: o.at.toISOString(),
            source: o.envelopeFrom,
            messageId: o.messageId,
            destination: o.recipients,
            headersTruncated: false,
            headers,
            commonHeaders: {
              returnPath: o.envelopeFrom,
              from: header('from') ? [header('from')!] : [],
              date: header('date') ?? o.at.toUTCString(),
              to: header('to') ? [header('to')!] : [],
              messageId: header('message-id') ?? '',
              subject: header('subject') ?? '',
            },
          },
          receipt: {
            timestamp: o.at.toISOString(),
            processingTimeMillis: 0,
            recipients: o.recipients,
            spamVerdict: pass,
            virusVerdict: pass,
            spfVerdict: pass,
            dkimVerdict: pass,
            dmarcVerdict: pass,
            action: { type: 'Lambda', functionArn: o.functionArn, invocationType: 'Event' },
          },
        },
      },
    ],
  } as unknown as SESEvent;
}

function read(stream: SMTPServerDataStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

const smtpError = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });

export async function startLocalSmtp(opts: LocalSmtpOptions): Promise<LocalSmtp> {
  const log = opts.log ?? (() => undefined);
  const domain = opts.domain.toLowerCase();
  const server = new SMTPServer({
    // Local only, on 127.0.0.1: no TLS, no authentication, as an MX accepts mail from anyone.
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: MAX_MESSAGE_BYTES,
    banner: 'Escalator local SES receiving',
    logger: false,
    onRcptTo(address, _session, callback) {
      if (address.address.toLowerCase().endsWith(`@${domain}`)) return callback();
      callback(smtpError(550, `5.1.1 ${address.address}: this server receives mail for ${domain} only`));
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      void (async () => {
        const raw = await read(stream);
        if (stream.sizeExceeded) throw smtpError(552, `5.3.4 message larger than ${MAX_MESSAGE_BYTES} bytes`);
        const messageId = sesMessageId();
        const file = join(opts.mailDir, rawKeyOf(messageId));
        await mkdir(dirname(file), { recursive: true });
        await writeFile(file, raw);
        const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        const recipients = session.envelope.rcptTo.map((r) => r.address);
        await opts.handler(sesEvent({ messageId, raw, envelopeFrom, recipients, at: new Date(), functionArn: opts.functionArn }));
      })().then(
        () => callback(),
        (e: Error & { responseCode?: number }) => {
          if (e.responseCode) return callback(e);
          log(`smtp: the inbound handler failed (${e.message}); answered 451 so the sender retries`);
          callback(smtpError(451, `4.3.0 not handled now, try again later: ${e.message}`));
        },
      );
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => {
      const a = server.server.address();
      resolve(typeof a === 'object' && a ? a.port : opts.port);
    });
  });
  return {
    port,
    stop: () => new Promise((r) => server.close(() => r())),
  };
}
