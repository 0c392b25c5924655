// The inbound use case against in-memory ports: a customer's reply lands on the case in one change by its state
// (comment, resume, reopen, or a linked new case), keyed by its Message-ID so a second delivery changes nothing; what
// must not land (strangers, forged addresses, automatic messages, failed verdicts) is kept aside once, with why.
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { caseUseCases } from '../../functions/app/cases.ts';
import { inboundUseCases, INBOUND_CLIENT, type ReceivedMail } from '../../functions/app/inbound.ts';
import { replyAddress, verifyReplyAddress } from '../../functions/commons/signed-links.ts';
import { CreateCaseInput, pause, resolve, close } from '../../functions/domain/operations.ts';
import type { CaseRecord } from '../../functions/domain/model.ts';
import { agent, at, DAY, T0, testPolicy } from '../support/domain-fixtures.ts';
import { FakeCaseStore, FakeInboundStore, FakeMailStore } from '../support/fakes.ts';

const KEY = 'k'.repeat(40);
const DOMAIN = 'reply.example.com';
const policy = testPolicy({
  reopenWithin: 'P7D',
  departments: { support: { managers: { L0: ['support-leads@example.com'] } }, billing: {} },
});
const CASE_ID = '01JD0000000000000000000000';
const input = CreateCaseInput.parse({ customer: { id: 'c-1', email: 'Ana@Example.org', name: 'Ana' }, subject: 'Broken blender', description: 'It broke.' });

let store: FakeCaseStore;
let inboundStore: FakeInboundStore;
let mail: FakeMailStore;
let now: Date;
let n = 0;

function setup() {
  store = new FakeCaseStore();
  inboundStore = new FakeInboundStore(store);
  mail = new FakeMailStore();
  now = T0;
  const cases = caseUseCases({ store, policy: () => policy, now: () => now });
  const inbound = inboundUseCases({
    cases,
    store,
    inbound: inboundStore,
    mail,
    policy: () => policy,
    replyReference: async (a) => verifyReplyAddress(a, DOMAIN, KEY),
    maxAttachmentBytes: 1024,
    now: () => now,
  });
  return { cases, inbound };
}

let u: ReturnType<typeof setup>;
let theCase: CaseRecord;
beforeEach(async () => {
  u = setup();
  theCase = (await u.cases.createCase(CASE_ID, input, agent)).case!;
});

