// Inbound mail: one raw MIME message made into what a person wrote — parsed by postal-mime (charsets, encodings,
// multipart trees), HTML-only bodies turned into text by html-text.ts (on htmlparser2's parser), quoted history and
// signatures cut by email-reply-parser, and its attachments listed (too large ones refused, with why). No I/O: the
// handler fetches the raw message and stores the attachments.
//
// postal-mime rather than mailparser: it decodes charsets with TextDecoder (Node's full ICU has Shift_JIS,
// ISO-2022-JP, EUC-KR, GB18030, Big5, the windows-125x and ISO-8859 sets) where mailparser carries its own tables
// (libmime, iconv-lite, encoding-japanese, he): the function's bundle went from 2523 KB to 942 KB.
import { createHash } from 'node:crypto';
import EmailReplyParser from 'email-reply-parser';
import PostalMime, { addressParser, decodeWords, type Attachment, type Header } from 'postal-mime';
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
 * The HTML-to-text conversion (htmlparser2 with its entity tables, ~60 KB) is loaded on first need: most replies carry
 * a text part and never need it, so the function's cold start does not evaluate it (the bundle holds it all the same;
 * esbuild inlines the import, test/cdk/bundles.test.ts). It leaves out the containers clients wrap the quoted message
 * in (QUOTE_CONTAINERS there).
 */
