// Test support for the email end-to-end tests: the expected emails of a timeline (the notification rules written
// out independently of the code under test), the email records on a case's timeline, the SES store of one case,
// and an "SES gate": a tiny HTTP server in front of the local SES that can answer SendEmail with SES errors.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { simpleParser } from 'mailparser';
import type { Policy } from '../../functions/domain/policy.ts';
import type { SentEmail, TestApi } from '../support/stack.ts';

export interface Ev {
  id: string;
  at: string;
  type: string;
  summary?: string;
  actor: { kind: string; id: string };
  changes?: Record<string, { before: unknown; after: unknown }>;
  data?: Record<string, unknown>;
}

/** One email record as the timeline shows it (`email.sent`, `email.failed`, …). */
export interface EmailEv {
  type: string;
  template: string;
  to: string;
  audience: string;
  forEvent: string;
  messageId?: string;
  summary: string;
}

export interface Owed {
  template: string;
  to: string;
  forEvent: string;
}

/** Managers for every level of a department (two at L2, to show one email per recipient). */
export const managers = (dept: string) => ({
  L0: [`${dept}-l0@example.com`],
  L1: [`${dept}-l1@example.com`],
  L2: [`${dept}-l2@example.com`, `${dept}-l2-deputy@example.com`],
  L3: [`${dept}-l3@example.com`],
});

export const SUBJECT: Record<string, RegExp> = {
  acknowledgement: /^We've received your request: /,
  'status-update': /^(Update on your case|Your case is open again): /,
  'public-comment': /^New reply on your case: /,
  resolution: /^Resolved: /,
  'overdue-apology': /^We're sorry this is taking longer than promised: /,
  'follow-up': /^How did we do\? /,
  'escalation-alert': /^\[P\d L\d\] Case [\w-]+ (escalated|transferred|reopened)/,
  'breach-warning': /^\[P\d L\d\] Case [\w-]+ has used \d+% of its L\d time budget/,
  'breach-alert': /^\[P\d L\d\] Case [\w-]+ breached its SLA/,
  'overdue-alert': /^\[P\d L\d\] Case [\w-]+ is overdue/,
};

export function managersOf(policy: Policy, level: string, department: string): string[] {
  const own = policy.departments[department]?.managers as Record<string, string[]> | undefined;
  const all = policy.notifications.managers as Record<string, string[]>;
  return [...new Set((own?.[level] ?? all[level] ?? []).map((a) => a.toLowerCase()))];
}

/**
 * The emails a case's timeline owes, by the rules of issue 4: the customer gets the acknowledgement, a status update
 * when the case moves (escalated, transferred, reopened), public replies, the resolution, the overdue apology and the
 * survey; managers of the level/department the case is in after the event get escalation alerts, the pre-breach
 * warning, the breach alert and the overdue alert. Internal notes owe nothing.
 */
export function owedEmails(events: Ev[], policy: Policy, customer: string): Owed[] {
  const owed: Owed[] = [];
  let level = '';
  let department = '';
  let rated = false;
  const toCustomer = (e: Ev, template: string) => owed.push({ template, to: customer.toLowerCase(), forEvent: e.id });
  const toManagers = (e: Ev, template: string) => {
    for (const to of managersOf(policy, level, department)) owed.push({ template, to, forEvent: e.id });
  };
  for (const e of events.filter((x) => !x.type.startsWith('email.'))) {
    const lvl = e.changes?.['level']?.after;
    const dept = e.changes?.['department']?.after;
    if (typeof lvl === 'string') level = lvl;
    if (typeof dept === 'string') department = dept;
    switch (e.type) {
      case 'created':
        level = String(e.data?.['level']);
        department = String(e.data?.['department']);
        toCustomer(e, 'acknowledgement');
        break;
      case 'escalated':
      case 'transferred':
      case 'reopened':
        toCustomer(e, 'status-update');
        toManagers(e, 'escalation-alert');
        break;
      case 'commented':
        if (e.data?.['visibility'] === 'public') toCustomer(e, 'public-comment');
        break;
      case 'resolved':
        toCustomer(e, 'resolution');
        break;
      case 'sla.warning':
        toManagers(e, 'breach-warning');
        break;
      case 'sla.breached':
        toManagers(e, 'breach-alert');
        break;
      case 'sla.overdue':
        toCustomer(e, 'overdue-apology');
        toManagers(e, 'overdue-alert');
        break;
      case 'feedback.received':
        rated = true;
        break;
      case 'followed-up':
        if (!rated) toCustomer(e, 'follow-up');
        break;
    }
  }
  return owed;
}

