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

// postal-mime decodes with the runtime's TextDecoder, not tables of its own: these are the charsets and MIME shapes
// where that, or postal-mime's choices, differ from mailparser's and parse.ts has to (or chooses to) do something.
describe('charsets and MIME shapes', () => {
  it('Outlook in Japanese (Shift_JIS, base64, encoded-word Subject and From name): decoded, the "差出人: / 送信日時:" history cut', async () => {
    const m = await parseMail(fixture('outlook-shift-jis.eml'));
    expect(m.from).toBe('suzuki@example.jp');
    expect(m.subject).toBe('RE: 充電器が動きません [Case ESC-3QR7ST]');
    expect(m.headers.get('from')).toContain('鈴木 一郎');
    expect(m.text).toMatch(/^佐藤様\n\nご連絡ありがとうございます。交換品の発送先は以前と同じ住所でお願いします。\n注文番号は ４４７１－２２０９ です。\n\n鈴木$/);
    expect(m.text).not.toMatch(/差出人|送信日時|交換品を手配しました/);
  });

  it('windows-1252 text labelled iso-8859-1: €, dashes and curly quotes in the body, the subject and a file name (Node 20\'s TextDecoder reads them as Latin-1)', async () => {
    const m = await parseMail(fixture('windows-1252-labelled-latin1.eml'));
    expect(m.from).toBe('j.mueller@example.de');
    expect(m.subject).toBe('AW: Erstattung – „doppelt“ abgebucht (89,00 €)');
    expect(m.text).toContain('anbei die Rechnung – der Betrag von 89,00 € wurde zweimal abgebucht („doppelt“).');
    expect(m.text).toContain('Können Sie das prüfen?');
    expect(m.text).not.toMatch(/Ursprüngliche Nachricht|Gesendet:|[\u0080-\u009f]/);
    // Sent as application/octet-stream: the type comes from the name, as the stored object is served with it.
    expect(m.attachments).toEqual([{ name: 'Rechnung_März_€.pdf', type: 'application/pdf', size: 15, inline: false, content: Buffer.from('%PDF-1.4\n%%EOF\n') }]);
  });

  it('a Subject in ISO-2022-JP encoded words folded over two lines: decoded and joined', async () => {
    const raw = Buffer.from('From: tanaka@example.jp\r\nTo: x@reply.example.com\r\nMessage-ID: <j1@example.jp>\r\nSubject: Re: =?ISO-2022-JP?B?GyRCRURDZhsoQg==?=\r\n =?ISO-2022-JP?B?GyRCTU0bKEI=?=\r\n\r\nok\r\n');
    expect((await parseMail(raw)).subject).toBe('Re: 田中様');
  });

  it('HTML only, in UTF-8 (Gmail\'s shape): text from the HTML, entities decoded, the gmail_quote history left out', async () => {
    const raw = await new MailComposer({
      from: 'Ana Lima <ana@example.org>',
      to: 'reply@reply.example.com',
      subject: 'Re: Überprüfung ✓',
      html: '<div dir="ltr"><p>Thanks &amp; see you — Ana</p><div class="gmail_quote"><p>On Mon, 30 Nov 2026 at 10:00, Escalator wrote:</p><blockquote class="gmail_quote">The replacement is on its way.</blockquote></div></div>',
    }).compile().build();
    const m = await parseMail(raw);
    expect(m.subject).toBe('Re: Überprüfung ✓');
    expect(m.text).toBe('Thanks & see you — Ana');
  });

  it('a forwarded message (message/rfc822, no Content-Disposition) is an attachment, not part of what the sender wrote', async () => {
    const m = await parseMail(fixture('forwarded-message.eml'));
    expect(m.text).toBe("Here is the shop's shipping confirmation you asked for.\n\nAna");
    expect(m.attachments).toEqual([{ name: 'attachment-1', type: 'message/rfc822', size: expect.any(Number), inline: false, content: expect.any(Buffer) }]);
    expect(m.attachments[0]!.content!.toString()).toMatch(/^From: Shop <orders@shop\.example\.com>\r?\n[\s\S]*tracking number 1Z999AA10123456784/);
  });

  it('headers: a Message-ID without angle brackets gets them (the same idempotency key as before), an empty X-Autoreply is no auto-reply, a From whose first entry is an empty group still names the sender', async () => {
    const raw = Buffer.from('From: undisclosed-recipients:;, "Lima, Ana" <ana@example.org>\r\nTo: x@reply.example.com\r\nMessage-ID: m2@example.org\r\nX-Autoreply:\r\nSubject: hi\r\n\r\nHello\r\n');
    const m = await parseMail(raw);
    expect(m.messageId).toBe('<m2@example.org>');
    expect(m.from).toBe('ana@example.org');
    expect(automaticMessage(m.headers, m.from, 'ana@example.org')).toBeUndefined();
  });

  it('a repeated header: the first one counts, in the headers as in From and Subject (postal-mime reads a body\'s Content-Type so)', async () => {
    const raw = Buffer.from('From: ana@example.org\r\nFrom: other@example.org\r\nSubject: one\r\nSubject: two\r\nPrecedence: bulk\r\nPrecedence: first-class\r\nTo: x@reply.example.com\r\n\r\nHello\r\n');
    const m = await parseMail(raw);
    expect([m.from, m.subject, m.headers.get('subject')]).toEqual(['ana@example.org', 'one', 'one']);
    expect(automaticMessage(m.headers, m.from, 'ana@example.org')).toBe('Precedence: bulk');
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
