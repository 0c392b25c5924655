// Domain: why each of a case's deadlines is what it is — the policy version and calendar, the working windows that
// were counted, pauses, escalations, the budget used and left — as data and in plain sentences an agent can check
// against a wall clock. Pure: a function of (case, its recorded events, current policy, now); GET /cases/{id}/sla
// serves it.
import { describeWeek, localTime, type Span, type WorkingClock } from './calendar.ts';
import type { CaseRecord, TimelineEvent } from './model.ts';
import { durationMs } from './duration.ts';
import { calendarNameFor, closeByMs, followUpMs, pinTerms, type Policy } from './policy.ts';
import { caseClock, followUpAt, nextWakeUp, recipientsClock, termsOf, warningAt } from './sla.ts';

/** Working windows listed per deadline; a longer budget says how many more it counted. */
const MAX_WINDOWS = 20;

export interface CountedWindow {
  start: string;
  end: string;
  ms: number;
  /** The window in the calendar's local time, e.g. "Mon 9 Mar 2026 09:00 – 13:00 Europe/Berlin". */
  local: string;
}

export interface DeadlineExplanation {
  kind: 'level' | 'warning' | 'closeBy' | 'followUp';
  /** The absolute instant (null: no such deadline now, `explanation` says why). */
  at: string | null;
  /** The instant in the calendar's local time. */
  local: string | null;
  counts: 'working-time' | 'calendar-time';
  explanation: string;
  budget?: { iso: string; ms: number; startedAt: string; usedMs: number; leftMs: number; overrunMs: number };
  windows?: CountedWindow[];
  moreWindows?: number;
}

export interface SlaExplanation {
  caseId: string;
  asOf: string;
  status: CaseRecord['status'];
  priority: CaseRecord['priority'];
  level: CaseRecord['level'];
  department: string;
  policy: { version: string; name: string; pinned: boolean; current: string; upToDate: boolean; explanation: string };
  clock: { calendar: string | null; timeZone: string | null; week: string | null; holidays: string[]; explanation: string };
  nextWakeUp: string | null;
  deadlines: DeadlineExplanation[];
  pauses: { from: string; to: string | null; workingMs: number; explanation: string }[];
  escalations: { at: string; type: string; automatic: boolean; from?: unknown; to?: unknown; summary: string }[];
  /** The explanation in sentences, most important first. */
  summary: string[];
}

/** A span of time in words: "4 h", "1 h 30 min", "2 d 3 h", "12 s". */
export function formatDuration(ms: number): string {
  const parts: string[] = [];
  let s = Math.round(ms / 1000);
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['min', 60], ['s', 1]] as const) {
    const n = Math.floor(s / size);
    if (n) parts.push(`${n} ${unit}`);
    s -= n * size;
  }
  return parts.length ? parts.slice(0, 3).join(' ') : '0 s';
}

/** Events that start a level's budget afresh (a priority change or a policy move keep its start). */
const LEVEL_EVENTS = new Set(['created', 'escalated', 'transferred', 'reopened', 'sla.overdue']);