export const ownKey = (o: { template: string; to: string; forEvent: string }) => `${o.forEvent}/${o.template}/${o.to.toLowerCase()}`;

export async function timeline(api: TestApi, id: string): Promise<Ev[]> {
  const r = await api.get(`/cases/${id}/timeline`);
  if (r.status !== 200) throw new Error(`timeline ${r.status}: ${r.text}`);
  return r.body.events as Ev[];
}

export function emailEvents(events: Ev[]): EmailEv[] {
  return events
    .filter((e) => e.type.startsWith('email.'))
    .map((e) => ({
      type: e.type,
      template: String(e.data?.['template']),
      to: String(e.data?.['to']).toLowerCase(),
      audience: String(e.data?.['audience']),
      forEvent: String(e.data?.['forEvent']),
      ...(typeof e.data?.['messageId'] === 'string' ? { messageId: e.data['messageId'] as string } : {}),
      summary: e.summary ?? '',
    }));
}

/** The emails in the SES store that belong to a case (every subject names the case's short reference). */
export async function storeEmailsOf(api: TestApi, id: string): Promise<SentEmail[]> {
  const reference = (await api.get<{ reference: string }>(`/cases/${id}`)).body.reference;
  if (!reference) throw new Error(`case ${id} has no reference`);
  return (await api.emails()).filter((m) => m.subject.includes(`[Case ${reference}]`) || m.subject.includes(`Case ${reference} `) || m.subject.includes(`case ${reference}`));
}

