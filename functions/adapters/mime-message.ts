// The one MIME shape the SES mailer sends (RFC 5322 / 2045 / 2047): a text and an HTML alternative in UTF-8,
// quoted-printable (readable in the raw message, and what spam filters expect of text), plain ASCII addresses, and
// header values encoded as UTF-8 words where they are not ASCII. Written here rather than taken from nodemailer's
// MailComposer: that carries 132 KB into every function that sends mail (74 KB of it a file-extension → MIME-type
// table for attachments we never send), which was a fifth of those functions' bundles (BENCHMARKS.md, issue 14).
import { randomBytes } from 'node:crypto';

export interface MimeMessage {
  from: string;
  to: string;
  replyTo?: string;
  subject: string;
  text: string;
  html: string;
  /** Further headers by name (Message-ID, In-Reply-To, References…), ASCII or not. */
  headers?: Record<string, string>;
  /** The Date header; now unless given. */
  date?: Date;
}

const CRLF = '\r\n';
/** RFC 5322: a line is at most 78 characters before its CRLF; quoted-printable lines at most 76. */
const QP_LINE = 76;
/** RFC 2047: a header line holding encoded words is at most 76 characters. */
const ENCODED_LINE = 76;

/** An address as SES takes it: ASCII, no spaces or line breaks (the domain's schemas check the form). */
function address(value: string, field: string): string {
  if (!/^[\x21-\x7e]+$/.test(value)) throw new Error(`${field}: not a plain ASCII address: ${JSON.stringify(value)}`);
  return value;
}

/**
 * A header value after `<name>: ` (`nameLength` counts both): as is when it is printable ASCII, else UTF-8 encoded
 * words, each line within 76 characters (RFC 2047 §2) and no character split between two words.
 */
export function headerValue(value: string, nameLength: number): string {
  const oneLine = value.replace(/[\r\n]+/g, ' ');
  if (/^[\x20-\x7e]*$/.test(oneLine) && oneLine.length + nameLength <= 998) return oneLine;
  // Bytes per word: the base64 of at most this many bytes, with `=?UTF-8?B?` and `?=` (12), fits the line left.
  const bytesFor = (room: number) => Math.floor((room - 12) / 4) * 3;
  const words: string[] = [];
  let chunk = '';
  for (const ch of oneLine) {
    if (Buffer.byteLength(chunk + ch) > bytesFor(words.length ? ENCODED_LINE - 1 : ENCODED_LINE - nameLength)) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w).toString('base64')}?=`).join(`${CRLF} `);
}

/** Quoted-printable (RFC 2045 §6.7) of UTF-8 text, with CRLF line breaks and soft breaks at 76 characters. */
export function quotedPrintable(text: string): string {
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => {
      const bytes = Buffer.from(line);
      const out: string[] = [];
      let current = '';
      bytes.forEach((b, i) => {
        const last = i === bytes.length - 1;
        // Literal: printable ASCII but "=", and space or tab unless it ends the line (trailing blanks get stripped).
        const literal = (b >= 33 && b <= 126 && b !== 61) || ((b === 32 || b === 9) && !last);
        const token = literal ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
        // Keep room for the soft break "=" (unless this token ends the line, which needs none).
        if (current.length + token.length > (last ? QP_LINE : QP_LINE - 1)) {
          out.push(`${current}=`);
          current = '';
        }
        current += token;
      });
      out.push(current);
      return out.join(CRLF);
    })
    .join(CRLF);
}

/** RFC 5322's date: `Wed, 02 Dec 2026 16:00:14 +0000`. */
function rfc5322Date(d: Date): string {
  return d.toUTCString().replace(/GMT$/, '+0000');
}

function textPart(type: 'plain' | 'html', body: string): string {
  return [`Content-Type: text/${type}; charset=utf-8`, 'Content-Transfer-Encoding: quoted-printable', '', quotedPrintable(body)].join(CRLF);
}

/** Headers the message sets itself: a second one would make the message ambiguous (which From is it from?). */
const OWN_HEADERS = new Set(['from', 'to', 'reply-to', 'subject', 'date', 'mime-version', 'content-type', 'content-transfer-encoding']);

/** The whole message, ready for SES SendRawEmail. */
export function mimeMessage(m: MimeMessage): Buffer {
  // Random, and never in a quoted-printable body: QP writes "=" only before two hex digits or a line's end, never "=_".
  const boundary = `=_escalator_${randomBytes(12).toString('hex')}`;
  const custom = Object.entries(m.headers ?? {}).map(([name, value]) => {
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) throw new Error(`header name ${JSON.stringify(name)} is not a valid field name`);
    if (OWN_HEADERS.has(name.toLowerCase())) throw new Error(`header ${name} is set by the message itself`);
    return `${name}: ${headerValue(value, name.length + 2)}`;
  });
  const head = [
    `From: ${address(m.from, 'from')}`,
    `To: ${address(m.to, 'to')}`,
    ...(m.replyTo ? [`Reply-To: ${address(m.replyTo, 'replyTo')}`] : []),
    `Subject: ${headerValue(m.subject, 'Subject: '.length)}`,
    `Date: ${rfc5322Date(m.date ?? new Date())}`,
    ...custom,
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative;${CRLF} boundary="${boundary}"`,
  ];
  const body = [`--${boundary}`, textPart('plain', m.text), `--${boundary}`, textPart('html', m.html), `--${boundary}--`, ''];
  return Buffer.from([...head, '', ...body].join(CRLF));
}
