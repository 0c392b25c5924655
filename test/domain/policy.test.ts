import { describe, expect, it } from 'vitest';
import { closeByMs, followUpMs, isKnownDepartment, levelBudgetMs, managersFor, parsePolicy, PolicyError } from '../../functions/domain/policy.ts';
import { DAY, defaultPolicy, defaultPolicyDocument, demoPolicy, HOUR, MINUTE, SECOND, testPolicy } from '../support/domain-fixtures.ts';

/** The message parsePolicy throws for a document, or a marker when it parses. */
function policyErrorOf(doc: unknown): string {
  try {
    parsePolicy(doc, 'doc.json');
    return '(parsed)';
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyError);
    return (e as Error).message;
  }
}

describe('parsePolicy: the shipped policies', () => {
  it('parses policies/default.json', () => {
    // Prepare
    const doc = defaultPolicyDocument();

    // Act
    const policy = parsePolicy(doc);

    // Assess
    expect(policy.name).toBe('default');
    expect(closeByMs(policy)).toBe(30 * DAY);
    expect(followUpMs(policy)).toBe(3 * DAY);
    expect(policy.warnAt).toBe(0.8);
    expect(Object.keys(policy.departments).sort()).toEqual(['billing', 'engineering', 'support']);
    expect(policy.routing.rules).toHaveLength(4);
    expect(policy.compensation.lifetimeValueShare).toBe(0.2);
  });

  it('parses policies/demo.json with second-scale durations', () => {
    // Prepare (fixture loads the document)
    // Act
    const policy = demoPolicy();

    // Assess
    expect(policy.name).toBe('demo');
    expect(closeByMs(policy)).toBe(3 * MINUTE);
    expect(followUpMs(policy)).toBe(30 * SECOND);
    expect(levelBudgetMs(policy, 'P1', 'L0', 'support')).toBe(10 * SECOND);
    expect(levelBudgetMs(policy, 'P1', 'L0', 'engineering')).toBe(5 * SECOND);
  });

  it('fills the documented defaults of a minimal policy', () => {
    // Prepare
    const b = { L0: 'PT1H', L1: 'PT1H', L2: 'PT1H', L3: 'PT1H' };
    const minimal = {
      name: 'minimal',
      budgets: { P1: b, P2: b, P3: b, P4: b },
      departments: { support: {} },
      routing: { defaultDepartment: 'support' },
      compensation: { currency: 'EUR', authority: { L0: 1, L1: 2, L2: 3, L3: 4 }, tierMultiplier: { standard: 1, gold: 1, platinum: 1 } },
      notifications: { from: 'a@example.com', publicBaseUrl: 'https://x.example.com' },
    };

    // Act
    const policy = parsePolicy(minimal);

    // Assess
    expect(policy.closeBy).toBe('P30D');
    expect(policy.followUpAfter).toBe('P3D');
    expect(policy.warnAt).toBe(0.8);
    expect(policy.routing.defaultLevel).toBe('L0');
    expect(policy.routing.categories).toEqual({});
    expect(policy.routing.rules).toEqual([]);
    expect(policy.compensation.lifetimeValueShare).toBeNull();
    expect(policy.departments['support']!.managers).toEqual({});
    expect(policy.notifications.companyName).toBe('Escalator');
  });
});

