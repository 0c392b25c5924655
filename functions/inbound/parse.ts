// Inbound mail: one raw MIME message made into what a person wrote — parsed by mailparser (charsets, encodings,
// multipart trees), HTML-only bodies turned into text by html-to-text, quoted history and signatures cut by
// email-reply-parser, and its attachments listed (too large ones refused, with why). No I/O: the handler fetches the
// raw message and stores the attachments.
import { createHash } from 'node:crypto';
import EmailReplyParser from 'email-reply-parser';
import { convert } from 'html-to-text';
import { simpleParser, type AddressObject } from 'mailparser';
import { DEFAULT_MAX_ATTACHMENT_BYTES, MAX_REPLY_CHARS } from '../domain/inbound.ts';

export { DEFAULT_MAX_ATTACHMENT_BYTES };

export interface ParsedAttachment {
  name: string;
  type: string;
  size: number;
  inline: boolean;
  /** Absent when refused. */
  content?: Buffer;
  refused?: string;
}

export interface ParsedMail {
  /** The Message-ID header; one derived from the message's bytes when it has none. */
  messageId: string;
  from: string | undefined;
  subject: string;
  /** What the sender wrote: no quoted history, no signature. */
  text: string;
  truncated: boolean;
  /** Header names in lower case, values as text (the automatic-message rules read them). */
  headers: Map<string, string>;
  attachments: ParsedAttachment[];
}

/**
 * Containers mail clients wrap the quoted message in, for HTML-only replies: Gmail, Apple Mail and Thunderbird
 * (blockquote type=cite), Yahoo. Outlook's quoted part has no container (it follows a "From: … Sent: …" block), which
 * email-reply-parser recognises in the text.
 */
const QUOTE_CONTAINERS = ['div.gmail_quote', 'blockquote.gmail_quote', 'blockquote[type=cite]', 'div.moz-cite-prefix', 'div.yahoo_quoted', 'div#appendonsend'];

function htmlText(html: string): string {
  return convert(html, {
    wordwrap: false,
    selectors: [
      ...QUOTE_CONTAINERS.map((selector) => ({ selector, format: 'skip' })),
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'h1', options: { uppercase: false } },
      { selector: 'h2', options: { uppercase: false } },
      { selector: 'h3', options: { uppercase: false } },
    ],
  });
}

/** Placeholders clients leave in the text part for inline images: Outlook's [cid:…], Gmail's [image: …]. */
const IMAGE_PLACEHOLDERS = /\[(?:cid:[^\]\s]+|image:[^\]]*)\]/gi;

/** The sender's own words: the text without quoted history and signature (Gmail, Outlook, Apple Mail shapes). */
export function visibleReply(body: string): string {
  const text = body.replace(/\r\n?/g, '\n').replace(IMAGE_PLACEHOLDERS, '').replace(/\u00a0/g, ' ');
  const visible = new EmailReplyParser().read(text).getVisibleText();
  const lines = visible.split('\n').map((l) => l.trimEnd());
  while (lines.length && !lines.at(-1)) lines.pop();
  // The attribution line of the quoted message in a form the parser's patterns miss (other languages, e.g. iOS in
  // Japanese: "2026/11/30 10:04、Name <address>のメール:"): a last line naming an address and ending with a colon.
  if (lines.length > 1 && ATTRIBUTION.test(lines.at(-1)!)) lines.pop();
  return lines.join('\n').replace(/\n{3,}/g, '\n\n').trim();
}

const ATTRIBUTION = /<[^<>\s]+@[^<>\s]+>.*[:：]$/;

function firstAddress(a: AddressObject | AddressObject[] | undefined): string | undefined {
  const list = Array.isArray(a) ? a : a ? [a] : [];
  for (const o of list) for (const v of o.value) if (v.address) return v.address.trim();
  return undefined;
}

function headerText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object') {
    const o = v as { value?: unknown; text?: unknown; params?: Record<string, string> };
    if (typeof o.text === 'string') return o.text;
    if (typeof o.value === 'string') return [o.value, ...Object.entries(o.params ?? {}).map(([k, x]) => `${k}=${x}`)].join('; ');
  }
  if (v instanceof Date) return v.toISOString();
  return String(v ?? '');
}

const sizeText = (n: number) => (n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`);

export async function parseMail(raw: Buffer, opts: { maxAttachmentBytes?: number } = {}): Promise<ParsedMail> {
  const limit = opts.maxAttachmentBytes ?? DEFAULT_MAX_ATTACHMENT_BYTES;
  // skipHtmlToText: mailparser would otherwise make a text from the HTML itself, quoted history and all, and we
  // could not tell an HTML-only message from one with a text part.
  const mail = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
  const headers = new Map<string, string>();
  for (const [k, v] of mail.headers) headers.set(k.toLowerCase(), headerText(v));
  const body = mail.text?.trim() ? mail.text : typeof mail.html === 'string' ? htmlText(mail.html) : '';
  let text = visibleReply(body);
  const truncated = text.length > MAX_REPLY_CHARS;
  if (truncated) text = `${text.slice(0, MAX_REPLY_CHARS - 1)}…`;
  const attachments: ParsedAttachment[] = mail.attachments.map((a, i) => {
    const type = (a.contentType || 'application/octet-stream').toLowerCase();
    const name = a.filename?.trim() || `attachment-${i + 1}${type.startsWith('image/') ? `.${type.slice(6).split(/[+;]/)[0]}` : ''}`;
    const size = a.size ?? a.content.length;
    const inline = a.contentDisposition === 'inline' || a.related === true;
    if (size > limit) return { name, type, size, inline, refused: `larger than the ${sizeText(limit)} limit (${sizeText(size)})` };
    return { name, type, size, inline, content: a.content };
  });
  return {
    messageId: mail.messageId?.trim() || `<${createHash('sha256').update(raw).digest('hex')}@no-message-id.invalid>`,
    from: firstAddress(mail.from),
    subject: mail.subject ?? '',
    text,
    truncated,
    headers,
    attachments,
  };
}
