// Unit (no I/O): the MIME message the SES mailer sends — text and HTML alternatives, the reply address (the case's,
// else the policy's reply-to) and the thread headers that keep a case's emails in one conversation in mail clients.
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { headerValue, mimeMessage, quotedPrintable } from '../../functions/adapters/mime-message.ts';
import { rawMessage } from '../../functions/adapters/ses-mailer.ts';
import { threadHeaders } from '../../functions/notifications/compose.ts';
import { testPolicy } from '../support/domain-fixtures.ts';

const policy = testPolicy({});
const CASE_ID = '01JDQ8ZK4R7M2N6P3T5V9WXY0B';

describe('rawMessage', () => {
  it('carries the case\'s reply address and the thread headers; the subject and bodies survive in UTF-8', async () => {
    const headers = threadHeaders(CASE_ID, `${CASE_ID}/ev1/acknowledgement/ana@example.org`, 'reply.example.com');
    const raw = await rawMessage(
      { to: 'ana@example.org', subject: 'We\'ve received your request: Grüße from Zürich [Case ESC-7K2M9Q]', text: 'Hallo Jürgen', html: '<p>Hallo Jürgen</p>', tags: {}, replyTo: 'reply+ESC-7K2M9Q.0123456789abcdef0123@reply.example.com', headers },
      policy,
    );
    const m = await simpleParser(raw);
    expect(m.from?.text).toBe(policy.notifications.from);
    expect(m.to && !Array.isArray(m.to) ? m.to.text : undefined).toBe('ana@example.org');
    expect(m.replyTo?.value[0]?.address).toBe('reply+ESC-7K2M9Q.0123456789abcdef0123@reply.example.com');
    expect(m.subject).toBe('We\'ve received your request: Grüße from Zürich [Case ESC-7K2M9Q]');
    expect(m.text?.trim()).toBe('Hallo Jürgen');
    expect(m.html).toContain('<p>Hallo Jürgen</p>');
    expect(m.inReplyTo).toBe(`<case-${CASE_ID}@reply.example.com>`);
    expect(m.references).toBe(`<case-${CASE_ID}@reply.example.com>`);
    expect(m.messageId).toBe(headers['Message-ID']);
  });

  it('every email of a case names the same thread root, each its own Message-ID', () => {
    const a = threadHeaders(CASE_ID, 'k1', 'reply.example.com');
    const b = threadHeaders(CASE_ID, 'k2', 'reply.example.com');
    expect(a.References).toBe(b.References);
    expect(a['In-Reply-To']).toBe(a.References);
    expect(a['Message-ID']).not.toBe(b['Message-ID']);
    expect(threadHeaders(CASE_ID, 'k1', 'reply.example.com')).toEqual(a); // deterministic: a retried send names the same
  });

  it('falls back to the policy\'s reply-to when the email has no reply address of its own (internal alerts)', async () => {
    const m = await simpleParser(await rawMessage({ to: 'leads@example.com', subject: 's', text: 't', html: '<p>t</p>', tags: {} }, testPolicy({ notifications: { ...policy.notifications, replyTo: 'support@example.com' } })));
    expect(m.replyTo?.value[0]?.address).toBe('support@example.com');
  });
});

