// Notifications: every email as code. One pure function per template builds a Draft (subject, title, blocks);
// the shared layout renders it as text and HTML, escaping every value. No I/O, no clock, no template engine.
//
// Customer templates never read internal notes: the event's summary reaches a customer only in 'public-comment'.
// They also avoid internal jargon (SLA, L0–L3, levels, timers): the owner is named in plain words.
import { LEVELS, nextLevel, type CaseRecord, type Level, type TimelineEvent } from '../domain/model.ts';
import type { TemplateName } from '../domain/notifications.ts';
import { referenceOf } from '../domain/operations.ts';
import type { Policy } from '../domain/policy.ts';
import { CUSTOMER_OWNER, INTERNAL_LEVEL, dateTimeWords, dateWords, money, num, spanWords, str, titleCase } from './templates/format.ts';
import { layout, type Block, type Draft, type RenderedEmail } from './templates/layout.ts';

export { escapeHtml, cleanSubject } from './templates/layout.ts';
export type { RenderedEmail } from './templates/layout.ts';

export type Rating = 1 | 2 | 3 | 4 | 5;

export interface RenderInput {
  template: TemplateName;
  /** The case after the change. */
  case: CaseRecord;
  /** The event that owes the email (its summary/data/changes). */
  event: TimelineEvent;
  /** Email address. */
  recipient: string;
  policy: Policy;
  /** Only for 'follow-up': survey link for each rating 1..5 (already signed by the caller). */
  surveyLinks?: Record<Rating, string>;
  /** Only for internal alerts: the customer's other cases (newest first) for context. */
  customerHistory?: { id: string; subject: string; status: string; createdAt: string; resolvedAt?: string }[];
}

/** Templates addressed to the customer; the rest go to managers. */
export const CUSTOMER_TEMPLATES: ReadonlySet<TemplateName> = new Set<TemplateName>([
  'acknowledgement',
  'status-update',
  'public-comment',
  'resolution',
  'overdue-apology',
  'follow-up',
]);

export const SURVEY_LABELS: Record<Rating, string> = {
  1: '1 – Very dissatisfied',
  2: '2 – Dissatisfied',
  3: '3 – Neither satisfied nor dissatisfied',
  4: '4 – Satisfied',
  5: '5 – Very satisfied',
};

/** Render one email. Throws on an unknown template name, or a 'follow-up' without survey links. */
export function renderEmail(input: RenderInput): RenderedEmail {
  if (!Object.hasOwn(TEMPLATES, input.template)) throw new Error(`unknown email template "${String(input.template)}"`);
  return layout(TEMPLATES[input.template](input));
}

// ---------------------------------------------------------------------------------------------------------------
// Customer templates

const p = (text: string): Block => ({ kind: 'p', text });
const heading = (text: string): Block => ({ kind: 'heading', text });
const quote = (text: string): Block => ({ kind: 'quote', text });
const facts = (rows: [string, string][]): Block => ({ kind: 'facts', rows });
const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The customer frame: greeting, the case reference at the end, signed by the company. */
function customerDraft(i: RenderInput, subject: string, title: string, blocks: Block[], closing = 'Kind regards,'): Draft {
  const c = i.case;
  return {
    subject: `${subject}${/[?!]$/.test(subject) ? ' ' : ': '}${c.subject} [Case ${referenceOf(c)}]`,
    title,
    greeting: c.customer.name ? `Hi ${c.customer.name},` : 'Hello,',
    blocks: [...blocks, p(`Your case reference is ${referenceOf(c)}. Please keep it in the subject line if you reply.`)],
    signOff: [closing, `The ${i.policy.notifications.companyName} team`],
  };
}

/** "You'll hear from us by …" when the case is running and its current deadline is still ahead of the event. */
function nextUpdate(i: RenderInput): string | undefined {
  const due = Date.parse(i.case.sla.levelDueAt);
  if (i.case.status !== 'OPEN' || Number.isNaN(due) || due <= Date.parse(i.event.at)) return undefined;
  return dateTimeWords(i.case.sla.levelDueAt);
}

