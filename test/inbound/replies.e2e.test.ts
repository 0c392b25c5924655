// Customers answer by email, end to end on the local stack over SMTP: the reply address the customer's email carries
// leads back to the case; the reply lands on the timeline without the quoted history, with its attachment kept; a
// paused case resumes, a resolved one reopens, a closed one gets a new linked case; a stranger's mail, a forged
// address, an auto-reply and a second delivery of the same message change nothing on the case (and ops see why).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { eventually, newCaseBody, policyFile, startTestStack, TestApi, uniformBudgets } from '../support/stack.ts';
import { timeline, type Ev } from '../notifications/email-support.ts';

let stack: LocalStack;
let api: TestApi;

beforeAll(async () => {
  // Hour-long budgets: nothing but the replies moves the cases while the tests run.
  const policyPath = policyFile({ budgets: uniformBudgets(3600), closeBy: 'P30D', followUpAfter: 'P3D', warnAt: null, reopenWithin: 'P7D' });
  ({ stack, api } = await startTestStack({ policyPath }));
});
afterAll(async () => {
  await stack?.stop();
});

let seq = 0;
/** A case for a customer of its own, and the reply address its acknowledgement carries. */
async function caseWithReplyAddress(email = `cust-${Date.now()}-${++seq}@example.org`) {
  const created = await api.post('/cases', newCaseBody({ customer: { id: `c-${seq}-${Date.now()}`, email, name: 'Ana Lima', tier: 'standard' } }));
  expect(created.status).toBe(201);
  const c = created.body as { id: string; reference: string; version: number };
  const ack = await eventually(async () => (await api.emails()).find((m) => m.destination.to.includes(email) && m.subject.includes(c.reference)));
  const replyTo = (ack as unknown as { replyTo: string[] }).replyTo[0]!;
  return { ...c, email, replyTo };
}

/** Deliver a message to the local SMTP server as a mail server would (envelope and raw bytes). */
async function smtp(message: Buffer | Promise<Buffer>, from: string, to: string) {
  const raw = await message;
  const transport = createTransport({ host: '127.0.0.1', port: stack.ports.smtp, secure: false, ignoreTLS: true });
  try {
    const info = await transport.sendMail({ envelope: { from, to: [to] }, raw });
    expect(info.accepted).toEqual([to]);
  } finally {
    transport.close();
  }
  await stack.drained(); // the emails the change owes follow from the stream
}

function reply(o: { from: string; to: string; text: string; messageId?: string; headers?: Record<string, string>; attachments?: { filename: string; content: Buffer; contentType: string }[] }) {
  return new MailComposer({
    from: o.from,
    to: o.to,
    subject: 'Re: New reply on your case',
    text: o.text,
    messageId: o.messageId ?? `<${Date.now()}-${++seq}@example.org>`,
    headers: o.headers ?? {},
    attachments: o.attachments ?? [],
  })
    .compile()
    .build();
}

const QUOTED = '\n\nOn Mon, 30 Nov 2026 at 10:04, Escalator Demo Co. <support@example.com> wrote:\n> We found your order.\n> Kind regards';
const caseOf = async (id: string) => (await api.get(`/cases/${id}`)).body as { status: string; version: number; reopenCount: number; linkedFrom?: { caseId: string } };
const customerEvents = (events: Ev[]) => events.filter((e) => e.actor.kind === 'customer');