/** `events` are the case's recorded events, oldest first (its pauses and escalations come from them). */
export function explainSla(c: CaseRecord, events: readonly TimelineEvent[], policy: Policy, now: Date): SlaExplanation {
  const terms = termsOf(c, policy);
  const current = pinTerms(policy).version;
  const version = c.slaTerms?.version ?? current;
  const clock = caseClock(c, policy);
  const calendarName = calendarNameFor(terms, c.priority, c.department);
  const calendar = calendarName ? terms.calendars![calendarName]! : undefined;
  const zone = calendar?.timeZone ?? null;
  const when = (ms: number) => localTime(ms, zone);
  const counts = clock.calendar ? 'working-time' : 'calendar-time';
  const nowMs = now.getTime();
  const open = c.status === 'OPEN' || c.status === 'PAUSED';

  // ---- policy and clock ----
  const policyText = !c.slaTerms
    ? `This case was created before policy versions were pinned, so it follows the current policy ${current}.`
    : version === current
      ? `Timed by policy ${version}, the current policy.`
      : `Timed by policy ${version}, the version it was created under (or last moved to); the current policy is ${current}. Its deadlines stay on ${version} until a manager moves it (POST /cases/${c.id}/policy).`;
  const clockText = !calendar
    ? terms.roundTheClock?.includes(c.priority) && (terms.calendar || Object.values(terms.departments ?? {}).some((d) => d.calendar))
      ? `${c.priority} cases are held round the clock: every hour counts, nights, weekends and holidays included.`
      : 'No working calendar applies to this case: the clock runs round the clock.'
    : `Only working time counts, on the ${calendarName} calendar (${zone}: ${describeWeek(calendar)}${calendar.holidays.length ? `; ${calendar.holidays.length} holiday${calendar.holidays.length > 1 ? 's' : ''}` : ''})${departmentCalendarReason(terms, c.department, calendarName!)}.`;
  // The next holidays (from yesterday in UTC, so the calendar's local today is never left out).
  const upcomingHolidays = calendar ? calendar.holidays.filter((d) => d >= iso(nowMs - 86_400_000).slice(0, 10)).slice(0, 10) : [];

  // ---- pauses and escalations, from the timeline ----
  const pauses = pausesOf(events, clock, when);
  const levelSince = [...events].reverse().find((e) => LEVEL_EVENTS.has(e.type));
  const escalations = events
    .filter((e) => e.type === 'escalated' || e.type === 'transferred' || (e.type === 'sla.overdue' && e.changes?.['level']))
    .map((e) => ({
      at: e.at,
      type: e.type,
      automatic: e.actor.kind === 'system',
      ...(e.changes?.['level'] ? { from: e.changes['level'].before, to: e.changes['level'].after } : {}),
      ...(e.changes?.['department'] ? { from: e.changes['department'].before, to: e.changes['department'].after } : {}),
      summary: e.summary ?? e.type,
    }));

  // ---- the current level's budget ----
  const deadlines: DeadlineExplanation[] = [];
  const start = Date.parse(c.sla.levelStartedAt);
  const due = Date.parse(c.sla.levelDueAt);
  const budgetIso = levelBudget(terms, c);
  const budgetMs = clock.between(start, due);
  const clockAt = c.status === 'PAUSED' && c.sla.pausedAt ? Date.parse(c.sla.pausedAt) : open ? nowMs : Math.min(nowMs, Date.parse(c.resolvedAt ?? c.updatedAt));
  const usedMs = clock.between(start, Math.min(clockAt, due));
  const overrunMs = clock.between(due, clockAt);
  // The level really began at its event; pauses since then moved levelStartedAt later by their working time. The
  // windows listed are the working time counted against the budget: from the real start, pauses cut out.
  const levelBegan = Math.min(start, levelSince ? Date.parse(levelSince.at) : start);
  const levelPauses = pauses.filter((p) => Date.parse(p.from) >= levelBegan);
  const spans = withoutPauses(clock.spans(levelBegan, due), levelPauses, clockAt);
  const firstWorking = spans[0]?.start ?? due;
  const levelParts = [
    `The ${c.level} budget for ${c.priority} cases in ${c.department} is ${budgetIso} (${formatDuration(budgetMs)}) of ${counts === 'working-time' ? 'working time' : 'time'}.`,
    `It started ${when(levelBegan)}${levelSince ? `, ${levelEventWords(levelSince)}` : ''}${firstWorking > levelBegan ? `; that was outside working hours, so the clock started ${when(firstWorking)}` : ''}.`,
    ...(counts === 'working-time' ? [`Counted: ${spans.slice(0, 6).map((s) => windowWords(s, zone)).join(', ')}${spans.length > 6 ? ` and ${spans.length - 6} more windows` : ''}.`] : []),
    ...levelPauses.map((p) => p.explanation),
    c.sla.breached
      ? ''
      : open
        ? `${formatDuration(usedMs)} used, ${formatDuration(Math.max(0, budgetMs - usedMs))} left${c.status === 'PAUSED' ? ' (the clock is stopped while paused)' : ''}${overrunMs > 0 ? `; ${formatDuration(overrunMs)} over` : ''}.`
        : `The case is ${c.status}; the level's clock stopped at ${when(clockAt)} with ${formatDuration(usedMs)} used.`,
    `Due ${when(due)} (${c.sla.levelDueAt})${c.level === 'L3' ? ': when it runs out the case is flagged breached' : ': when it runs out the case escalates to the next level'}.`,
  ].filter(Boolean);
  deadlines.push({
    kind: 'level',
    at: c.sla.levelDueAt,
    local: when(due),
    counts,
    explanation: levelParts.join(' '),
    budget: { iso: budgetIso, ms: budgetMs, startedAt: c.sla.levelStartedAt, usedMs, leftMs: Math.max(0, budgetMs - usedMs), overrunMs },
    windows: spans.slice(0, MAX_WINDOWS).map((s) => ({ start: iso(s.start), end: iso(s.end), ms: s.end - s.start, local: windowWords(s, zone) })),
    ...(spans.length > MAX_WINDOWS ? { moreWindows: spans.length - MAX_WINDOWS } : {}),
  });

  // ---- the pre-breach warning ----
  const warn = open ? warningAt(c, policy) : undefined;
  const recipients = recipientsClock(c, policy);
  deadlines.push({
    kind: 'warning',
    at: warn ?? null,
    local: warn ? when(Date.parse(warn)) : null,
    counts,
    explanation:
      terms.warnAt === null
        ? 'Pre-breach warnings are off in this policy.'
        : !open
          ? `No warning: the case is ${c.status}.`
          : c.sla.warned
            ? `The ${c.level} managers were already warned for this level.`
            : c.sla.breached
              ? 'No warning: the top level\'s budget has run out.'
              : warn
                ? `The ${c.level} managers are warned when ${Math.round(terms.warnAt * 100)} % of the budget is used (${formatDuration(Math.floor(budgetMs * terms.warnAt))}), inside their working hours${recipients.calendar ? ` (${recipients.calendar})` : ''}: ${when(Date.parse(warn))}.${policy.notifications.warningDigest ? ` Warnings to the same manager falling within ${formatDuration(durationMs(policy.notifications.warningDigest))} of each other go out together as one digest, when that span closes.` : ''}`
                : `No warning for this level: ${Math.round(terms.warnAt * 100)} % of the budget falls outside the managers' working hours${recipients.calendar ? ` (${recipients.calendar})` : ''} and they would only be reached after the deadline; the breach alert tells them then.`,
  });

  // ---- close-by ----
  const closeBy = Date.parse(c.sla.closeBy);
  const closeCounts = terms.closeByCounts;
  deadlines.push({
    kind: 'closeBy',
    at: c.sla.closeBy,
    local: when(closeBy),
    counts: closeCounts === 'working-time' && clock.calendar ? 'working-time' : 'calendar-time',
    explanation: `Close by ${when(closeBy)} (${c.sla.closeBy}): ${terms.closeBy} (${formatDuration(closeByMs(terms))}) of ${closeCounts === 'working-time' && clock.calendar ? 'working time' : 'calendar time'} after creation; pauses do not extend it.${c.sla.overdue ? ' It has passed: the case is flagged overdue.' : ''}`,
  });

  // ---- follow-up ----
  if (c.status === 'RESOLVED' || c.status === 'CLOSED') {
    const fu = followUpAt(c, policy);
    deadlines.push({
      kind: 'followUp',
      at: c.status === 'RESOLVED' ? (fu ?? null) : null,
      local: fu && c.status === 'RESOLVED' ? when(Date.parse(fu)) : null,
      counts,
      explanation:
        c.status === 'RESOLVED' && fu
          ? `The satisfaction survey goes out ${terms.followUpAfter} (${formatDuration(followUpMs(terms))}) of ${counts === 'working-time' ? 'working time' : 'time'} after the resolution: ${when(Date.parse(fu))}; the case then closes.`
          : 'The case is closed; the follow-up is done.',
    });
  }

  const summary = [
    policyText,
    clockText,
    ...(open ? [deadlines[0]!.explanation] : [deadlines.at(-1)!.explanation]),
    ...(escalations.length ? [`${escalations.length} escalation${escalations.length > 1 ? 's' : ''} so far: ${escalations.map((e) => `${e.automatic ? 'automatic' : 'by hand'} ${e.type === 'transferred' ? 'transfer' : 'escalation'} ${e.from}→${e.to} at ${when(Date.parse(e.at))}`).join('; ')}.`] : []),
  ];

  return {
    caseId: c.id,
    asOf: now.toISOString(),
    status: c.status,
    priority: c.priority,
    level: c.level,
    department: c.department,
    policy: { version, name: terms.name, pinned: Boolean(c.slaTerms), current, upToDate: version === current, explanation: policyText },
    clock: { calendar: calendarName, timeZone: zone, week: calendar ? describeWeek(calendar) : null, holidays: upcomingHolidays, explanation: clockText },
    nextWakeUp: nextWakeUp(c, policy),
    deadlines,
    pauses,
    escalations,
    summary,
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

function levelBudget(terms: ReturnType<typeof termsOf>, c: CaseRecord): string {
  // The same entry levelBudgetMs reads: the department's own budgets, else the default.
  const own = terms.departments && Object.hasOwn(terms.departments, c.department) ? terms.departments[c.department]!.budgets : undefined;
  return (own ?? terms.budgets)[c.priority][c.level];
}

function departmentCalendarReason(terms: ReturnType<typeof termsOf>, department: string, calendar: string): string {
  const own = terms.departments && Object.hasOwn(terms.departments, department) ? terms.departments[department]!.calendar : undefined;
  return own === calendar ? `, the ${department} department's calendar` : ', the policy\'s default calendar';
}

function windowWords(s: Span, zone: string | null): string {
  const from = localTime(s.start, zone);
  const to = localTime(s.end, zone);
  // "Mon 9 Mar 2026 09:00 Europe/Berlin" + "13:00": the end's time only when it is the same local day
  const [fromDay, toDay] = [from.split(' ').slice(0, 4).join(' '), to.split(' ').slice(0, 4).join(' ')];
  const toTime = fromDay === toDay ? to.split(' ')[4] : to.replace(` ${zone ?? 'UTC'}`, '');
  return `${from.replace(` ${zone ?? 'UTC'}`, '')}–${toTime} (${formatDuration(s.end - s.start)})`;
}

function levelEventWords(e: TimelineEvent): string {
  switch (e.type) {
    case 'created':
      return 'when the case was created';
    case 'escalated':
      return e.actor.kind === 'system' ? `when the previous level's budget ran out and the case escalated to ${String(e.changes?.['level']?.after ?? '')}` : 'when the case was escalated by hand';
    case 'transferred':
      return `when the case was transferred to ${String(e.changes?.['department']?.after ?? '')}`;
    case 'reopened':
      return 'when the case was reopened';
    case 'sla.overdue':
      return 'when the close-by deadline passed and the case moved to the top level';
    case 'priority.changed':
      return `(the priority changed to ${String(e.changes?.['priority']?.after ?? '')} later; the budget is measured from the level's start)`;
    case 'policy.adopted':
      return '(recomputed when the case was moved to the current policy)';
    default:
      return '';
  }
}

/** The spans with the paused stretches cut out (an open pause runs to `until`). */
function withoutPauses(spans: Span[], pauses: SlaExplanation['pauses'], until: number): Span[] {
  let out = spans;
  for (const p of pauses) {
    const [a, b] = [Date.parse(p.from), p.to ? Date.parse(p.to) : until];
    out = out.flatMap((s) => [
      ...(s.start < a ? [{ start: s.start, end: Math.min(s.end, a) }] : []),
      ...(s.end > b ? [{ start: Math.max(s.start, b), end: s.end }] : []),
    ]);
  }
  return out;
}

function pausesOf(timeline: readonly TimelineEvent[], clock: WorkingClock, when: (ms: number) => string): SlaExplanation['pauses'] {
  const out: SlaExplanation['pauses'] = [];
  let from: string | undefined;
  for (const e of timeline) {
    if (e.type === 'paused') from = e.at;
    else if (from && (e.type === 'resumed' || e.type === 'resolved')) {
      const ms = clock.between(Date.parse(from), Date.parse(e.at));
      out.push({
        from,
        to: e.at,
        workingMs: ms,
        explanation: `Paused ${when(Date.parse(from))} to ${when(Date.parse(e.at))}: ${ms ? `${formatDuration(ms)} of working time, which moved the deadline later by as much` : 'no working time, so the deadline did not move'}.`,
      });
      from = undefined;
    }
  }
  if (from) out.push({ from, to: null, workingMs: 0, explanation: `Paused since ${when(Date.parse(from))}: the clock is stopped; on resume the deadline moves later by the working time the pause covered.` });
  return out;
}
