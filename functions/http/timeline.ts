// Primary adapter: the case's timeline — its append-only events plus a record of every email sent for it.
import { getCase } from '../app/cases.ts';
import { httpHandler, json } from '../commons/http.ts';
import type { TimelineEvent } from '../domain/model.ts';
import { emailRecords } from '../notifications/outbox.ts';
import { caseIdOf } from './cases.ts';

const EMAIL_EVENT: Record<string, string> = {
  SENT: 'email.sent',
  FAILED: 'email.failed',
  SUPPRESSED: 'email.suppressed',
  UNCONFIRMED: 'email.unconfirmed',
  SENDING: 'email.sending',
};

export const getTimeline = httpHandler(async (event) => {
  const id = caseIdOf(event);
  const [c, emails] = await Promise.all([getCase(id), emailRecords(id)]);
  const emailEvents: TimelineEvent[] = emails.map((m) => ({
    id: `email:${m.key}`,
    at: m.sentAt ?? m.claimedAt,
    actor: { kind: 'system', id: 'mailer' },
    type: EMAIL_EVENT[m.state] ?? 'email.sending',
    summary: `${m.template} email to ${m.to}${m.error ? `: ${m.error}` : ''}`,
    data: { template: m.template, to: m.to, audience: m.audience, forEvent: m.eventId, ...(m.messageId ? { messageId: m.messageId } : {}) },
  }));
  const events = [...c.timeline, ...emailEvents].sort((a, b) => a.at.localeCompare(b.at) || a.id.localeCompare(b.id));
  return json(200, { caseId: id, events });
});