describe('replies by email', () => {
  it('every customer email carries the case\'s signed reply address; the reply lands on the timeline as the customer\'s public comment without the quoted text, its attachment kept, the managers told', async () => {
    const c = await caseWithReplyAddress('ana@example.org');
    expect(c.replyTo).toMatch(new RegExp(`^reply\\+${c.reference}\\.[0-9a-f]{20}@${stack.inboundDomain.replace(/\./g, '\\.')}$`));

    // A real Gmail reply (the fixture) with the photo attached, sent to the address the acknowledgement named.
    const gmail = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'mail', 'gmail-reply.eml'));
    await smtp(gmail, 'ana@example.org', c.replyTo);

    const events = await timeline(api, c.id);
    const [landed, ...more] = customerEvents(events);
    expect(more).toEqual([]);
    expect(landed).toMatchObject({ type: 'commented', actor: { kind: 'customer', id: 'ana@example.org' }, data: { visibility: 'public', source: 'email' } });
    expect(landed!.summary).toContain('The order number is 4471-2209');
    expect(landed!.summary).not.toMatch(/wrote:|replacement is on its way/);
    const [photo] = landed!.data!['attachments'] as { name: string; type: string; size: number; storedAs: string }[];
    expect(photo).toMatchObject({ name: 'IMG_20261130_101522.jpg', type: 'image/jpeg', size: expect.any(Number) });
    expect(existsSync(photo!.storedAs)).toBe(true);
    expect(photo!.storedAs.startsWith(stack.mailDir)).toBe(true);

    // The people handling it are told (managers of its level and department); the customer gets no echo of their own words.
    const emailed = events.filter((e) => e.type.startsWith('email.') && e.data?.['forEvent'] === landed!.id);
    expect(emailed.length).toBeGreaterThan(0);
    for (const e of emailed) expect(e.data).toMatchObject({ template: 'customer-reply', audience: 'internal' });
    expect(emailed.every((e) => e.type === 'email.sent')).toBe(true);
    const alert = (await api.emails()).find((m) => m.subject.includes(`Case ${c.reference}: the customer replied`));
    expect(alert?.body.text).toContain('The order number is 4471-2209');
    expect(alert?.body.text).toContain('IMG_20261130_101522.jpg');
  });

  it('a reply to a PAUSED case resumes it (the SLA clock restarts)', async () => {
    const c = await caseWithReplyAddress();
    const paused = (await api.post(`/cases/${c.id}/pause`, { reason: 'Waiting for the order number' })).body as { sla: { levelDueAt: string; pausedAt?: string } };
    expect(paused.sla.pausedAt).toEqual(expect.any(String));
    await smtp(reply({ from: c.email, to: c.replyTo, text: `The order number is 88-1234.${QUOTED}` }), c.email, c.replyTo);
    const resumed = (await api.get(`/cases/${c.id}`)).body as { status: string; sla: { levelDueAt: string; pausedAt?: string } };
    expect(resumed.status).toBe('OPEN');
    // The clock runs again with the time that was left: the level's deadline moved later by the pause.
    expect(resumed.sla.pausedAt).toBeUndefined();
    expect(Date.parse(resumed.sla.levelDueAt)).toBeGreaterThan(Date.parse(paused.sla.levelDueAt));
    const events = await timeline(api, c.id);
    expect(events.filter((e) => !e.type.startsWith('email.')).slice(-2).map((e) => [e.type, e.actor.kind])).toEqual([
      ['resumed', 'customer'],
      ['commented', 'customer'],
    ]);
    expect(customerEvents(events).at(-1)!.summary).toBe('The order number is 88-1234.');
  });

  it('a reply to a RESOLVED case (within reopenWithin) reopens it', async () => {
    const c = await caseWithReplyAddress();
    expect((await api.post(`/cases/${c.id}/resolve`, { resolution: 'A replacement shipped.' })).status).toBe(200);
    await smtp(reply({ from: c.email, to: c.replyTo, text: `The replacement is broken too.${QUOTED}` }), c.email, c.replyTo);
    expect(await caseOf(c.id)).toMatchObject({ status: 'OPEN', reopenCount: 1 });
    const types = (await timeline(api, c.id)).filter((e) => !e.type.startsWith('email.')).map((e) => e.type);
    expect(types.slice(-2)).toEqual(['reopened', 'commented']);
  });

  it('a reply to a CLOSED case opens a new case linked to it, and the closed one says so', async () => {
    const c = await caseWithReplyAddress();
    expect((await api.post(`/cases/${c.id}/resolve`, { resolution: 'Refunded.' })).status).toBe(200);
    expect((await api.post(`/cases/${c.id}/close`, {})).status).toBe(200);
    await smtp(reply({ from: c.email, to: c.replyTo, text: `The refund never arrived.${QUOTED}` }), c.email, c.replyTo);

    expect((await caseOf(c.id)).status).toBe('CLOSED');
    const note = (await timeline(api, c.id)).find((e) => e.type === 'linked-case.opened');
    expect(note?.data?.['caseId']).toEqual(expect.any(String));
    const linked = (await api.get(`/cases/${note!.data!['caseId'] as string}`)).body as { status: string; description: string; linkedFrom: unknown; customer: { email: string } };
    expect(linked).toMatchObject({ status: 'OPEN', description: 'The refund never arrived.', linkedFrom: { caseId: c.id, reference: c.reference }, customer: { email: c.email } });
    // The new case is a case like any other: the customer is acknowledged, under its own reference.
    const newRef = (linked as unknown as { reference: string }).reference;
    await eventually(async () => (await api.emails()).some((m) => m.destination.to.includes(c.email) && m.subject.includes(newRef)));
    // …and the people handling it read the reply.
    const alert = await eventually(async () => (await api.emails()).find((m) => m.subject.includes(`Case ${newRef}: the customer replied`)));
    expect(alert.body.text).toContain('The refund never arrived.');
    expect(alert.body.text).toContain(c.reference);
  });
});

