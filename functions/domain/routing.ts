// Domain: routing at intake — which level and department a new case starts with.
import type { Policy } from './policy.ts';
import type { Customer, Level, Priority } from './model.ts';

export interface RoutingInput {
  priority: Priority;
  customer: Pick<Customer, 'tier' | 'lifetimeValue'>;
  category?: string | undefined;
}

export interface RoutingDecision {
  level: Level;
  department: string;
  /** Why: the rules that decided, for the timeline. */
  reasons: string[];
}

/**
 * Routing rules are read top to bottom; every condition of a rule must hold. The first matching rule that
 * names a level sets the level; the first that names a department sets the department. A department not set
 * by a rule comes from the category map, then the default.
 */
export function routeCase(input: RoutingInput, policy: Policy): RoutingDecision {
  const { routing } = policy;
  let level: Level | undefined;
  let department: string | undefined;
  const reasons: string[] = [];
  routing.rules.forEach((rule, i) => {
    if (!matches(rule.when, input)) return;
    const label = rule.note ?? `rule ${i + 1}`;
    if (level === undefined && rule.level) {
      level = rule.level;
      reasons.push(`${label} → ${rule.level}`);
    }
    if (department === undefined && rule.department) {
      department = rule.department;
      reasons.push(`${label} → ${rule.department}`);
    }
  });
  if (department === undefined && input.category !== undefined) {
    const wanted = input.category.toLowerCase();
    const byCategory = Object.entries(routing.categories).find(([k]) => k.toLowerCase() === wanted)?.[1];
    if (byCategory) {
      department = byCategory;
      reasons.push(`category ${input.category} → ${byCategory}`);
    }
  }
  return {
    level: level ?? routing.defaultLevel,
    department: department ?? routing.defaultDepartment,
    reasons,
  };
}

function matches(when: Policy['routing']['rules'][number]['when'], input: RoutingInput): boolean {
  if (when.priorities && !when.priorities.includes(input.priority)) return false;
  if (when.tiers && !when.tiers.includes(input.customer.tier)) return false;
  if (when.categories && (input.category === undefined || !when.categories.some((k) => k.toLowerCase() === input.category!.toLowerCase()))) return false;
  if (when.minLifetimeValue !== undefined && (input.customer.lifetimeValue ?? 0) < when.minLifetimeValue) return false;
  return true;
}
