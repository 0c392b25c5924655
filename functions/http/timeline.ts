// Primary adapter: the case's timeline — its append-only events plus a record of every email sent for it. The case's
// own events never change once written and keep their order; an email's entry reflects its delivery record
// (sending → sent/failed), so it can change between reads.
import { getCase } from '../app/queries.ts';
import { httpHandler, json } from '../commons/http.ts';
import type { TimelineEvent } from '../domain/model.ts';
import { emailRecords } from '../notifications/email-records.ts';
import { caseIdOf } from './case-response.ts';

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
  return json(200, { caseId: id, events: merge(c.timeline, emailEvents) });
});

/**
 * Oldest first: the case's events exactly in the order they were recorded (so each event's `changes.before` is the
 * previous one's `after`, and a new one only ever appears after all earlier ones), with the emails merged in by time, after
 * the case's events of the same instant. Not a sort by `at`: a timer event carries the instant it fell due, which a
 * late wake-up can put a moment before an event recorded just ahead of it; and ids do not order events of one
 * millisecond (a follow-up's `followed-up` and `closed` share one instant).
 */
function merge(recorded: TimelineEvent[], emails: TimelineEvent[]): TimelineEvent[] {
  const sent = emails.map((e, i) => ({ e, i })).sort((a, b) => a.e.at.localeCompare(b.e.at) || a.i - b.i).map((x) => x.e);
  const out: TimelineEvent[] = [];
  let j = 0;
  for (const e of recorded) {
    while (j < sent.length && sent[j]!.at < e.at) out.push(sent[j++]!);
    out.push(e);
  }
  return [...out, ...sent.slice(j)];
}
