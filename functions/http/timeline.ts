// Primary adapter: the case's timeline, a page at a time (one Query each) — its append-only events, oldest first, each
// followed by the emails it owed with their delivery outcome. Events never change once written and keep their order;
// an email's entry reflects its delivery record (queued → sending → sent/failed/…), so it can change between reads.
import { timelinePage } from '../adapters/case-queries.ts';
import type { EmailRecord } from '../app/ports.ts';
import { json } from '../commons/http.ts';
import { NotFoundError } from '../domain/errors.ts';
import type { TimelineEvent } from '../domain/model.ts';
import * as routes from '../routes.ts';
import { caseIdOf } from './case-response.ts';
import { route } from './route-handler.ts';

const EMAIL_EVENT: Record<EmailRecord['state'], string> = {
  OWED: 'email.queued',
  SENDING: 'email.sending',
  SENT: 'email.sent',
  FAILED: 'email.failed',
  SUPPRESSED: 'email.suppressed',
  UNCONFIRMED: 'email.unconfirmed',
};

export function emailEvent(m: EmailRecord): TimelineEvent {
  return {
    id: `email:${m.key}`,
    at: m.sentAt ?? m.claimedAt ?? m.owedAt,
    actor: { kind: 'system', id: 'mailer' },
    type: EMAIL_EVENT[m.state] ?? 'email.sending',
    summary: `${m.template} email to ${m.to}${m.digest ? ` (${m.digest})` : ''}${m.error ? `: ${m.error}` : ''}`,
    data: { template: m.template, to: m.to, audience: m.audience, forEvent: m.eventId, ...(m.messageId ? { messageId: m.messageId } : {}), ...(m.digest ? { digest: m.digest } : {}) },
  };
}

export const getTimeline = route(import.meta, routes.getTimeline, async ({ event, query: q }) => {
  const id = caseIdOf(event);
  const page = await timelinePage(id, q.limit, q.cursor);
  // Every case has its `created` event: an empty first page means there is no such case.
  if (!q.cursor && page.entries.length === 0) throw new NotFoundError(`no case ${id}`);
  const events = page.entries.map((e) => (e.kind === 'event' ? e.event : emailEvent(e.email)));
  return json(200, { caseId: id, events, nextCursor: page.nextCursor });
});