function acknowledgement(i: RenderInput): Draft {
  const c = i.case;
  return customerDraft(i, "We've received your request", "We've received your request", [
    p(`Thank you for getting in touch about "${c.subject}". We're sorry you've run into this, and we've opened case ${referenceOf(c)} so we can put it right.`),
    heading('What happens next'),
    p(`${capitalize(CUSTOMER_OWNER[c.level])} is reviewing the details you sent and will take it from here.`),
    p(`You'll hear back from us by ${dateTimeWords(c.sla.levelDueAt)}, sooner if we can.`),
    p('If you have anything to add, such as screenshots or order numbers, just reply to this email.'),
  ]);
}

type Movement = 'department' | 'reopened' | 'senior' | 'other';

function movement(e: TimelineEvent): Movement {
  if (e.type === 'transferred' || (e.type !== 'escalated' && e.changes?.['department'])) return 'department';
  if (e.type === 'reopened') return 'reopened';
  if (e.type === 'escalated' || e.changes?.['level']) return 'senior';
  return 'other';
}

/** The case moved: to someone more senior, to another department, or back open. Never quotes the (internal) summary. */
function statusUpdate(i: RenderInput): Draft {
  const c = i.case;
  const who = CUSTOMER_OWNER[c.level];
  const team = `our ${titleCase(c.department)} team`;
  const due = nextUpdate(i);
  const when = due ? p(`You'll hear from us by ${due}, sooner if we can.`) : p("We'll be in touch as soon as we have news.");
  switch (movement(i.event)) {
    case 'senior':
      return customerDraft(i, 'Update on your case', `Your case is now with ${who}`, [
        p(`We want to get "${c.subject}" sorted out for you properly, so we've passed your case to ${who}.`),
        p("They have the full history of your case, so you won't need to explain anything again."),
        when,
      ]);
    case 'department':
      return customerDraft(i, 'Update on your case', `Your case has moved to ${team}`, [
        p(`${capitalize(team)} is best placed to help with "${c.subject}", so we've passed your case to them.`),
        ...(c.level !== 'L0' ? [p(`Within that team, ${who} is looking after it.`)] : []),
        p("They have the full history of your case, so you won't need to explain anything again."),
        when,
      ]);
    case 'reopened':
      return customerDraft(i, 'Your case is open again', "We've reopened your case", [
        p(`Your case "${c.subject}" is open again, and ${who} is picking it up.`),
        p("We have the full history, so you won't need to start again."),
        when,
      ]);
    case 'other':
      return customerDraft(i, 'Update on your case', 'An update on your case', [
        p(`There's been a change to your case "${c.subject}". ${capitalize(who)} is looking after it.`),
        when,
      ]);
  }
}

/** A public comment: its body is the event summary (public by definition). */
function publicComment(i: RenderInput): Draft {
  return customerDraft(i, 'New reply on your case', "There's a new reply on your case", [
    p(`We've added a reply to your case "${i.case.subject}":`),
    quote(i.event.summary ?? ''),
    p('You can respond by replying to this email.'),
  ]);
}

function resolution(i: RenderInput): Draft {
  const c = i.case;
  return customerDraft(i, 'Resolved', 'Your case has been resolved', [
    p(`Good news: we've resolved your case "${c.subject}".`),
    ...(c.resolution ? [heading('What we did'), quote(c.resolution)] : []),
    heading("Not fixed?"),
    p("If this hasn't solved the problem, or something still isn't right, just reply to this email. We'll reopen your case and pick it straight back up; you won't need to start again."),
  ]);
}

function overdueApology(i: RenderInput): Draft {
  const c = i.case;
  const due = nextUpdate(i);
  return customerDraft(
    i,
    "We're sorry this is taking longer than promised",
    "We're sorry: your case is taking longer than we promised",
    [
      p(`We owe you an apology. You contacted us about "${c.subject}" on ${dateWords(c.createdAt)}, and it still isn't resolved. That is longer than we promised, and longer than you should have had to wait.`),
      heading("What we're doing about it"),
      p(`${capitalize(CUSTOMER_OWNER.L3)} now personally owns your case. They have its full history and will see it through until it is resolved.`),
      p(due ? `We'll update you by ${due} at the latest.` : "We'll update you as soon as we have news, and we won't leave you waiting without one."),
      p("Thank you for your patience. If there's anything you'd like us to know in the meantime, please reply to this email."),
    ],
    'With our apologies,',
  );
}

