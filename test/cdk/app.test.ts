// CDK: the app entry point — policy loading and its one-line errors, context-driven environment, bin/app.ts exit code.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { CfnConfigurationSet } from 'aws-cdk-lib/aws-ses';
import { afterEach, describe, expect, it } from 'vitest';
import { createEscalatorApp, loadPolicy, PolicyFileError } from '../../lib/app.ts';
import { REPO_ROOT } from '../../lib/paths.ts';

const dir = mkdtempSync(join(tmpdir(), 'escalator-cdk-app-'));
const file = (name: string, content: string) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};
const defaultPolicy = () => JSON.parse(readFileSync(join(REPO_ROOT, 'policies/default.json'), 'utf8')) as Record<string, unknown>;

afterEach(() => {
  delete process.env['ESCALATOR_POLICY'];
});

describe('loadPolicy', () => {
  it('reads policies/default.json by default and ESCALATOR_POLICY when set', () => {
    expect(loadPolicy().policy.name).toBe('default');
    process.env['ESCALATOR_POLICY'] = file('other.json', JSON.stringify({ ...defaultPolicy(), name: 'other' }));
    expect(loadPolicy().policy.name).toBe('other');
  });

  it.each([
    ['a missing file', join(dir, 'nope.json'), /not found/],
    ['invalid JSON', file('broken.json', '{ "name": '), /not valid JSON/],
    ['an invalid policy', file('invalid.json', JSON.stringify({ ...defaultPolicy(), budgets: {}, closeBy: 'soon' })), /not a valid escalation policy: .*closeBy.*budgets/],
  ])('refuses %s with a one-line PolicyFileError', (_what, path, message) => {
    let error: unknown;
    try {
      createEscalatorApp({ policyPath: path, bundle: false });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PolicyFileError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });
});

describe('createEscalatorApp', () => {
  it('takes account, region and stack name from context (no lookups), and is environment-agnostic without them', () => {
    const { stack } = createEscalatorApp({ bundle: false, context: { account: '123456789012', region: 'eu-west-1', stackName: 'EscalatorTest' } });
    expect([stack.account, stack.region, stack.stackName]).toEqual(['123456789012', 'eu-west-1', 'EscalatorTest']);
    const { stack: agnostic } = createEscalatorApp({ bundle: false });
    expect(agnostic.resolve(agnostic.region)).toEqual({ Ref: 'AWS::Region' });
  });

  it('names the SES configuration set after the policy when it names one, and verifies sandbox recipients from context', () => {
    const policyPath = file('named-set.json', JSON.stringify({ ...defaultPolicy(), notifications: { ...(defaultPolicy()['notifications'] as object), configurationSet: 'escalator-mail' } }));
    const { stack } = createEscalatorApp({ policyPath, bundle: false, context: { sesSandboxRecipients: 'a@example.com, b@example.com' } });
    expect((stack.notifications.configurationSet.node.defaultChild as CfnConfigurationSet).name).toBe('escalator-mail');
    expect(stack.notifications.sending.identityArns).toHaveLength(3);
    expect(Stack.of(stack).resolve(stack.notifications.sending.configurationSetName)).toEqual({ Ref: expect.any(String) });
  });
});

describe('optional context', () => {
  it('keeps cdk-nag clean with every option on (concrete env, alarm email, sandbox recipients, domain prefix)', () => {
    const { app } = createEscalatorApp({
      bundle: false,
      context: { account: '123456789012', region: 'eu-west-1', alarmEmail: 'ops@example.com', sesSandboxRecipients: 'a@example.com', cognitoDomainPrefix: 'escalator-test' },
    });
    for (const pack of [new AwsSolutionsChecks(), new ServerlessChecks()]) {
      expect(pack.validateScope(app).violations.map((v) => v.ruleName), pack.readPackName).toEqual([]);
    }
  });
});

describe('bin/app.ts', () => {
  it('exits 1 with one line on stderr for a bad policy', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
      cwd: REPO_ROOT,
      env: { ...process.env, ESCALATOR_POLICY: file('bad-for-bin.json', '{}') },
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^escalator: .*not a valid escalation policy/);
  });
});