/** Deliver a message as SES would: stored raw, then the event. */
async function deliver(o: { from?: string; to?: string; messageId?: string; text?: string; headers?: Record<string, string>; attachments?: { filename: string; content: Buffer; contentType: string }[]; verdicts?: Partial<ReceivedMail['verdicts']>; envelopeFrom?: string } = {}) {
  const to = o.to ?? replyAddress(theCase.reference!, DOMAIN, KEY);
  const raw = await new MailComposer({
    from: o.from ?? 'ana@example.org',
    to,
    subject: `Re: Update on your case [Case ${theCase.reference}]`,
    text: o.text ?? 'It still makes the noise.\n\nOn Mon, 2 Mar 2026 at 09:00, Support <support@example.com> wrote:\n> We are on it.',
    messageId: o.messageId ?? `<m-${++n}@example.org>`,
    headers: o.headers ?? {},
    attachments: o.attachments ?? [],
  })
    .compile()
    .build();
  const rawKey = `raw/ses-${++n}`;
  mail.raws.set(rawKey, raw);
  return u.inbound.receive({
    rawKey,
    receivedAt: now.toISOString(),
    envelopeFrom: o.envelopeFrom ?? o.from ?? 'ana@example.org',
    recipients: [to],
    verdicts: { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', spam: 'PASS', virus: 'PASS', ...o.verdicts },
  });
}

const eventsOf = (id: string) => store.events.get(id) ?? [];

describe('a reply from the case\'s customer', () => {
  it('lands on an OPEN case as one public comment by the customer, without the quoted text; the managers are told, the customer is not', async () => {
    const commits = store.commits;
    const outcome = await deliver();
    expect(outcome).toMatchObject({ outcome: 'landed', caseId: CASE_ID, action: 'comment' });
    expect(store.commits).toBe(commits + 1);
    const e = eventsOf(CASE_ID).at(-1)!;
    expect(e).toMatchObject({ type: 'commented', actor: { kind: 'customer', id: 'ana@example.org' }, summary: 'It still makes the noise.', data: { visibility: 'public', source: 'email' } });
    const owed = [...store.emails.values()].filter((m) => m.eventId === e.id);
    expect(owed.map((m) => [m.template, m.to, m.audience])).toEqual([['customer-reply', 'support-leads@example.com', 'internal']]);
  });

  it('resumes a PAUSED case in the same change as the comment', async () => {
    await u.cases.changeCase(CASE_ID, (c, ctx) => pause(c, {}, ctx), { actor: agent });
    now = at(3_600_000);
    const commits = store.commits;
    expect(await deliver()).toMatchObject({ outcome: 'landed', action: 'resume' });
    expect(store.commits).toBe(commits + 1);
    expect((await store.get(CASE_ID))!.status).toBe('OPEN');
    expect(eventsOf(CASE_ID).slice(-2).map((e) => e.type)).toEqual(['resumed', 'commented']);
  });

  it('reopens a RESOLVED case within reopenWithin; after it, opens a new linked case and notes it on the old one', async () => {
    await u.cases.changeCase(CASE_ID, (c, ctx) => resolve(c, { resolution: 'Replaced.' }, ctx), { actor: agent });
    now = at(6 * DAY);
    expect(await deliver()).toMatchObject({ outcome: 'landed', action: 'reopen' });
    expect((await store.get(CASE_ID))!).toMatchObject({ status: 'OPEN', reopenCount: 1 });
    expect(eventsOf(CASE_ID).slice(-2).map((e) => e.type)).toEqual(['reopened', 'commented']);

    await u.cases.changeCase(CASE_ID, (c, ctx) => resolve(c, { resolution: 'Replaced again.' }, ctx), { actor: agent });
    now = at(14 * DAY);
    const outcome = await deliver({ text: 'The second one broke too.' });
    expect(outcome).toMatchObject({ outcome: 'new-case', linkedFrom: CASE_ID });
    const newId = (outcome as { caseId: string }).caseId;
    const fresh = (await store.get(newId))!;
    expect(fresh).toMatchObject({ status: 'OPEN', description: 'The second one broke too.', subject: theCase.subject, linkedFrom: { caseId: CASE_ID, reference: theCase.reference } });
    expect(fresh.customer.email).toBe(theCase.customer.email);
    // The customer is acknowledged under the new reference; the people handling it read the reply.
    expect([...store.emails.values()].filter((m) => m.caseId === newId).map((m) => [m.template, m.to.toLowerCase()])).toEqual([
      ['acknowledgement', 'ana@example.org'],
      ['customer-reply', 'support-leads@example.com'],
    ]);
    expect((await store.get(CASE_ID))!.status).toBe('RESOLVED'); // the old case is not reopened
    expect(eventsOf(CASE_ID).at(-1)).toMatchObject({ type: 'linked-case.opened', data: { caseId: newId } });
  });

  it('opens a new linked case for a CLOSED case', async () => {
    await u.cases.changeCase(CASE_ID, (c, ctx) => close(resolve(c, { resolution: 'Done.' }, ctx), {}, ctx), { actor: agent });
    const outcome = await deliver();
    expect(outcome).toMatchObject({ outcome: 'new-case', linkedFrom: CASE_ID });
    expect(store.cases.size).toBe(2);
    expect((await store.get(CASE_ID))!.status).toBe('CLOSED');
  });

  it('a second delivery of the same Message-ID changes nothing, whatever happened to the first', async () => {
    await deliver({ messageId: '<same@example.org>' });
    const commits = store.commits;
    expect(await deliver({ messageId: '<same@example.org>' })).toEqual({ outcome: 'duplicate', messageId: '<same@example.org>' });
    expect(store.commits).toBe(commits);
    // …also for a closed case: one linked case, not two.
    await u.cases.changeCase(CASE_ID, (c, ctx) => close(resolve(c, { resolution: 'Done.' }, ctx), {}, ctx), { actor: agent });
    await deliver({ messageId: '<late@example.org>' });
    const cases = store.cases.size;
    expect(await deliver({ messageId: '<late@example.org>' })).toMatchObject({ outcome: 'duplicate' });
    expect(store.cases.size).toBe(cases);
  });

  it('keeps attachments under keys of the message, and lists a too large one as refused', async () => {
    await deliver({
      attachments: [
        { filename: 'photo.jpg', content: Buffer.alloc(200, 1), contentType: 'image/jpeg' },
        { filename: '../../etc/big.mov', content: Buffer.alloc(5000, 2), contentType: 'video/quicktime' },
      ],
    });
    const listed = eventsOf(CASE_ID).at(-1)!.data!['attachments'] as Record<string, unknown>[];
    expect(listed).toEqual([
      { name: 'photo.jpg', type: 'image/jpeg', size: 200, inline: false, storedAs: expect.stringMatching(/^mem:\/\/attachments\/[0-9a-f]{64}\/1-photo\.jpg$/) },
      { name: '../../etc/big.mov', type: 'video/quicktime', size: 5000, inline: false, refused: 'larger than the 1 KB limit (5 KB)' },
    ]);
    expect([...mail.attachments.keys()]).toHaveLength(1);
  });
});

describe('what never lands', () => {
  const expectNothingOnTheCase = async (before: number) => {
    expect(store.commits).toBe(before);
    expect(eventsOf(CASE_ID).map((e) => e.type)).toEqual(['created']);
  };

  it.each([
    ['a stranger', { from: 'mallory@example.net' }, 'not-the-customer'],
    ['a forged reply address', { to: `reply+ESC-000000.0123456789abcdef0123@${DOMAIN}` }, 'unknown-address'],
    ['an address of another domain', { to: 'reply@elsewhere.example' }, 'unknown-address'],
    ['an out-of-office', { headers: { 'Auto-Submitted': 'auto-replied' } }, 'auto-reply'],
    ['a list mail', { headers: { Precedence: 'bulk' } }, 'auto-reply'],
    ['a bounce (empty envelope sender)', { envelopeFrom: '' }, 'auto-reply'],
    ['a message failing DKIM', { verdicts: { dkim: 'FAIL' } }, 'verdict'],
    ['a message with a virus', { verdicts: { virus: 'FAIL' } }, 'verdict'],
  ] as const)('%s is kept aside with why, once', async (_what, o, reason) => {
    const before = store.commits;
    const outcome = await deliver({ ...o, messageId: '<aside@example.org>' });
    expect(outcome).toMatchObject({ outcome: 'quarantined', reason });
    await expectNothingOnTheCase(before);
    expect(inboundStore.kept).toEqual([expect.objectContaining({ messageId: '<aside@example.org>', reason, detail: expect.any(String), rawKey: expect.stringMatching(/^raw\//) })]);
    // A second delivery: still one record.
    expect(await deliver({ ...o, messageId: '<aside@example.org>' })).toMatchObject({ outcome: 'duplicate' });
    expect(inboundStore.kept).toHaveLength(1);
    expect(await store.getIdempotency(INBOUND_CLIENT, inboundStore.kept[0]!.id)).toBeDefined();
  });

  it('GRAY verdicts (no SPF record, no DKIM signature) do not refuse the customer\'s reply', async () => {
    expect(await deliver({ verdicts: { spf: 'GRAY', dkim: 'GRAY', dmarc: 'GRAY' } })).toMatchObject({ outcome: 'landed' });
  });
});

describe('reply addresses', () => {
  it('name the case, survive a change of case, and refuse any other signature, reference or domain', () => {
    const a = replyAddress('ESC-7K2M9Q', DOMAIN, KEY);
    expect(a).toMatch(/^reply\+ESC-7K2M9Q\.[0-9a-f]{20}@reply\.example\.com$/);
    expect(a.split('@')[0]!.length).toBeLessThanOrEqual(64);
    expect(verifyReplyAddress(a, DOMAIN, KEY)).toBe('ESC-7K2M9Q');
    expect(verifyReplyAddress(a.toLowerCase(), DOMAIN, KEY)).toBe('ESC-7K2M9Q');
    expect(verifyReplyAddress(a.toUpperCase(), DOMAIN, KEY)).toBe('ESC-7K2M9Q');
    expect(verifyReplyAddress(a.replace('ESC-7K2M9Q', 'ESC-7K2M9R'), DOMAIN, KEY)).toBeUndefined();
    expect(verifyReplyAddress(a, DOMAIN, 'x'.repeat(40))).toBeUndefined();
    expect(verifyReplyAddress(a.replace(DOMAIN, 'evil.example'), DOMAIN, KEY)).toBeUndefined();
    expect(verifyReplyAddress(`support@${DOMAIN}`, DOMAIN, KEY)).toBeUndefined();
  });
});