function followUp(i: RenderInput): Draft {
  const c = i.case;
  const links = i.surveyLinks;
  if (!links) throw new Error(`the follow-up email for case ${c.id} needs surveyLinks`);
  const ratings: Rating[] = [1, 2, 3, 4, 5];
  return customerDraft(i, 'How did we do?', 'How did we do?', [
    p(`We recently resolved your case "${c.subject}"${c.resolvedAt ? ` (${dateWords(c.resolvedAt)})` : ''}. We'd like to know how we did. Please choose the option that best describes your experience: it takes one click.`),
    { kind: 'links', links: ratings.map((r) => ({ label: SURVEY_LABELS[r], href: links[r] })) },
    p("Your answer helps us improve. If something still isn't right, reply to this email and we'll pick your case back up."),
  ]);
}

// ---------------------------------------------------------------------------------------------------------------
// Internal templates (to managers): full detail, internal vocabulary allowed.

/** The subject names the level the alert is about (the event's), so subject and body agree if the case moved on. */
function internalDraft(i: RenderInput, title: string, blocks: Block[], level: Level = alertLevel(i)): Draft {
  const c = i.case;
  // Managers act from the ops console: the alert opens with a link to the case's page when the console is known.
  const consoleUrl = i.policy.notifications.consoleUrl?.replace(/\/$/, '');
  const open: Block[] = consoleUrl ? [{ kind: 'links', links: [{ label: 'Open the case in the ops console', href: `${consoleUrl}/cases/${c.id}` }] }] : [];
  return {
    subject: `[${c.priority} ${level}] ${title}: ${c.subject}`,
    title,
    blocks: [...open, ...blocks],
    signOff: [`${i.policy.notifications.companyName} escalations`],
  };
}

function caseFacts(i: RenderInput): Block[] {
  const c = i.case;
  const cu = c.customer;
  return [
    heading('Case'),
    facts([
      ['Case', referenceOf(c)],
      ['Case id', c.id],
      ['Subject', c.subject],
      ['Status', c.status],
      ['Priority', c.priority],
      ['Level', INTERNAL_LEVEL[c.level]],
      ['Department', c.department],
      ...(c.category ? ([['Category', c.category]] as [string, string][]) : []),
      ['Opened', dateTimeWords(c.createdAt)],
      ...(c.reopenCount > 0 ? ([['Reopened', `${c.reopenCount} time${c.reopenCount === 1 ? '' : 's'}`]] as [string, string][]) : []),
    ]),
    heading('Customer'),
    facts([
      ['Name', cu.name ?? '(not given)'],
      ['Email', cu.email],
      ['Customer id', cu.id],
      ['Tier', cu.tier],
      ['Lifetime value', cu.lifetimeValue === undefined ? 'unknown' : money(cu.lifetimeValue, i.policy.compensation.currency)],
    ]),
  ];
}

function deadlineFacts(i: RenderInput): Block[] {
  const s = i.case.sla;
  return [
    heading('SLA deadlines'),
    facts([
      [`${i.case.level} due`, `${dateTimeWords(s.levelDueAt)} (${s.levelDueAt})`],
      ['Close by', `${dateTimeWords(s.closeBy)} (${s.closeBy})`],
      ...(s.pausedAt ? ([['Paused since', dateTimeWords(s.pausedAt)]] as [string, string][]) : []),
      ...(s.breached ? ([['Breached', 'yes']] as [string, string][]) : []),
      ...(s.overdue ? ([['Overdue', 'yes']] as [string, string][]) : []),
    ]),
  ];
}

const summaryBlocks = (label: string, e: TimelineEvent): Block[] => (e.summary ? [heading(label), quote(e.summary)] : []);
const actorText = (e: TimelineEvent) => (e.actor.kind === 'system' ? 'automatically' : `by ${e.actor.kind} ${e.actor.id}`);

const HISTORY_MAX = 10;

