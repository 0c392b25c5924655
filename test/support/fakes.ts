// In-memory ports for the application layer's unit tests: the same contracts as the DynamoDB, Step Functions and SES
// adapters (conditional writes, claims), with no I/O, so a use case is tested in milliseconds.
import {
  CaseExistsError,
  IdempotencyRecordExistsError,
  StaleVersionError,
  type CaseCommit,
  type CaseStore,
  type EmailRecord,
  type EmailStore,
  type IdempotencyRecord,
  type InboundStore,
  type Mailer,
  type MailStore,
  type QuarantinedMail,
  type OutgoingEmail,
  type Timer,
} from '../../functions/app/ports.ts';
import type { CaseRecord, TimelineEvent } from '../../functions/domain/model.ts';

const clone = <T>(v: T): T => structuredClone(v);

export class FakeCaseStore implements CaseStore, EmailStore {
  cases = new Map<string, CaseRecord>();
  events = new Map<string, TimelineEvent[]>();
  emails = new Map<string, EmailRecord>();
  idempotency = new Map<string, IdempotencyRecord>();
  suppressed = new Map<string, string>();
  commits = 0;
  /** Runs before a commit is checked: lets a test slip a rival write in between read and write. */
  beforeCommit?: (change: CaseCommit) => void;

  async get(id: string) {
    const c = this.cases.get(id);
    return c ? { ...clone(c), newEvents: [], owedEmails: [] } : undefined;
  }
  async getIdempotency(clientId: string, key: string) {
    return clone(this.idempotency.get(`${clientId}#${key}`));
  }
  async getWithIdempotency(id: string, clientId: string, key: string) {
    const c = await this.get(id);
    const record = await this.getIdempotency(clientId, key);
    return { ...(c ? { case: c } : {}), ...(record ? { record } : {}) };
  }
  async commit(change: CaseCommit) {
    this.beforeCommit?.(change);
    const id = change.case.id;
    const stored = this.cases.get(id);
    if (change.idempotency && this.idempotency.has(`${change.idempotency.clientId}#${change.idempotency.key}`)) throw new IdempotencyRecordExistsError('exists');
    if (change.expectedVersion === null && stored) throw new CaseExistsError('exists');
    if (change.expectedVersion !== null && stored?.version !== change.expectedVersion) throw new StaleVersionError('stale');
    // All or nothing, as one transaction.
    this.commits++;
    const { newEvents: _e, owedEmails: _o, ...state } = change.case;
    this.cases.set(id, clone({ ...state, newEvents: [], owedEmails: [] }) as CaseRecord);
    this.events.set(id, [...(this.events.get(id) ?? []), ...clone(change.events)]);
    for (const o of change.emails) this.emails.set(o.key, { ...clone(o), caseId: id, state: 'OWED', owedAt: change.case.updatedAt });
    if (change.idempotency) this.idempotency.set(`${change.idempotency.clientId}#${change.idempotency.key}`, clone(change.idempotency));
  }
  async putIdempotency(record: IdempotencyRecord) {
    if (this.idempotency.has(`${record.clientId}#${record.key}`)) throw new IdempotencyRecordExistsError('exists');
    this.idempotency.set(`${record.clientId}#${record.key}`, clone(record));
  }
  async confirmTimer(id: string, timerVersion: number) {
    const c = this.cases.get(id);
    if (c && c.timer.version === timerVersion) c.timer = { ...c.timer, pending: false };
  }
  async getEmail(_caseId: string, key: string) {
    return clone(this.emails.get(key));
  }
  async claimEmail(email: EmailRecord, claimedAt: string) {
    const e = this.emails.get(email.key);
    if (e?.state !== 'OWED') return false;
    this.emails.set(email.key, { ...e, state: 'SENDING', claimedAt });
    return true;
  }
  async settleEmail(email: EmailRecord, claimedAt: string, outcome: Partial<EmailRecord>) {
    const e = this.emails.get(email.key);
    if (e?.state === 'SENDING' && e.claimedAt === claimedAt) this.emails.set(email.key, { ...e, ...outcome });
  }
  async skipEmail(email: EmailRecord, outcome: Pick<EmailRecord, 'state' | 'error'>) {
    const e = this.emails.get(email.key);
    if (e?.state !== 'OWED') return false;
    this.emails.set(email.key, { ...e, ...outcome });
    return true;
  }
  async releaseEmail(email: EmailRecord, claimedAt: string) {
    const e = this.emails.get(email.key);
    if (e?.state === 'SENDING' && e.claimedAt === claimedAt) {
      const { claimedAt: _c, ...rest } = e;
      this.emails.set(email.key, { ...rest, state: 'OWED' });
    }
  }
  async deliveryContext(email: EmailRecord) {
    const c = await this.get(email.caseId);
    const event = clone(this.events.get(email.caseId)?.find((e) => e.id === email.eventId));
    const suppression = this.suppressed.get(email.to.toLowerCase());
    return { ...(c ? { case: c } : {}), ...(event ? { event } : {}), ...(suppression ? { suppression } : {}) };
  }
  async deliveryContexts(emails: readonly EmailRecord[]) {
    return new Map(await Promise.all(emails.map(async (e) => [e.key, await this.deliveryContext(e)] as const)));
  }
}