async function htmlText(html: string): Promise<string> {
  const { htmlToText } = await import('./html-text.ts');
  return htmlToText(html);
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

/**
 * Node's TextDecoder decodes windows-1252 — and the labels the Encoding Standard maps to it: iso-8859-1, latin1,
 * us-ascii — as ISO-8859-1 from 20.18.3 and 22.13.0 until the fix (nodejs/node#60888, #56542), 20.x to this day, so the
 * bytes 0x80–0x9F come out as C1 control characters: Outlook's "89,00 €" becomes "89,00 \u0080". Real text never holds
 * C1 controls, so each is put back as the windows-1252 character of that byte; where the runtime decodes right
 * there are none and this changes nothing. (The five bytes windows-1252 leaves unassigned stay controls, as in the
 * Encoding Standard.)
 */
const WINDOWS_1252_C1 = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';
const c1AsWindows1252 = (s: string) => s.replace(/[\u0080-\u009f]/g, (c) => WINDOWS_1252_C1[c.charCodeAt(0) - 0x80]!);

/**
 * The first address of a From header. Every entry is looked at, as mailparser did: `From: undisclosed-recipients:;,
 * ana@example.org` still names Ana (postal-mime's own `from` is the first entry only, here the empty group).
 */
function firstAddress(value: string | undefined): string | undefined {
  if (!value) return undefined;
  for (const a of addressParser(value, { flatten: true })) if (a.address?.trim()) return a.address.trim();
  return undefined;
}

/**
 * Header names in lower case, values unfolded with encoded words decoded. A repeated header keeps its first value:
 * postal-mime reads a part's Content-* headers that way (so the map's content-type is the one the body was read as),
 * and its from, subject and messageId too. (mailparser kept the last of a repeated single-valued header.)
 */
function headerMap(list: Header[]): Map<string, string> {
  const headers = new Map<string, string>();
  // Empty ones are left out, as mailparser did: an empty "X-Autoreply:" does not make a message automatic.
  for (const { key, value } of list) if (value.trim() && !headers.has(key)) headers.set(key, decodeHeader(value.trim()));
  return headers;
}

function decodeHeader(value: string): string {
  try {
    return c1AsWindows1252(decodeWords(value));
  } catch {
    return value; // a malformed encoded word: the raw text, rather than losing the message
  }
}

/** A Message-ID in angle brackets, as mailparser wrote them: keys of messages handled before the switch stay the same. */
function messageIdOf(value: string | undefined): string | undefined {
  const id = value?.trim();
  if (!id) return undefined;
  return `${id.startsWith('<') ? '' : '<'}${id}${id.endsWith('>') ? '' : '>'}`;
}

/**
 * The type of a part sent as application/octet-stream, from its file name: some clients send everything so, and the
 * type is what the stored object is served as. mailparser looked the extension up in libmime's table; these are the
 * files customers attach (anything else stays application/octet-stream).
 */
const TYPES_BY_EXTENSION: Record<string, string> = {
  pdf: 'application/pdf', jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp',
  heic: 'image/heic', heif: 'image/heif', bmp: 'image/bmp', tif: 'image/tiff', tiff: 'image/tiff', svg: 'image/svg+xml',
  txt: 'text/plain', log: 'text/plain', csv: 'text/csv', htm: 'text/html', html: 'text/html', json: 'application/json',
  xml: 'application/xml', eml: 'message/rfc822', ics: 'text/calendar', rtf: 'application/rtf', zip: 'application/zip',
  gz: 'application/gzip', '7z': 'application/x-7z-compressed', rar: 'application/vnd.rar', mov: 'video/quicktime',
  mp4: 'video/mp4', m4v: 'video/mp4', webm: 'video/webm', mp3: 'audio/mpeg', m4a: 'audio/mp4', wav: 'audio/wav',
  doc: 'application/msword', docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint', pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  odt: 'application/vnd.oasis.opendocument.text', ods: 'application/vnd.oasis.opendocument.spreadsheet',
};

function typeOf(a: Attachment): string {
  const type = (a.mimeType || 'application/octet-stream').toLowerCase();
  if (type !== 'application/octet-stream' || !a.filename) return type;
  return TYPES_BY_EXTENSION[a.filename.trim().toLowerCase().split('.').pop() ?? ''] ?? type;
}

/** postal-mime hands content as an ArrayBuffer (a Uint8Array for calendar parts): a Buffer over the same bytes. */
function contentOf(a: Attachment): Buffer {
  const c = a.content;
  if (typeof c === 'string') return Buffer.from(c, a.encoding === 'base64' ? 'base64' : 'utf8'); // not asked for; typed so
  return c instanceof ArrayBuffer ? Buffer.from(c) : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
}

const sizeText = (n: number) => (n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`);

export async function parseMail(raw: Buffer, opts: { maxAttachmentBytes?: number } = {}): Promise<ParsedMail> {
  const limit = opts.maxAttachmentBytes ?? DEFAULT_MAX_ATTACHMENT_BYTES;
  // rfc822Attachments: a forwarded message/rfc822 part without a Content-Disposition is listed as an attachment (as
  // mailparser did), not spliced into the body, where it would pass for what the sender wrote.
  const mail = await PostalMime.parse(raw, { rfc822Attachments: true });
  const headers = headerMap(mail.headers);
  // postal-mime makes no text of an HTML-only message (text is absent), so our conversion — which leaves the quoted
  // history out — is used for it. A message with a text part somewhere has its text.
  const body = c1AsWindows1252(mail.text?.trim() ? mail.text : mail.html ? await htmlText(mail.html) : '');
  let text = visibleReply(body);
  const truncated = text.length > MAX_REPLY_CHARS;
  if (truncated) text = `${text.slice(0, MAX_REPLY_CHARS - 1)}…`;
  const attachments: ParsedAttachment[] = mail.attachments.map((a, i) => {
    const type = typeOf(a);
    const name = (a.filename && c1AsWindows1252(a.filename).trim()) || `attachment-${i + 1}${type.startsWith('image/') ? `.${type.slice(6).split(/[+;]/)[0]}` : ''}`;
    const content = contentOf(a);
    const size = content.length;
    // related: inside a multipart/related with a Content-ID, i.e. shown in the HTML (an Outlook logo, a pasted image).
    const inline = a.disposition === 'inline' || a.related === true;
    if (size > limit) return { name, type, size, inline, refused: `larger than the ${sizeText(limit)} limit (${sizeText(size)})` };
    return { name, type, size, inline, content };
  });
  return {
    messageId: messageIdOf(headers.get('message-id')) ?? `<${createHash('sha256').update(raw).digest('hex')}@no-message-id.invalid>`,
    from: firstAddress(mail.headers.find((h) => h.key === 'from')?.value),
    subject: headers.get('subject') ?? '',
    text,
    truncated,
    headers,
    attachments,
  };
}