function historyBlocks(i: RenderInput): Block[] {
  const others = (i.customerHistory ?? []).filter((h) => h.id !== i.case.id);
  const items = others
    .slice(0, HISTORY_MAX)
    .map((h) => `${h.id} · ${h.subject} · ${h.status} · opened ${dateWords(h.createdAt)}${h.resolvedAt ? `, resolved ${dateWords(h.resolvedAt)}` : ''}`);
  if (others.length > HISTORY_MAX) items.push(`…and ${others.length - HISTORY_MAX} more`);
  return [heading('Customer history'), items.length ? { kind: 'list', items } : p('No other cases from this customer.')];
}

/**
 * The level and department the event moved the case to: the recipients were chosen for them, and the case may have
 * moved on by the time a late drain renders the alert.
 */
function eventTarget(i: RenderInput): { level: Level; department: string } {
  const level = i.event.changes?.['level']?.after;
  const department = i.event.changes?.['department']?.after;
  return {
    level: (LEVELS as readonly unknown[]).includes(level) ? (level as Level) : i.case.level,
    department: typeof department === 'string' && department ? department : i.case.department,
  };
}

/** The level an internal alert is about: where the event moved the case, or the level it warned about. */
function alertLevel(i: RenderInput): Level {
  const warned = i.event.data?.['level'];
  if (i.event.type === 'sla.warning' && (LEVELS as readonly unknown[]).includes(warned)) return warned as Level;
  return eventTarget(i).level;
}

function escalationAlert(i: RenderInput): Draft {
  const c = i.case;
  const e = i.event;
  const from = e.changes?.['level']?.before;
  const fromDept = e.changes?.['department']?.before;
  const { level, department } = eventTarget(i);
  let title: string;
  let lead: string;
  switch (movement(e)) {
    case 'department':
      title = `Case ${referenceOf(c)} transferred to ${department}`;
      lead = `Transferred ${actorText(e)}${typeof fromDept === 'string' ? ` from ${fromDept}` : ''} to ${department}; it sits at ${INTERNAL_LEVEL[level]}.`;
      break;
    case 'reopened':
      title = `Case ${referenceOf(c)} reopened at ${level}`;
      lead = `Reopened ${actorText(e)} at ${INTERNAL_LEVEL[level]} in ${department} (reopen #${c.reopenCount}); it counts as a repeat escalation.`;
      break;
    default:
      title = `Case ${referenceOf(c)} escalated to ${level}`;
      lead = `Escalated ${actorText(e)}${typeof from === 'string' ? ` from ${from}` : ''} to ${INTERNAL_LEVEL[level]} in ${department}.`;
  }
  const since = level !== c.level || department !== c.department ? [p(`Since then the case has moved on: it is now at ${INTERNAL_LEVEL[c.level]} in ${c.department}.`)] : [];
  return internalDraft(i, title, [
    p(`${lead} You are receiving this as a manager for ${level} in ${department}.`),
    ...since,
    ...summaryBlocks('Escalation summary', e),
    ...caseFacts(i),
    ...deadlineFacts(i),
    ...historyBlocks(i),
  ]);
}

function breachWarning(i: RenderInput): Draft {
  const c = i.case;
  const e = i.event;
  const level = (LEVELS as readonly string[]).includes(String(e.data?.['level'])) ? (e.data!['level'] as Level) : c.level;
  const dueAt = str(e.data?.['dueAt']) ?? c.sla.levelDueAt;
  const start = Date.parse(str(e.data?.['startedAt']) ?? c.sla.levelStartedAt);
  const due = Date.parse(dueAt);
  const at = Date.parse(e.at);
  const share = due > start && at >= start ? (at - start) / (due - start) : (i.policy.warnAt ?? 0);
  const pct = Math.min(100, Math.round(share * 100));
  const next = nextLevel(level);
  return internalDraft(i, `Case ${referenceOf(c)} has used ${pct}% of its ${level} time budget`, [
    p(`${pct}% of the ${level} time budget for this ${c.priority} case is used. It runs out on ${dateTimeWords(dueAt)}, in ${spanWords(due - at)}.`),
    p(next ? `If the case is not resolved by then, it escalates automatically to ${INTERNAL_LEVEL[next]}.` : 'If the case is not resolved by then, it breaches its SLA: there is no higher level.'),
    ...(level !== c.level ? [p(`Since then the case has moved on: it is now at ${INTERNAL_LEVEL[c.level]} in ${c.department}.`)] : []),
    ...caseFacts(i),
    ...deadlineFacts(i),
  ]);
}

