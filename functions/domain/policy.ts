// Domain: the escalation policy document — budgets, deadlines, routing, authority, recipients — validated once.
import { createHash } from 'node:crypto';
import * as z from './zod.ts';
import { deferred } from './zod.ts';
import { CalendarName, CalendarSchema, calendarClock, roundTheClock, type Calendar, type WorkingClock } from './calendar.ts';
import { durationMs, durationProblem } from './duration.ts';
import { DepartmentName, Level, LEVELS, Priority, Tier, type Level as LevelT, type Priority as PriorityT } from './model.ts';

// Built when first used, helpers and all: only the simulate route (a draft sent to it) and the policy file's readers
// validate a policy; every function is handed one validated already (functions/commons/config.ts), and its bundle
// drops all of this (test/cdk/bundles.test.ts).
export const PolicySchema = /* @__PURE__ */ deferred(policySchema);

function policySchema() {
  const IsoDuration = z.string().check(
    z.superRefine((v, ctx) => {
      const problem = durationProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    z.describe('an ISO-8601 duration in weeks, days, hours, minutes or seconds, e.g. PT4H or P30D'),
  );

  const LevelBudgets = z.strictObject({ L0: IsoDuration, L1: IsoDuration, L2: IsoDuration, L3: IsoDuration });
  const Budgets = z.strictObject({ P1: LevelBudgets, P2: LevelBudgets, P3: LevelBudgets, P4: LevelBudgets });
  const Emails = z.array(z.email()).check(z.maxLength(20));
  const PerLevel = <T extends z.ZodMiniType>(t: T) => z.partialRecord(Level, t);
  const NonNegative = () => z.number().check(z.nonnegative());
  const Positive = () => z.number().check(z.positive());
  const described = <T extends z.ZodMiniType>(schema: T, description: string): T => schema.check(z.describe(description));

  const RoutingRule = z.strictObject({
    when: z.strictObject({
      priorities: z.optional(z.array(Priority).check(z.minLength(1))),
      tiers: z.optional(z.array(Tier).check(z.minLength(1))),
      categories: z.optional(z.array(z.string()).check(z.minLength(1))),
      minLifetimeValue: z.optional(NonNegative()),
    }),
    level: z.optional(Level),
    department: z.optional(DepartmentName),
    note: z.optional(z.string()),
  });

  return z
    .strictObject({
      name: z.string().check(z.minLength(1)),
      closeBy: described(z._default(IsoDuration, 'P30D'), 'every case must be closed this long after creation'),
      closeByCounts: described(
        z._default(z.enum(['calendar-time', 'working-time']), 'calendar-time'),
        'closeBy counts calendar time (the default: 30 days are 30 days) or working time on the case\'s calendar',
      ),
      followUpAfter: described(z._default(IsoDuration, 'P3D'), 'after resolution, wait this long, then send the satisfaction survey'),
      reopenWithin: described(
        z._default(IsoDuration, 'P7D'),
        'a customer\'s email reply this long after the resolution still reopens the case; a later one opens a new linked case (a repeat escalation)',
      ),
      warnAt: described(
        z._default(z.nullable(z.number().check(z.gt(0), z.lt(1))), 0.8),
        'share of a level\'s budget after which its managers get a pre-breach warning; null turns warnings off',
      ),
      budgets: described(Budgets, 'time budget of each level, per priority'),
      calendars: described(
        z._default(z.record(CalendarName, CalendarSchema), {}),
        'working calendars by name: budgets, warning shares and the follow-up count only their working windows',
      ),
      calendar: described(z.optional(CalendarName), 'the default calendar; without one (and without a department\'s) the clock runs round the clock'),
      roundTheClock: described(z._default(z.array(Priority), []), 'priorities held round the clock whatever the calendar, e.g. ["P1"]'),
      departments: z.record(
        DepartmentName,
        z.strictObject({
          budgets: described(z.optional(Budgets), 'this department\'s own SLA, replacing the default budgets'),
          calendar: described(z.optional(z.nullable(CalendarName)), 'this department\'s calendar instead of the default; null = round the clock'),
          managers: described(z._default(PerLevel(Emails), {}), 'who is alerted when a case of this department reaches a level'),
        }),
      ),
      routing: z.strictObject({
        defaultLevel: z._default(Level, 'L0'),
        defaultDepartment: DepartmentName,
        categories: z._default(z.record(z.string(), DepartmentName), {}),
        rules: z._default(z.array(RoutingRule), []),
      }),
      compensation: z.strictObject({
        currency: z.string().check(z.regex(/^[A-Z]{3}$/)),
        authority: z.strictObject({ L0: NonNegative(), L1: NonNegative(), L2: NonNegative(), L3: NonNegative() }),
        tierMultiplier: z.strictObject({ standard: Positive(), gold: Positive(), platinum: Positive() }),
        lifetimeValueShare: z._default(z.nullable(z.number().check(z.positive(), z.maximum(1))), null),
      }),
      notifications: z.strictObject({
        from: z.email(),
        replyTo: z.optional(z.email()),
        configurationSet: z.optional(z.string()),
        managers: described(z._default(PerLevel(Emails), {}), 'fallback recipients per level when a department names none'),
        publicBaseUrl: described(z.url(), 'where customers reach the API (survey links)'),
        consoleUrl: described(
          z.optional(z.url()),
          'the ops console\'s base URL, e.g. https://d111.cloudfront.net/console (links in manager emails and the workflow route); the local stack sets its own',
        ),
        companyName: z._default(z.string(), 'Escalator'),
        warningDigest: described(
          z._default(z.nullable(IsoDuration), null),
          'pre-breach warnings to one manager falling within this span go out as one digest, when the span closes (never after the earliest deadline in it; the reconciler sends it); null: each warning at once',
        ),
      }),
    })
    .check(z.superRefine((p, ctx) => {
      const known = new Set(Object.keys(p.departments));
      const check = (dept: string | undefined, path: (string | number)[]) => {
        if (dept !== undefined && !known.has(dept)) ctx.addIssue({ code: 'custom', path, message: `unknown department "${dept}"` });
      };
      check(p.routing.defaultDepartment, ['routing', 'defaultDepartment']);
      for (const [category, dept] of Object.entries(p.routing.categories)) check(dept, ['routing', 'categories', category]);
      p.routing.rules.forEach((r, i) => check(r.department, ['routing', 'rules', i, 'department']));
      const calendars = Object.keys(p.calendars);
      const checkCalendar = (name: string | null | undefined, path: (string | number)[]) => {
        if (name != null && !Object.hasOwn(p.calendars, name)) {
          ctx.addIssue({ code: 'custom', path, message: `unknown calendar "${name}"; known: ${calendars.join(', ') || 'none (add it under calendars)'}` });
        }
      };
      checkCalendar(p.calendar, ['calendar']);
      for (const [dept, d] of Object.entries(p.departments)) checkCalendar(d.calendar, ['departments', dept, 'calendar']);
    }));
}

export type Policy = z.output<typeof PolicySchema>;

export class PolicyError extends Error {
  override name = 'PolicyError';
}

/** Parse and validate a policy document; the message names every offending field. */
export function parsePolicy(doc: unknown, source = 'policy'): Policy {
  const r = PolicySchema.safeParse(doc);
  if (!r.success) {
    // One sentence per distinct problem, with every field it applies to: eight budgets of "P1M" read as one mistake.
    const byMessage = new Map<string, string[]>();
    for (const i of r.error.issues) byMessage.set(i.message, [...(byMessage.get(i.message) ?? []), i.path.join('.') || '(root)']);
    const issues = [...byMessage].map(([message, paths]) => `${paths.length > 3 ? `${paths.slice(0, 3).join(', ')} and ${paths.length - 3} more` : paths.join(', ')}: ${message}`);
    throw new PolicyError(`${source} is not a valid escalation policy: ${issues.join('; ')}`);
  }
  return r.data;
}

/**
 * The part of a policy that decides a case's deadlines. A case keeps (pins) the terms it was created under, so a
 * new policy file or a redeploy never silently moves an open case's deadlines; a Policy is itself a SlaTerms.
 */
export interface SlaTerms {
  name: string;
  budgets: Policy['budgets'];
  closeBy: string;
  closeByCounts: Policy['closeByCounts'];
  followUpAfter: string;
  warnAt: number | null;
  // Optional so pinned terms leave out what is empty (no calendars, no overrides): a case item then carries no empty
  // maps, which the local stream stand-in cannot pass on (see pinTerms).
  calendars?: Record<string, Calendar>;
  calendar?: string | undefined;
  roundTheClock?: PriorityT[];
  departments?: Record<string, { budgets?: Policy['budgets'] | undefined; calendar?: string | null | undefined }>;
}

/** Pinned terms as stored on a case: the terms and the version they are known by. */
export interface PinnedTerms extends SlaTerms {
  version: string;
}

const pinnedCache = new WeakMap<object, PinnedTerms>();

/**
 * The policy's SLA terms with their version: `<name>@<12 hex digits of SHA-256>` of the terms in a canonical JSON
 * form. Content-derived, so restarting with the same file keeps the version and any change to budgets, calendars,
 * holidays or the warning share makes a new one — nobody has to remember to bump a number.
 */
export function pinTerms(policy: SlaTerms): PinnedTerms {
  let pinned = pinnedCache.get(policy);
  if (!pinned) {
    // Only what is set: no empty maps or lists (a department without overrides follows the defaults anyway).
    const departments = Object.fromEntries(
      Object.entries(policy.departments ?? {})
        .filter(([, d]) => d.budgets || d.calendar !== undefined)
        .map(([k, d]) => [k, { ...(d.budgets ? { budgets: d.budgets } : {}), ...(d.calendar !== undefined ? { calendar: d.calendar } : {}) }]),
    );
    const terms: SlaTerms = {
      name: policy.name,
      budgets: policy.budgets,
      closeBy: policy.closeBy,
      closeByCounts: policy.closeByCounts,
      followUpAfter: policy.followUpAfter,
      warnAt: policy.warnAt,
      ...(Object.keys(policy.calendars ?? {}).length ? { calendars: policy.calendars } : {}),
      ...(policy.calendar !== undefined ? { calendar: policy.calendar } : {}),
      ...(policy.roundTheClock?.length ? { roundTheClock: policy.roundTheClock } : {}),
      ...(Object.keys(departments).length ? { departments } : {}),
    };
    const hash = createHash('sha256').update(canonicalJson(terms)).digest('hex').slice(0, 12);
    pinned = { version: `${policy.name}@${hash}`, ...terms };
    pinnedCache.set(policy, pinned);
  }
  return pinned;
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Which calendar times a case: none for a round-the-clock priority, else the department's, else the default. */
export function calendarNameFor(terms: SlaTerms, priority: PriorityT, department: string): string | null {
  if (terms.roundTheClock?.includes(priority)) return null;
  return departmentCalendarName(terms, department);
}

/** The working hours of a department's people (who receive its warnings), whatever the case's priority. */
export function departmentCalendarName(terms: SlaTerms, department: string): string | null {
  const own = isKnownDepartment(terms, department) ? terms.departments![department]!.calendar : undefined;
  return own !== undefined ? own : (terms.calendar ?? null);
}

/** The clock of a calendar name (null = round the clock). */
export function clockOf(terms: SlaTerms, name: string | null): WorkingClock {
  return name === null ? roundTheClock : calendarClock(name, terms.calendars![name]!);
}

/** The current level's budget: the department's own SLA when it has one, else the default. */
export function levelBudgetMs(policy: SlaTerms, priority: PriorityT, level: LevelT, department: string): number {
  const budgets = (isKnownDepartment(policy, department) ? policy.departments![department]!.budgets : undefined) ?? policy.budgets;
  return durationMs(budgets[priority][level]);
}

/** The warning digest's span in ms, or null when every warning goes out at once. */
export function warningDigestMs(policy: Policy): number | null {
  return policy.notifications.warningDigest === null ? null : durationMs(policy.notifications.warningDigest);
}

export function closeByMs(policy: SlaTerms): number {
  return durationMs(policy.closeBy);
}

export function followUpMs(policy: SlaTerms): number {
  return durationMs(policy.followUpAfter);
}

/** Managers alerted for a level in a department: the department's own list, else the policy-wide one. */
export function managersFor(policy: Policy, level: LevelT, department: string): string[] {
  const own = isKnownDepartment(policy, department) ? policy.departments[department]!.managers[level] : undefined;
  return own ?? policy.notifications.managers[level] ?? [];
}

export function isKnownDepartment(policy: Pick<SlaTerms, 'departments'>, department: string): boolean {
  return Object.hasOwn(policy.departments ?? {}, department);
}

export { LEVELS };
