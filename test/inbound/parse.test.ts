// Unit (no I/O but the fixture files): replies in the shapes real clients send — Gmail, Outlook, Apple Mail, iPhone in
// Japanese — become what the customer wrote: quoted history and signatures cut, HTML-only bodies made text, inline
// images and attachments listed, non-UTF-8 charsets decoded; automatic messages are told apart; an oversized
// attachment is refused with a clear reason. The fixtures are in test/fixtures/mail/.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { describe, expect, it } from 'vitest';
import { automaticMessage } from '../../functions/domain/inbound.ts';
import { DEFAULT_MAX_ATTACHMENT_BYTES, parseMail, visibleReply } from '../../functions/inbound/parse.ts';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '..', 'fixtures', 'mail', name));

describe('parseMail on real-world replies', () => {
  it('Gmail: the text part without the "On … wrote:" history, the photo listed, the Message-ID kept', async () => {
    const m = await parseMail(fixture('gmail-reply.eml'));
    expect(m.messageId).toBe('<CAH7xq9Zk2Lw+Yp1v3d0Q8hT5rW=uN4bX6mF9cJ2eA7sD1gK0oQ@mail.gmail.com>');
    expect(m.from).toBe('ana@example.org');
    expect(m.subject).toBe('Re: New reply on your case: Order arrived damaged [Case ESC-7K2M9Q]');
    expect(m.text).toBe(
      "Hi,\n\nThanks for the quick answer. The order number is 4471-2209 and I've attached the photo of the box.\nCould you send the replacement to my work address instead? It's Rua Augusta 12, Lisboa.\n\nAna",
    );
    expect(m.text).not.toMatch(/wrote:|replacement is on its way|^>/m);
    expect(m.attachments).toEqual([{ name: 'IMG_20261130_101522.jpg', type: 'image/jpeg', size: expect.any(Number), inline: false, content: expect.any(Buffer) }]);
    expect(m.attachments[0]!.content!.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8])); // a JPEG, decoded from base64
    expect(automaticMessage(m.headers, m.from, 'ana@example.org')).toBeUndefined();
  });

  it('Outlook: windows-1252 decoded (€, umlauts), the "From: / Sent:" history cut, the [cid:] placeholder gone, the inline logo listed', async () => {
    const m = await parseMail(fixture('outlook-reply.eml'));
    expect(m.from).toBe('j.mueller@example.de');
    expect(m.text).toContain('a refund of 89,00 € to the original card is fine for me');
    expect(m.text).toContain('Mit freundlichen Grüßen');
    expect(m.text).toContain('Jürgen Müller');
    expect(m.text).not.toMatch(/From:|Sent:|passed your case|\[cid:|_{10}/);
    expect(m.attachments).toEqual([{ name: 'image001.png', type: 'image/png', size: expect.any(Number), inline: true, content: expect.any(Buffer) }]);
    // X-Auto-Response-Suppress is on every Outlook message: it is not an auto-reply.
    expect(automaticMessage(m.headers, m.from, 'j.mueller@example.de')).toBeUndefined();
  });

  it('Apple Mail, HTML only in ISO-8859-1: text from the HTML, the blockquote history left out, the pasted screenshot listed inline', async () => {
    const m = await parseMail(fixture('apple-mail-html-only.eml'));
    expect(m.from).toBe('amelie@example.fr');
    expect(m.text).toBe(
      "Bonjour,\n\nle colis est arrivé ce matin, mais l'écran est fissuré à nouveau (photo ci-dessous).\nMerci de vérifier l'emballage avant le prochain envoi.\n\nAmélie",
    );
    expect(m.text).not.toMatch(/<|wrote:|open again/);
    expect(m.attachments).toEqual([
      { name: "Capture d'écran 2026-11-30 à 11.02.10.png", type: 'image/png', size: expect.any(Number), inline: true, content: expect.any(Buffer) },
    ]);
  });

  it('iPhone in Japanese (ISO-2022-JP): decoded, the quoted lines and their attribution line cut', async () => {
    const m = await parseMail(fixture('iphone-iso-2022-jp.eml'));
    expect(m.from).toBe('tanaka@example.jp');
    expect(m.text).toContain('交換品を受け取りました。問題なく動作しています。');
    expect(m.text).not.toMatch(/のメール:|田中 様|Charger not working/);
    expect(m.attachments).toEqual([]);
  });

  it('a message without a Message-ID gets one derived from its bytes: the same message, the same id', async () => {
    const raw = Buffer.from('From: ana@example.org\r\nTo: x@reply.example.com\r\nSubject: hi\r\n\r\nHello\r\n');
    const [a, b] = await Promise.all([parseMail(raw), parseMail(Buffer.from(raw))]);
    expect(a.messageId).toMatch(/^<[0-9a-f]{64}@no-message-id\.invalid>$/);
    expect(b.messageId).toBe(a.messageId);
  });
});