// What a mail client reads back from the message (mailparser decodes as clients do), for the text our templates
// and customers' data can hold: long lines, "=" signs, trailing blanks, every kind of line break, any script.
describe('mimeMessage', () => {
  const base = { from: 'support@example.com', to: 'ana@example.org', subject: 's', text: 't', html: '<p>t</p>' };
  const parse = (m: Parameters<typeof mimeMessage>[0]) => simpleParser(mimeMessage(m));

  it('bodies survive byte for byte: long lines, "=", trailing blanks, tabs, CRLF/LF/CR, emoji and CJK', async () => {
    const text = [`${'Lorem ipsum dolor sit amet = 1+1 '.repeat(12)}end`, 'trailing blanks   ', 'tab\tin\tline\t', '', 'Grüße 🙂 東京 Ωμέγα', '=3D literally', `${'x'.repeat(200)}`, `${'ü'.repeat(60)}`].join('\n');
    const m = await parse({ ...base, text: text.replace(/\n/g, '\r\n'), html: `<p>${text.replace(/\n/g, '\r')}</p>` });
    expect(m.text).toBe(text.replace(/\n/g, '\n'));
    expect(m.html).toBe(`<p>${text}</p>`);
  });

  it('no line of the message is longer than 76 characters, and the bodies are 7-bit', () => {
    const raw = mimeMessage({ ...base, subject: 'Ü'.repeat(120), text: `${'a'.repeat(500)} ${'é'.repeat(300)}`, html: `<p>${'b='.repeat(400)}</p>` }).toString('latin1');
    for (const line of raw.split('\r\n')) expect(line.length, line).toBeLessThanOrEqual(76);
    expect(raw).toMatch(/^[\x00-\x7f]*$/);
    expect(raw.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/); // every line break is CRLF
  });

  it('a non-ASCII subject of any length reads back whole, never cut inside a character', async () => {
    for (const subject of ['Grüße aus Zürich', '🙂'.repeat(40), `${'ab'.repeat(50)} 東京都渋谷区 ${'ç'.repeat(70)}`]) {
      expect((await parse({ ...base, subject })).subject).toBe(subject);
    }
  });

  it('further headers are carried, non-ASCII ones as encoded words; a line break in a value cannot start a new header', async () => {
    const m = await parse({ ...base, headers: { 'X-Case-Subject': 'Ölpreis', 'X-Injected': 'a\r\nBcc: evil@example.com' } });
    // mailparser leaves unknown headers encoded; decode the words as a client does.
    const words = String(m.headers.get('x-case-subject')).replace(/=\?UTF-8\?B\?([^?]*)\?=\s*/g, (_, b64: string) => Buffer.from(b64, 'base64').toString('latin1'));
    expect(Buffer.from(words, 'latin1').toString('utf8')).toBe('Ölpreis');
    expect(m.headers.get('x-injected')).toBe('a Bcc: evil@example.com');
    expect(m.bcc).toBeUndefined();
  });

  it('refuses what would make a broken or forged header: a non-ASCII address, a field name with a colon, a second From', () => {
    expect(() => mimeMessage({ ...base, to: 'ana@exämple.org' })).toThrow(/to: not a plain ASCII address/);
    expect(() => mimeMessage({ ...base, replyTo: 'a@b.c\r\nBcc: x@y.z' })).toThrow(/replyTo/);
    expect(() => mimeMessage({ ...base, headers: { 'Bad: Name': 'x' } })).toThrow(/field name/);
    expect(() => mimeMessage({ ...base, headers: { from: 'ceo@example.com' } })).toThrow(/set by the message itself/);
  });

  it('quoted-printable encodes only what it must, and a trailing blank as =20', () => {
    expect(quotedPrintable('plain text, a = sign ')).toBe('plain text, a =3D sign=20');
    expect(quotedPrintable('ü')).toBe('=C3=BC');
    expect(quotedPrintable('a'.repeat(80))).toBe(`${'a'.repeat(75)}=\r\n${'a'.repeat(5)}`);
    expect(headerValue('ASCII stays as it is', 9)).toBe('ASCII stays as it is');
  });

  it('the Date header is RFC 5322\'s', async () => {
    const raw = mimeMessage({ ...base, date: new Date('2026-12-02T16:00:14Z') }).toString();
    expect(raw).toContain('\r\nDate: Wed, 02 Dec 2026 16:00:14 +0000\r\n');
    expect((await parse({ ...base, date: new Date('2026-12-02T16:00:14Z') })).date?.toISOString()).toBe('2026-12-02T16:00:14.000Z');
  });
});