export interface DigestInput {
  recipient: string;
  policy: Policy;
  /** The warnings, soonest deadline first: each its case (now) and its sla.warning event. */
  warnings: readonly { case: CaseRecord; event: TimelineEvent }[];
}

/**
 * Several pre-breach warnings to one manager, falling close together (business hours make them cluster): one email
 * listing every case, soonest deadline first, rather than a burst of near-identical ones.
 */
export function renderWarningDigest(d: DigestInput): RenderedEmail {
  const at = d.warnings.map((w) => Date.parse(w.event.at)).reduce((a, b) => Math.max(a, b));
  const rows = d.warnings.map(({ case: c, event: e }) => {
    const level = (LEVELS as readonly string[]).includes(String(e.data?.['level'])) ? (e.data!['level'] as Level) : c.level;
    const dueAt = str(e.data?.['dueAt']) ?? c.sla.levelDueAt;
    const next = nextLevel(level);
    return { c, level, dueAt, then: next ? `escalates to ${INTERNAL_LEVEL[next]}` : 'breaches its SLA' };
  });
  const first = rows[0]!;
  const title = `${rows.length} cases will escalate soon; the first, ${referenceOf(first.c)}, in ${spanWords(Date.parse(first.dueAt) - at)}`;
  const consoleUrl = d.policy.notifications.consoleUrl?.replace(/\/$/, '');
  const blocks: Block[] = [
    ...(consoleUrl ? [{ kind: 'links', links: [{ label: 'Open the queue in the ops console', href: `${consoleUrl}/` }] } as Block] : []),
    p(`These ${rows.length} cases have used their warning share of the time budget. Unless they are resolved, each one ${rows.every((r) => r.then === first.then) ? first.then : 'moves on'} when its time runs out:`),
    ...rows.flatMap((r) => [
      heading(`${referenceOf(r.c)} · ${r.c.priority} · ${r.level} · ${r.c.department}`),
      facts([
        ['Subject', r.c.subject],
        ['Customer', `${r.c.customer.name ?? r.c.customer.id} (${r.c.customer.tier})`],
        [`${r.level} time runs out`, `${dateTimeWords(r.dueAt)}, in ${spanWords(Date.parse(r.dueAt) - at)}`],
        ['Then it', r.then],
      ]),
      ...(consoleUrl ? [{ kind: 'links', links: [{ label: `Open ${referenceOf(r.c)} in the ops console`, href: `${consoleUrl}/cases/${r.c.id}` }] } as Block] : []),
    ]),
  ];
  return layout({ subject: `[${first.c.priority} ${first.level}] ${title}`, title, blocks, signOff: [`${d.policy.notifications.companyName} escalations`] });
}

function breachAlert(i: RenderInput): Draft {
  const c = i.case;
  return internalDraft(i, `Case ${referenceOf(c)} breached its SLA`, [
    p(`The ${c.level} time budget ran out on ${dateTimeWords(c.sla.levelDueAt)}. The case is still ${c.status} at the top level, so nothing escalates it further: it needs an owner now. It must be closed by ${dateTimeWords(c.sla.closeBy)}.`),
    ...summaryBlocks('What happened', i.event),
    ...caseFacts(i),
    ...deadlineFacts(i),
  ]);
}

function overdueAlert(i: RenderInput): Draft {
  const c = i.case;
  const open = spanWords(Date.parse(i.event.at) - Date.parse(c.createdAt));
  return internalDraft(i, `Case ${referenceOf(c)} is overdue`, [
    p(`The case was not resolved by its close-by deadline, ${dateTimeWords(c.sla.closeBy)}; it has been open ${open}. It now sits at ${INTERNAL_LEVEL[c.level]}.`),
    p('The customer has been sent an apology saying that senior leadership now owns the case.'),
    ...summaryBlocks('What happened', i.event),
    ...caseFacts(i),
    ...deadlineFacts(i),
  ]);
}