describe('automatic messages', () => {
  it.each([
    ['outlook-out-of-office.eml', 'ana@example.org', /Auto-Submitted: auto-replied/],
    ['bounce-mailbox-full.eml', '', /Auto-Submitted|report|mailer-daemon|bounce/i],
    ['bulk-digest.eml', 'ana@example.org', /Precedence: bulk/],
  ])('%s is automatic', async (file, envelopeFrom, reason) => {
    const m = await parseMail(fixture(file));
    expect(automaticMessage(m.headers, m.from, envelopeFrom)).toMatch(reason);
  });

  it('a delivery report without Auto-Submitted, and a bounce by its empty envelope sender, are automatic too', () => {
    expect(automaticMessage(new Map([['content-type', 'multipart/report; report-type=delivery-status']]), 'x@example.org', 'x@example.org')).toMatch(/delivery or read report/);
    expect(automaticMessage(new Map(), 'someone@example.org', '')).toMatch(/empty envelope sender/);
    expect(automaticMessage(new Map([['auto-submitted', 'no']]), 'ana@example.org', 'ana@example.org')).toBeUndefined();
  });
});

describe('attachments', () => {
  const compose = (attachments: { filename: string; content: Buffer; contentType: string }[]) =>
    new MailComposer({ from: 'ana@example.org', to: 'reply@reply.example.com', subject: 'Re: video', text: 'Here is the video of the noise.', attachments }).compile().build();

  it(`refuses an attachment over the limit (${DEFAULT_MAX_ATTACHMENT_BYTES / 1024 / 1024} MB by default) with its size and the limit, and keeps the others`, async () => {
    const big = Buffer.alloc(DEFAULT_MAX_ATTACHMENT_BYTES + 512 * 1024, 7);
    const raw = await compose([
      { filename: 'noise.mov', content: big, contentType: 'video/quicktime' },
      { filename: 'receipt.pdf', content: Buffer.from('%PDF-1.4\n%%EOF\n'), contentType: 'application/pdf' },
    ]);
    const m = await parseMail(raw);
    expect(m.text).toBe('Here is the video of the noise.');
    expect(m.attachments).toEqual([
      { name: 'noise.mov', type: 'video/quicktime', size: big.length, inline: false, refused: 'larger than the 10.0 MB limit (10.5 MB)' },
      { name: 'receipt.pdf', type: 'application/pdf', size: 15, inline: false, content: Buffer.from('%PDF-1.4\n%%EOF\n') },
    ]);
  });

  it('the limit is a parameter', async () => {
    const m = await parseMail(await compose([{ filename: 'a.bin', content: Buffer.alloc(3000), contentType: 'application/octet-stream' }]), { maxAttachmentBytes: 2048 });
    expect(m.attachments[0]).toMatchObject({ name: 'a.bin', refused: 'larger than the 2 KB limit (3 KB)' });
    expect(m.attachments[0]!.content).toBeUndefined();
  });
});

describe('visibleReply', () => {
  it('cuts "-- " signatures and "Sent from my iPhone"', () => {
    expect(visibleReply('Works now, thanks.\n\n-- \nAna Lima\nACME Lda.')).toBe('Works now, thanks.');
    expect(visibleReply('Got it.\n\nSent from my iPhone\n\n> On 30 Nov 2026, at 10:00, Escalator <support@example.com> wrote:\n>\n> We found it')).toBe('Got it.');
  });

  it('keeps a reply that is only text, and a line with a colon in the middle of it', () => {
    expect(visibleReply('The order number is: 4471-2209\nThanks')).toBe('The order number is: 4471-2209\nThanks');
  });
});
