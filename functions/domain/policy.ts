// Domain: the escalation policy document — budgets, deadlines, routing, authority, recipients — validated once.
import { z } from 'zod';
import { durationMs, durationProblem } from './duration.ts';
import { DepartmentName, Level, LEVELS, Priority, Tier, type Level as LevelT, type Priority as PriorityT } from './model.ts';

const IsoDuration = z
  .string()
  .superRefine((v, ctx) => {
    const problem = durationProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe('an ISO-8601 duration in weeks, days, hours, minutes or seconds, e.g. PT4H or P30D');

const LevelBudgets = z.strictObject({ L0: IsoDuration, L1: IsoDuration, L2: IsoDuration, L3: IsoDuration });
const Budgets = z.strictObject({ P1: LevelBudgets, P2: LevelBudgets, P3: LevelBudgets, P4: LevelBudgets });
const Emails = z.array(z.email()).max(20);
const PerLevel = <T extends z.ZodType>(t: T) => z.partialRecord(Level, t);

const RoutingRule = z.strictObject({
  when: z.strictObject({
    priorities: z.array(Priority).min(1).optional(),
    tiers: z.array(Tier).min(1).optional(),
    categories: z.array(z.string()).min(1).optional(),
    minLifetimeValue: z.number().nonnegative().optional(),
  }),
  level: Level.optional(),
  department: DepartmentName.optional(),
  note: z.string().optional(),
});

export const PolicySchema = z
  .strictObject({
    name: z.string().min(1),
    closeBy: IsoDuration.default('P30D').describe('every case must be closed this long after creation'),
    followUpAfter: IsoDuration.default('P3D').describe('after resolution, wait this long, then send the satisfaction survey'),
    warnAt: z
      .number()
      .gt(0)
      .lt(1)
      .nullable()
      .default(0.8)
      .describe('share of a level\'s budget after which its managers get a pre-breach warning; null turns warnings off'),
    budgets: Budgets.describe('time budget of each level, per priority'),
    departments: z.record(
      DepartmentName,
      z.strictObject({
        budgets: Budgets.optional().describe('this department\'s own SLA, replacing the default budgets'),
        managers: PerLevel(Emails).default({}).describe('who is alerted when a case of this department reaches a level'),
      }),
    ),
    routing: z.strictObject({
      defaultLevel: Level.default('L0'),
      defaultDepartment: DepartmentName,
      categories: z.record(z.string(), DepartmentName).default({}),
      rules: z.array(RoutingRule).default([]),
    }),
    compensation: z.strictObject({
      currency: z.string().regex(/^[A-Z]{3}$/),
      authority: z.strictObject({ L0: z.number().nonnegative(), L1: z.number().nonnegative(), L2: z.number().nonnegative(), L3: z.number().nonnegative() }),
      tierMultiplier: z.strictObject({ standard: z.number().positive(), gold: z.number().positive(), platinum: z.number().positive() }),
      lifetimeValueShare: z.number().positive().max(1).nullable().default(null),
    }),
    notifications: z.strictObject({
      from: z.email(),
      replyTo: z.email().optional(),
      configurationSet: z.string().optional(),
      managers: PerLevel(Emails).default({}).describe('fallback recipients per level when a department names none'),
      publicBaseUrl: z.url().describe('where customers reach the API (survey links)'),
      consoleUrl: z
        .url()
        .optional()
        .describe('the ops console\'s base URL, e.g. https://d111.cloudfront.net/console (links in manager emails and the workflow route); the local stack sets its own'),
      companyName: z.string().default('Escalator'),
    }),
  })
  .superRefine((p, ctx) => {
    const known = new Set(Object.keys(p.departments));
    const check = (dept: string | undefined, path: (string | number)[]) => {
      if (dept !== undefined && !known.has(dept)) ctx.addIssue({ code: 'custom', path, message: `unknown department "${dept}"` });
    };
    check(p.routing.defaultDepartment, ['routing', 'defaultDepartment']);
    for (const [category, dept] of Object.entries(p.routing.categories)) check(dept, ['routing', 'categories', category]);
    p.routing.rules.forEach((r, i) => check(r.department, ['routing', 'rules', i, 'department']));
  });

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

/** The current level's budget: the department's own SLA when it has one, else the default. */
export function levelBudgetMs(policy: Policy, priority: PriorityT, level: LevelT, department: string): number {
  const budgets = (isKnownDepartment(policy, department) ? policy.departments[department]!.budgets : undefined) ?? policy.budgets;
  return durationMs(budgets[priority][level]);
}

export function closeByMs(policy: Policy): number {
  return durationMs(policy.closeBy);
}

export function followUpMs(policy: Policy): number {
  return durationMs(policy.followUpAfter);
}

/** Managers alerted for a level in a department: the department's own list, else the policy-wide one. */
export function managersFor(policy: Policy, level: LevelT, department: string): string[] {
  const own = isKnownDepartment(policy, department) ? policy.departments[department]!.managers[level] : undefined;
  return own ?? policy.notifications.managers[level] ?? [];
}

export function isKnownDepartment(policy: Policy, department: string): boolean {
  return Object.hasOwn(policy.departments, department);
}

export { LEVELS };
