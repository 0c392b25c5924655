import { describe, expect, it } from 'vitest';
import { routeCase, type RoutingInput } from '../../functions/domain/routing.ts';
import { parsePolicy } from '../../functions/domain/policy.ts';
import { defaultPolicy, defaultPolicyDocument } from '../support/domain-fixtures.ts';

const policy = defaultPolicy();
const standard = { tier: 'standard' as const };

describe('routeCase with the default policy', () => {
  it('starts a P1 for a platinum customer at L2 (the first level rule wins)', () => {
    // Prepare
    const input: RoutingInput = { priority: 'P1', customer: { tier: 'platinum', lifetimeValue: 100_000 } };

    // Act
    const route = routeCase(input, policy);

    // Assess
    expect(route).toEqual({
      level: 'L2',
      department: 'support',
      reasons: ['P1 for a platinum customer starts with a specialist → L2'],
    });
  });

  it.each(['standard', 'gold'] as const)('starts every other P1 (%s) at L1', (tier) => {
    // Prepare
    const input: RoutingInput = { priority: 'P1', customer: { tier } };

    // Act
    const route = routeCase(input, policy);

    // Assess
    expect(route.level).toBe('L1');
    expect(route.reasons).toEqual(['every P1 starts with a senior agent → L1']);
  });

  it('starts a customer with a lifetime value of exactly 50000 at L1', () => {
    // Prepare
    const input: RoutingInput = { priority: 'P3', customer: { tier: 'standard', lifetimeValue: 50_000 } };

    // Act
    const route = routeCase(input, policy);

    // Assess
    expect(route.level).toBe('L1');
    expect(route.reasons).toEqual(['high-value customers start with a senior agent → L1']);
  });

  it('starts a customer just under 50000 (or of unknown value) at the default level L0', () => {
    // Prepare
    const under: RoutingInput = { priority: 'P3', customer: { tier: 'gold', lifetimeValue: 49_999.99 } };
    const unknown: RoutingInput = { priority: 'P3', customer: { tier: 'gold' } };

    // Act
    const a = routeCase(under, policy);
    const b = routeCase(unknown, policy);

    // Assess
    expect(a).toEqual({ level: 'L0', department: 'support', reasons: [] });
    expect(b).toEqual({ level: 'L0', department: 'support', reasons: [] });
  });

  it.each(['P2', 'P3', 'P4'] as const)('starts a platinum customer with a %s at L1', (priority) => {
    // Prepare
    const input: RoutingInput = { priority, customer: { tier: 'platinum' } };

    // Act
    const route = routeCase(input, policy);

    // Assess
    expect(route.level).toBe('L1');
    expect(route.reasons).toEqual(['platinum customers start with a senior agent → L1']);
  });

  it.each([
    ['refund', 'billing'],
    ['invoice', 'billing'],
    ['billing', 'billing'],
    ['bug', 'engineering'],
    ['outage', 'engineering'],
  ])('routes category %s to %s and records why', (category, department) => {
    // Prepare
    const input: RoutingInput = { priority: 'P3', customer: standard, category };

    // Act
    const route = routeCase(input, policy);

    // Assess
    expect(route).toEqual({ level: 'L0', department, reasons: [`category ${category} → ${department}`] });
  });

  it('matches categories case-insensitively', () => {
    // Prepare
    const input: RoutingInput = { priority: 'P3', customer: standard, category: 'Refund' };

    // Act
    const route = routeCase(input, policy);

    // Assess
    expect(route.department).toBe('billing');
  });

  it('sends an unknown category (or none) to the default department support', () => {
    // Prepare
    const unknown: RoutingInput = { priority: 'P4', customer: standard, category: 'shipping' };
    const none: RoutingInput = { priority: 'P4', customer: standard };

    // Act
    const a = routeCase(unknown, policy);
    const b = routeCase(none, policy);

    // Assess
    expect(a).toEqual({ level: 'L0', department: 'support', reasons: [] });
    expect(b).toEqual({ level: 'L0', department: 'support', reasons: [] });
  });

  it('combines a level rule and a category, recording both reasons in order', () => {
    // Prepare
    const input: RoutingInput = { priority: 'P1', customer: { tier: 'platinum' }, category: 'bug' };

    // Act
    const route = routeCase(input, policy);

    // Assess
    expect(route).toEqual({
      level: 'L2',
      department: 'engineering',
      reasons: ['P1 for a platinum customer starts with a specialist → L2', 'category bug → engineering'],
    });
  });
});

describe('routeCase with custom rules', () => {
  const doc = defaultPolicyDocument();
  doc['routing'] = {
    defaultLevel: 'L1',
    defaultDepartment: 'support',
    categories: { refund: 'billing' },
    rules: [
      { when: { categories: ['refund'], minLifetimeValue: 1000 }, department: 'engineering' },
      { when: { tiers: ['gold'] }, level: 'L2', department: 'billing' },
    ],
  };
  const custom = parsePolicy(doc);

  it('lets a rule department override the category map; unnamed rules are labelled by position', () => {
    // Prepare
    const input: RoutingInput = { priority: 'P3', customer: { tier: 'gold', lifetimeValue: 5000 }, category: 'REFUND' };

    // Act
    const route = routeCase(input, custom);

    // Assess
    expect(route).toEqual({ level: 'L2', department: 'engineering', reasons: ['rule 1 → engineering', 'rule 2 → L2'] });
  });

  it('requires every condition of a rule to hold', () => {
    // Prepare (refund, but value below the rule's minimum; not gold)
    const input: RoutingInput = { priority: 'P3', customer: { tier: 'standard', lifetimeValue: 999 }, category: 'refund' };

    // Act
    const route = routeCase(input, custom);

    // Assess
    expect(route).toEqual({ level: 'L1', department: 'billing', reasons: ['category refund → billing'] });
  });

  it('does not match a category rule when the case has no category', () => {
    // Prepare
    const input: RoutingInput = { priority: 'P3', customer: { tier: 'standard', lifetimeValue: 5000 } };

    // Act
    const route = routeCase(input, custom);

    // Assess
    expect(route).toEqual({ level: 'L1', department: 'support', reasons: [] });
  });
});