describe('what never lands', () => {
  /** The case as its timeline and version show it: nothing that follows may change either. */
  const snapshot = async (id: string) => ({ version: (await caseOf(id)).version, events: (await timeline(api, id)).filter((e) => !e.type.startsWith('email.')).map((e) => e.id) });
  const quarantined = async () => ((await api.get('/inbound/quarantine?limit=100')).body as { items: { messageId: string; reason: string; detail: string; caseId?: string }[] }).items;

  it('a stranger\'s mail to the case\'s address changes nothing on the case and is kept aside for ops, with why', async () => {
    const c = await caseWithReplyAddress();
    const before = await snapshot(c.id);
    const messageId = `<stranger-${Date.now()}@example.net>`;
    await smtp(reply({ from: 'mallory@example.net', to: c.replyTo, text: 'Please send the refund to my account instead.', messageId }), 'mallory@example.net', c.replyTo);
    expect(await snapshot(c.id)).toEqual(before);
    expect((await quarantined()).find((q) => q.messageId === messageId)).toMatchObject({ reason: 'not-the-customer', caseId: c.id, detail: expect.stringContaining('mallory@example.net') });
    // Ops only: the list needs cases/manage.
    expect((await api.get('/inbound/quarantine', { token: await api.token('cases/read cases/write') })).status).toBe(403);
  });

  it('a forged reply address (another signature) and an auto-reply change nothing', async () => {
    const c = await caseWithReplyAddress();
    const before = await snapshot(c.id);
    const forged = c.replyTo.replace(/\.[0-9a-f]{20}@/, '.0123456789abcdef0123@');
    const forgedId = `<forged-${Date.now()}@example.org>`;
    await smtp(reply({ from: c.email, to: forged, text: 'Close my case.', messageId: forgedId }), c.email, forged);
    const oooId = `<ooo-${Date.now()}@example.org>`;
    await smtp(reply({ from: c.email, to: c.replyTo, text: 'I am out of the office until Monday.', messageId: oooId, headers: { 'Auto-Submitted': 'auto-replied' } }), c.email, c.replyTo);
    expect(await snapshot(c.id)).toEqual(before);
    const q = await quarantined();
    expect(q.find((x) => x.messageId === forgedId)?.reason).toBe('unknown-address');
    expect(q.find((x) => x.messageId === oooId)?.reason).toBe('auto-reply');
  });

  it('a second delivery of the same message (Message-ID) changes nothing', async () => {
    const c = await caseWithReplyAddress();
    const raw = await reply({ from: c.email, to: c.replyTo, text: 'Adding the serial number: SN-99812.', messageId: `<once-${Date.now()}@example.org>` });
    await smtp(raw, c.email, c.replyTo);
    const after = await snapshot(c.id);
    await smtp(raw, c.email, c.replyTo);
    expect(await snapshot(c.id)).toEqual(after);
    expect(customerEvents(await timeline(api, c.id)).filter((e) => e.summary === 'Adding the serial number: SN-99812.')).toHaveLength(1);
  });

  it('mail for another domain is refused at RCPT TO, as SES refuses a domain it has no rule for', async () => {
    const transport = createTransport({ host: '127.0.0.1', port: stack.ports.smtp, secure: false, ignoreTLS: true });
    try {
      await expect(transport.sendMail({ envelope: { from: 'a@example.org', to: ['someone@elsewhere.example'] }, raw: 'Subject: hi\r\n\r\nhello\r\n' })).rejects.toThrow(/550/);
    } finally {
      transport.close();
    }
  });
});