export class FakeTimer implements Timer {
  started: { caseId: string; timerVersion: number; wakeAt: string }[] = [];
  stopped: { caseId: string; timerVersion: number }[] = [];
  async start(caseId: string, timerVersion: number, wakeAt: string) {
    if (!this.started.some((s) => s.caseId === caseId && s.timerVersion === timerVersion)) this.started.push({ caseId, timerVersion, wakeAt });
  }
  async stop(caseId: string, timerVersion: number) {
    this.stopped.push({ caseId, timerVersion });
  }
}

export class FakeMailer implements Mailer {
  sent: OutgoingEmail[] = [];
  /** Errors to throw for the next sends (in order), instead of sending. */
  failures: Error[] = [];
  async send(email: OutgoingEmail) {
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.sent.push(email);
    return `msg-${this.sent.length}`;
  }
}

/** Renders nothing real: enough to tell emails apart (template, case, event). */
export const fakeComposer = {
  async compose(c: CaseRecord, email: EmailRecord, event: TimelineEvent): Promise<OutgoingEmail> {
    return { to: email.to, subject: `${email.template} ${c.id}`, text: `${event.type}: ${event.summary ?? ''}`, html: '<p></p>', tags: { case: c.id, template: email.template } };
  },
  async composeDigest(to: string, warnings: readonly { case: CaseRecord; event: TimelineEvent }[]): Promise<OutgoingEmail> {
    return { to, subject: `digest ${warnings.map((w) => w.case.id).join(' ')}`, text: warnings.map((w) => w.event.type).join('\n'), html: '<p></p>', tags: { case: warnings[0]!.case.id, template: 'breach-warning-digest' } };
  },
};

/** Inbound mail's store in memory: the reference claims come from the case store, the quarantine and its markers here. */
export class FakeInboundStore implements InboundStore {
  kept: QuarantinedMail[] = [];
  constructor(private readonly cases: FakeCaseStore) {}
  async caseByReference(reference: string) {
    const c = [...this.cases.cases.values()].find((x) => x.reference === reference);
    return c ? this.cases.get(c.id) : undefined;
  }
  async quarantine(mail: QuarantinedMail, marker: IdempotencyRecord) {
    // The marker and the item together, as one transaction.
    await this.cases.putIdempotency(marker);
    this.kept.push(clone(mail));
  }
  async quarantined(limit: number) {
    return { items: [...this.kept].reverse().slice(0, limit), nextCursor: null };
  }
}

export class FakeMailStore implements MailStore {
  raws = new Map<string, Buffer>();
  attachments = new Map<string, { content: Buffer; type: string }>();
  async raw(key: string) {
    const r = this.raws.get(key);
    if (!r) throw new Error(`no raw message ${key}`);
    return r;
  }
  async putAttachment(key: string, content: Buffer, type: string) {
    this.attachments.set(key, { content, type });
    return `mem://${key}`;
  }
}