/** Everything owed is settled: no email is still queued or being sent, and every owed email has a record. */
export async function settledTimeline(api: TestApi, id: string, policy: Policy, customer: string, until?: (events: Ev[]) => boolean): Promise<Ev[] | undefined> {
  const events = await timeline(api, id);
  if (until && !until(events)) return undefined;
  const records = emailEvents(events);
  if (records.some((r) => r.type === 'email.sending' || r.type === 'email.queued')) return undefined;
  const have = new Set(records.map(ownKey));
  if (!owedEmails(events, policy, customer).every((o) => have.has(ownKey(o)))) return undefined;
  return events;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------------------------
// SES gate

export type Fault = 'reject' | 'throttle' | '429' | '503' | 'hang';

export interface SesGate {
  url: string;
  /**
   * Every send seen (form fields), in order. A SendRawEmail's message is read into the fields a SendEmail names the
   * same things by (Destination.ToAddresses.member.1, Message.Subject.Data, ReplyToAddresses.member.1), plus its
   * threading headers (Header.In-Reply-To, Header.References, Header.Message-ID).
   */
  requests: Record<string, string>[];
  /** Answer the next `times` SendEmail requests to `to` with `fault` ('hang': never answer). */
  fail(to: string, fault: Fault, times: number): void;
  /** Forget the faults still programmed for `to`. */
  heal(to: string): void;
  sendsTo(to: string): number;
  close(): Promise<void>;
}

const FAULTS: Record<Exclude<Fault, 'hang'>, { status: number; type: string; code: string; message: string }> = {
  reject: { status: 400, type: 'Sender', code: 'MessageRejected', message: 'Email address is not verified. The following identities failed the check in region US-EAST-1: customer' },
  throttle: { status: 400, type: 'Sender', code: 'Throttling', message: 'Maximum sending rate exceeded.' },
  '429': { status: 429, type: 'Sender', code: 'TooManyRequests', message: 'Too many requests' },
  '503': { status: 503, type: 'Receiver', code: 'ServiceUnavailable', message: 'Service is unavailable' },
};

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function sendEmailFields(form: Record<string, string>): Promise<Record<string, string>> {
  const m = await simpleParser(Buffer.from(form['RawMessage.Data'] ?? '', 'base64'));
  const header = (name: string) => {
    const v = m.headers.get(name);
    return typeof v === 'string' ? v : '';
  };
  return {
    'Destination.ToAddresses.member.1': form['Destinations.member.1'] ?? '',
    'Message.Subject.Data': m.subject ?? '',
    ...(m.replyTo ? { 'ReplyToAddresses.member.1': m.replyTo.value[0]?.address ?? '' } : {}),
    'Header.Message-ID': m.messageId ?? '',
    'Header.In-Reply-To': header('in-reply-to'),
    'Header.References': Array.isArray(m.references) ? m.references.join(' ') : (m.references ?? ''),
  };
}

/** An HTTP server that speaks for SES: programmed faults in SES's query-protocol XML, everything else forwarded. */
export async function startSesGate(upstream: () => string): Promise<SesGate> {
  const requests: Record<string, string>[] = [];
  const faults: { to: string; fault: Fault; left: number }[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const text = await body(req);
      const form = Object.fromEntries(new URLSearchParams(text));
      if (form['Action'] === 'SendRawEmail') Object.assign(form, await sendEmailFields(form));
      if (form['Action'] === 'SendEmail' || form['Action'] === 'SendRawEmail') {
        requests.push(form);
        const to = (form['Destination.ToAddresses.member.1'] ?? '').toLowerCase();
        const f = faults.find((x) => x.to === to && x.left > 0);
        if (f) {
          f.left--;
          if (f.fault === 'hang') return;
          const { status, type, code, message } = FAULTS[f.fault];
          res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': `gate-${requests.length}` });
          res.end(
            `<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>gate-${requests.length}</RequestId></ErrorResponse>`,
          );
          return;
        }
      }
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(([k, v]) => typeof v === 'string' && !['host', 'content-length', 'connection'].includes(k)),
      ) as Record<string, string>;
      const r = await fetch(`${upstream()}${req.url ?? '/'}`, { method: req.method ?? 'GET', headers, ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body: text }) });
      res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'text/xml' });
      res.end(Buffer.from(await r.arrayBuffer()));
    })().catch((e: unknown) => {
      res.writeHead(502);
      res.end(String(e));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    fail: (to, fault, times) => faults.push({ to: to.toLowerCase(), fault, left: times }),
    heal: (to) => {
      for (const f of faults) if (f.to === to.toLowerCase()) f.left = 0;
    },
    sendsTo: (to) => requests.filter((f) => (f['Destination.ToAddresses.member.1'] ?? '').toLowerCase() === to.toLowerCase()).length,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The one big check

export interface Delivered {
  events: Ev[];
  records: EmailEv[];
  sent: EmailEv[];
  store: SentEmail[];
  /** Sent emails of `template` to `to`. */
  count(template: string, to: string): number;
}

/**
 * The case's emails are exactly what its timeline owes: one record per owed (event, template, recipient) and no
 * other; every record `email.sent` (an email overtaken by a later one to the same person owed at the same time — a
 * status update, a breach warning, a breach alert — may be `email.suppressed` instead); the SES store holds exactly the sent ones, each once (matched by SES message id), to
 * the recorded address, from the policy's sender, with the template's subject.
 */
export async function expectExactlyOwed(api: TestApi, id: string, policy: Policy, customer: string, events?: Ev[]): Promise<Delivered> {
  const { expect } = await import('vitest');
  const evs = events ?? (await timeline(api, id));
  const records = emailEvents(evs);
  const owed = owedEmails(evs, policy, customer);
  expect(records.map(ownKey).sort()).toEqual(owed.map(ownKey).sort());
  for (const r of records.filter((x) => x.type !== 'email.sent')) {
    expect(r, `only an overtaken email may go unsent: ${r.summary}`).toMatchObject({ type: 'email.suppressed' });
    expect(['status-update', 'breach-warning', 'breach-alert']).toContain(r.template);
    expect(r.summary).toMatch(/covers it/);
  }
  const sent = records.filter((r) => r.type === 'email.sent');
  const store = await storeEmailsOf(api, id);
  expect(new Set(store.map((m) => m.messageId)).size).toBe(store.length);
  expect(store.map((m) => m.messageId).sort()).toEqual(sent.map((r) => r.messageId).sort());
  for (const m of store) {
    const r = sent.find((x) => x.messageId === m.messageId)!;
    expect(m.destination.to.map((a) => a.toLowerCase())).toEqual([r.to]);
    expect(m.from).toBe(policy.notifications.from);
    expect(m.subject).toMatch(SUBJECT[r.template]!);
    expect(r.audience).toBe(r.to === customer.toLowerCase() ? 'customer' : 'internal');
  }
  return {
    events: evs,
    records,
    sent,
    store,
    count: (template, to) => sent.filter((r) => r.template === template && r.to === to.toLowerCase()).length,
  };
}
