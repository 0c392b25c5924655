// Unit (no I/O): the MIME message the SES mailer sends — text and HTML alternatives, the reply address (the case's,
// else the policy's reply-to) and the thread headers that keep a case's emails in one conversation in mail clients.
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
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