describe('parsePolicy: invalid documents name the offending field', () => {
  it('rejects an unknown routing.defaultDepartment', () => {
    // Prepare
    const doc = defaultPolicyDocument();
    doc['routing'].defaultDepartment = 'legal';

    // Act
    const message = policyErrorOf(doc);

    // Assess
    expect(message).toContain('doc.json is not a valid escalation policy');
    expect(message).toContain('routing.defaultDepartment: unknown department "legal"');
  });

  it('rejects a category routed to an unknown department', () => {
    // Prepare
    const doc = defaultPolicyDocument();
    doc['routing'].categories.chargeback = 'finance';

    // Act
    const message = policyErrorOf(doc);

    // Assess
    expect(message).toContain('routing.categories.chargeback: unknown department "finance"');
  });

  it('rejects a routing rule naming an unknown department', () => {
    // Prepare
    const doc = defaultPolicyDocument();
    doc['routing'].rules.push({ when: { tiers: ['gold'] }, department: 'vip' });

    // Act
    const message = policyErrorOf(doc);

    // Assess
    expect(message).toContain('routing.rules.4.department: unknown department "vip"');
  });

  it.each([
    ['budgets.P2.L1', (d: Record<string, any>) => (d['budgets'].P2.L1 = 'P1M'), '"P1M" uses months or years, whose length depends on the calendar; use days or weeks, e.g. P30D'],
    ['closeBy', (d: Record<string, any>) => (d['closeBy'] = '30 days'), '"30 days" is not an ISO-8601 duration; use weeks, days, hours, minutes or seconds, e.g. PT4H or P30D'],
    ['followUpAfter', (d: Record<string, any>) => (d['followUpAfter'] = '-P3D'), '"-P3D" is negative; a duration must be longer than zero'],
    ['departments.engineering.budgets.P1.L3', (d: Record<string, any>) => (d['departments'].engineering.budgets.P1.L3 = 'PT0S'), '"PT0S" is zero; a duration must be longer than zero'],
  ])('names the path and the value of a bad duration, and why (%s)', (path, breakIt, why) => {
    // Prepare
    const doc = defaultPolicyDocument();
    breakIt(doc);

    // Act
    const message = policyErrorOf(doc);

    // Assess
    expect(message).toBe(`doc.json is not a valid escalation policy: ${path}: ${why}`);
  });

  it('says a mistake repeated in many fields once, with the value and the fields it is in', () => {
    // Prepare: P1M for every level of P1 and P2, and the close-by limit
    const doc = defaultPolicyDocument();
    for (const p of ['P1', 'P2']) for (const l of ['L0', 'L1', 'L2', 'L3']) doc['budgets'][p][l] = 'P1M';
    doc['closeBy'] = 'P1M';

    // Act
    const message = policyErrorOf(doc);

    // Assess
    expect(message).toBe(
      'doc.json is not a valid escalation policy: closeBy, budgets.P1.L0, budgets.P1.L1 and 6 more: "P1M" uses months or years, whose length depends on the calendar; use days or weeks, e.g. P30D',
    );
    expect(message.match(/months or years/g)).toHaveLength(1);
  });

  it('rejects unknown fields at the root (strict)', () => {
    // Prepare
    const doc = { ...defaultPolicyDocument(), closeByDays: 30 };

    // Act
    const message = policyErrorOf(doc);

    // Assess
    expect(message).toMatch(/\(root\): .*closeByDays/);
  });

  it.each([
    ['routing', (d: Record<string, any>) => (d['routing'].fallback = 'support')],
    ['routing.rules.0', (d: Record<string, any>) => (d['routing'].rules[0].priority = 'P1')],
    ['routing.rules.0.when', (d: Record<string, any>) => (d['routing'].rules[0].when.tier = 'gold')],
    ['departments.support', (d: Record<string, any>) => (d['departments'].support.email = 'x@example.com')],
    ['budgets.P1', (d: Record<string, any>) => (d['budgets'].P1.L4 = 'PT1H')],
    ['compensation.authority', (d: Record<string, any>) => (d['compensation'].authority.L9 = 1)],
    ['notifications', (d: Record<string, any>) => (d['notifications'].cc = 'x@example.com')],
  ])('rejects unknown fields nested in %s (strict)', (path, breakIt) => {
    // Prepare
    const doc = defaultPolicyDocument();
    breakIt(doc);

    // Act
    const message = policyErrorOf(doc);

    // Assess
    expect(message).toContain(`${path}: Unrecognized key`);
  });

  it('lists every problem, not just the first', () => {
    // Prepare
    const doc = defaultPolicyDocument();
    doc['warnAt'] = 1.5;
    doc['compensation'].currency = 'usd';

    // Act
    const message = policyErrorOf(doc);

    // Assess
    expect(message).toContain('warnAt:');
    expect(message).toContain('compensation.currency:');
  });

  it('accepts warnAt null (warnings off)', () => {
    // Prepare
    const doc = { ...defaultPolicyDocument(), warnAt: null };

    // Act
    const policy = parsePolicy(doc);

    // Assess
    expect(policy.warnAt).toBeNull();
  });
});

describe('levelBudgetMs', () => {
  it('uses the default budgets for a department without its own', () => {
    // Prepare
    const policy = defaultPolicy();

    // Act
    const support = levelBudgetMs(policy, 'P1', 'L0', 'support');
    const billing = levelBudgetMs(policy, 'P3', 'L2', 'billing');

    // Assess
    expect(support).toBe(1 * HOUR);
    expect(billing).toBe(2 * DAY);
  });

  it("uses the department's own budgets when it has them", () => {
    // Prepare
    const policy = defaultPolicy();

    // Act
    const p1 = levelBudgetMs(policy, 'P1', 'L0', 'engineering');
    const p3 = levelBudgetMs(policy, 'P3', 'L0', 'engineering');
    const p4 = levelBudgetMs(policy, 'P4', 'L3', 'engineering');

    // Assess
    expect(p1).toBe(30 * MINUTE); // default would be 1 h
    expect(p3).toBe(1 * DAY); // default would be 8 h
    expect(p4).toBe(7 * DAY); // default would be 5 d
  });

  it('falls back to the default budgets for a department the policy does not know', () => {
    // Prepare
    const policy = defaultPolicy();

    // Act
    const budget = levelBudgetMs(policy, 'P2', 'L0', 'no-such-department');

    // Assess
    expect(budget).toBe(4 * HOUR);
  });
});

describe('managersFor', () => {
  it("returns the department's own managers for a level", () => {
    // Prepare
    const policy = defaultPolicy();

    // Act
    const managers = managersFor(policy, 'L2', 'billing');

    // Assess
    expect(managers).toEqual(['billing-manager@example.com']);
  });

  it('falls back to the policy-wide managers when the department names none for the level', () => {
    // Prepare (test policy: support names no managers, billing only L1)
    const policy = testPolicy();

    // Act
    const supportL3 = managersFor(policy, 'L3', 'support');
    const billingL1 = managersFor(policy, 'L1', 'billing');
    const billingL2 = managersFor(policy, 'L2', 'billing');

    // Assess
    expect(supportL3).toEqual(['exec@example.com', 'vp@example.com']);
    expect(billingL1).toEqual(['billing-leads@example.com']);
    expect(billingL2).toEqual(['manager@example.com']);
  });

  it('returns nobody when neither the department nor the policy names managers for the level', () => {
    // Prepare
    const base = defaultPolicy();
    const policy = {
      ...base,
      departments: { ...base.departments, support: { managers: {} } },
      notifications: { ...base.notifications, managers: {} },
    };

    // Act
    const managers = managersFor(policy, 'L0', 'support');

    // Assess
    expect(managers).toEqual([]);
  });
});

describe('isKnownDepartment', () => {
  it('knows exactly the departments of the policy (not inherited object keys)', () => {
    // Prepare
    const policy = defaultPolicy();

    // Act
    const verdicts = ['support', 'billing', 'engineering', 'legal', 'constructor', 'toString'].map((d) => isKnownDepartment(policy, d));

    // Assess
    expect(verdicts).toEqual([true, true, true, false, false, false]);
  });
});