function approvalRequest(i: RenderInput): Draft {
  const c = i.case;
  const d = i.event.data ?? {};
  const offer = c.compensations.find((o) => o.id === str(d['compensationId']));
  const kind = offer?.kind ?? str(d['kind']) ?? 'compensation';
  const currency = str(d['currency']) ?? offer?.currency ?? i.policy.compensation.currency;
  const amount = num(d['amount']) ?? offer?.amount;
  const limit = num(d['authorityLimit']) ?? offer?.authorityLimit;
  const amountText = amount === undefined ? 'an unknown amount' : money(amount, currency);
  const limitText = limit === undefined ? 'unknown' : money(limit, currency);
  const by = offer?.offeredBy ?? i.event.actor;
  return internalDraft(i, `Approval needed: ${kind} of ${amountText} on case ${referenceOf(c)}`, [
    p(`A ${kind} of ${amountText} was offered by ${by.kind} ${by.id}. That is above the ${c.level} authority limit of ${limitText} for this customer, so it waits for a manager's approval before the customer gets it.`),
    heading('Compensation'),
    facts([
      ['Kind', kind],
      ['Amount', amountText],
      ['Currency', currency],
      ['Authority limit', limitText],
      ...(amount !== undefined && limit !== undefined ? ([['Over the limit by', money(amount - limit, currency)]] as [string, string][]) : []),
      ...(str(d['compensationId']) ? ([['Compensation id', str(d['compensationId'])!]] as [string, string][]) : []),
      ...(offer?.note ? ([['Note', offer.note]] as [string, string][]) : []),
    ]),
    ...caseFacts(i),
    ...deadlineFacts(i),
  ]);
}

/** Size in words people read: 1.2 MB, 340 KB. */
function sizeWords(bytes: number): string {
  if (bytes >= 1_000_000) return `${(bytes / 1_000_000).toFixed(1)} MB`;
  if (bytes >= 1_000) return `${Math.round(bytes / 1_000)} KB`;
  return `${bytes} bytes`;
}

/** The customer answered by email: the people handling the case read what they wrote and what they attached. */
function customerReply(i: RenderInput): Draft {
  const c = i.case;
  const e = i.event;
  const attachments = (Array.isArray(e.data?.['attachments']) ? e.data['attachments'] : []) as { name?: string; type?: string; size?: number; refused?: string; inline?: boolean }[];
  const items = attachments.map(
    (a) => `${a.name ?? '(unnamed)'} (${a.type ?? 'unknown type'}, ${sizeWords(Number(a.size ?? 0))}${a.inline ? ', inline' : ''})${a.refused ? ` — not kept: ${a.refused}` : ''}`,
  );
  const from = str(e.data?.['from']) ?? c.customer.email;
  // A reply to a closed case (or one resolved too long ago) opened this case: the reply is its description.
  const linked = e.type === 'created' ? (e.data?.['linkedFrom'] as { reference?: string; reason?: string } | undefined) : undefined;
  const lead = linked
    ? `${c.customer.name ?? from} (${from}) replied by email to case ${linked.reference ?? '(unknown)'}; ${linked.reason ?? 'it was closed'}, so this new case was opened for it at ${INTERNAL_LEVEL[c.level]} in ${c.department}.`
    : `${c.customer.name ?? from} (${from}) replied by email. The reply is on the case's timeline as a public comment; the case is ${c.status} at ${INTERNAL_LEVEL[c.level]} in ${c.department}.`;
  return internalDraft(i, `Case ${referenceOf(c)}: the customer replied`, [
    p(lead),
    heading('Their reply'),
    quote((linked ? c.description : e.summary) ?? ''),
    ...(e.data?.['truncated'] ? [p('The reply was longer than a comment may be and was cut; the whole message is kept with the inbound mail.')] : []),
    ...(items.length ? [heading('Attachments'), { kind: 'list' as const, items }] : []),
    ...caseFacts(i),
    ...deadlineFacts(i),
  ]);
}

const TEMPLATES: { readonly [K in TemplateName]: (i: RenderInput) => Draft } = {
  acknowledgement,
  'status-update': statusUpdate,
  'public-comment': publicComment,
  resolution,
  'overdue-apology': overdueApology,
  'follow-up': followUp,
  'escalation-alert': escalationAlert,
  'breach-warning': breachWarning,
  'breach-alert': breachAlert,
  'overdue-alert': overdueAlert,
  'approval-request': approvalRequest,
  'customer-reply': customerReply,
};
