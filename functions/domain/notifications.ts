// Domain: which emails each timeline event owes, to whom. Rendering and sending live in functions/notifications.
import { managersFor, type Policy } from './policy.ts';
import type { CaseRecord, OutboxEntry, TimelineEvent } from './model.ts';

/** Email templates, one per milestone. Customer templates never include internal notes. */
export type TemplateName =
  | 'acknowledgement'
  | 'status-update'
  | 'public-comment'
  | 'resolution'
  | 'overdue-apology'
  | 'follow-up'
  | 'escalation-alert'
  | 'breach-warning'
  | 'breach-alert'
  | 'overdue-alert'
  | 'approval-request'
  | 'customer-reply';

/**
 * The emails an event owes. Each entry's key is unique per (case, milestone, recipient): the event id is the
 * milestone, so a retried step that re-reads the same event can never owe the same email twice.
 *
 * The rules, in words:
 * - the customer's email reply reaches the managers of the case's level and department (the people handling it);
 * - the customer hears about every change they should know of (acknowledgement, the case moving up, to another team
 *   or back open, public replies, the resolution, the overdue apology, the survey), and never about internal notes,
 *   compensation bookkeeping, pauses or priority changes;
 * - managers of the level and department the case is in AFTER the event are alerted (a transfer alerts the new
 *   department's, an escalation the new level's, the overdue rule the top level's);
 * - the overdue rule moves the case to the top level itself: its apology is the customer's status update, so it
 *   owes no separate one.
 */
export function notificationsFor(e: TimelineEvent, before: CaseRecord, after: CaseRecord, policy: Policy): OutboxEntry[] {
  const customer = (template: TemplateName): OutboxEntry[] => [entry(after, e, template, after.customer.email, 'customer')];
  const managers = (template: TemplateName): OutboxEntry[] =>
    unique(managersFor(policy, after.level, after.department)).map((to) => entry(after, e, template, to, 'internal'));

  switch (e.type) {
    case 'created':
      // A case opened by the customer's reply to an earlier one: its people read the reply, as for any other.
      return e.data?.['linkedFrom'] ? [...customer('acknowledgement'), ...managers('customer-reply')] : customer('acknowledgement');
    case 'escalated':
    case 'transferred':
      return [...customer('status-update'), ...managers('escalation-alert')];
    case 'reopened':
      return [...customer('status-update'), ...managers('escalation-alert')];
    case 'commented':
      // The customer's own email reply is news for the people handling the case, never echoed back to the customer.
      if (e.actor.kind === 'customer') return managers('customer-reply');
      return e.data?.['visibility'] === 'public' ? customer('public-comment') : [];
    case 'resolved':
      return customer('resolution');
    case 'sla.warning':
      return managers('breach-warning');
    case 'sla.breached':
      return managers('breach-alert');
    case 'sla.overdue':
      return [...customer('overdue-apology'), ...managers('overdue-alert')];
    case 'followed-up':
      return before.feedback ? [] : customer('follow-up');
    case 'compensation.offered':
      return e.data?.['status'] === 'PENDING_APPROVAL' ? managers('approval-request') : [];
    default:
      return [];
  }
}

/** A policy may list an address twice (or in two spellings): one email each. */
function unique(addresses: string[]): string[] {
  const seen = new Set<string>();
  return addresses.filter((a) => !seen.has(a.toLowerCase()) && seen.add(a.toLowerCase()));
}

function entry(c: CaseRecord, e: TimelineEvent, template: TemplateName, to: string, audience: OutboxEntry['audience']): OutboxEntry {
  return { key: `${c.id}/${e.id}/${template}/${to.toLowerCase()}`, template, to, audience, eventId: e.id };
}

/**
 * A pending email that a LATER pending email to the same person makes pointless. It only matters when several are
 * owed at once (a timer that woke late applies several deadlines in one step): the customer then hears the latest
 * news once instead of "moved to a specialist" and "moved to leadership" together.
 */
const SUPERSEDED_BY: Partial<Record<TemplateName, readonly TemplateName[]>> = {
  'status-update': ['status-update', 'overdue-apology', 'resolution'],
  'breach-warning': ['breach-warning', 'escalation-alert', 'breach-alert', 'overdue-alert'],
  'breach-alert': ['overdue-alert'],
};

/** The owed email among `others` that makes `entry` pointless, if any. Event ids sort in the order events happened. */
export function supersedingEmail<T extends OutboxEntry>(entry: OutboxEntry, others: readonly T[]): T | undefined {
  const by = SUPERSEDED_BY[entry.template as TemplateName];
  if (!by) return undefined;
  return others.find(
    (o) => o.to.toLowerCase() === entry.to.toLowerCase() && by.includes(o.template as TemplateName) && o.eventId > entry.eventId,
  );
}
