// The ops console in a real browser (Debian's chromium through playwright-core) on the real local stack: sign in
// as ops, find a case created through the API, watch it escalate under the demo policy without a reload, open its
// workflow, comment and resolve it from the page; screenshots are saved and checked not to be blank, and axe-core
// finds no serious or critical accessibility violation on the queue and case pages.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureConsoleBuilt } from '../../console/build.ts';
import { ROOT, type LocalStack } from '../../local/stack.ts';
import { eventually, newCaseBody, startTestStack, TestApi } from '../support/stack.ts';

const SHOTS = join(ROOT, 'test-results', 'console');
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync'];

let stack: LocalStack;
let api: TestApi;
let browser: Browser;
let page: Page;

function chromiumPath(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('chromium is not installed: apt-get install -y chromium (CI: .ci/run installs it)');
  }
}

beforeAll(async () => {
  await ensureConsoleBuilt();
  ({ stack, api } = await startTestStack({ policyPath: join(ROOT, 'policies', 'demo.json') }));
  browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_FLAGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  mkdirSync(SHOTS, { recursive: true });
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** Saves a full-page screenshot and proves it is not blank: many distinct colours, counted in a canvas. */
async function screenshot(name: string): Promise<void> {
  const png = await page.screenshot({ fullPage: true });
  writeFileSync(join(SHOTS, `${name}.png`), png);
  const probe = await browser.newPage();
  try {
    await probe.setContent('<canvas></canvas>');
    // Runs in the browser: its DOM globals come from globalThis (this file is type-checked as Node code).
    const colours = await probe.evaluate(async (b64: string) => {
      const dom = globalThis as any; // eslint-disable-line @typescript-eslint/no-explicit-any
      const img = new dom.Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const canvas = dom.document.querySelector('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const ctx = canvas.getContext('2d');
      ctx.drawImage(img, 0, 0);
      const data = ctx.getImageData(0, 0, img.width, img.height).data as Uint8ClampedArray;
      const seen = new Set<number>();
      for (let i = 0; i < data.length; i += 4 * 7) seen.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
      return seen.size;
    }, png.toString('base64'));
    expect(colours, `${name}.png looks blank`).toBeGreaterThan(50);
  } finally {
    await probe.close();
  }
}

/** axe-core, evaluated in the page (not a script tag: the console's CSP allows only its own scripts). */
async function seriousViolations(): Promise<string[]> {
  const source = readFileSync(join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  await page.evaluate(source);
  const violations = await page.evaluate(async () => {
    const r = await (globalThis as unknown as { axe: { run: (o: object) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe.run({ resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.impact} ${v.id}: ${v.targets.join(', ')}`);
}

describe('the ops console', () => {
  it('signs ops in, finds a new case in the queue, watches it escalate, comments and resolves it', { timeout: 180_000 }, async () => {
    // Prepare: sign in through the authorization-code + PKCE flow (the sign-in page is checked by axe too)
    await page.goto(`${api.url}/console/`);
    await page.waitForURL(/\/oauth2\/authorize\?/);
    expect(await seriousViolations()).toEqual([]);
    await page.getByLabel('Username').fill('ops');
    await page.getByLabel('Password').fill('ops-local-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${api.url}/console/`);
    await expect.poll(() => page.locator('#who').textContent()).toContain('ops');

    // Then a case through the API (demo policy: P2 starts at L0 with 15 s per level, warned at half).
    const created = await api.post('/cases', newCaseBody({ priority: 'P2', customer: { id: 'console-c1', email: 'rui@example.org', name: 'Rui Costa', tier: 'standard' }, subject: 'Parcel never arrived' }));
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.body.level).toBe('L0');

    // the case is in the queue, with a live countdown
    const row = page.locator(`tr[data-case="${id}"]`);
    await row.waitFor({ timeout: 15_000 });
    expect(await row.locator('[data-due]').textContent()).toMatch(/^in \d+s$/);
    await page.locator('.counts h2').filter({ hasText: /Open cases: \d+/ }).waitFor();
    await screenshot('queue');
    expect(await seriousViolations()).toEqual([]);

    // search by customer narrows the queue to their cases
    await page.getByLabel('Find a case or a customer').fill('console-c1');
    await page.getByRole('button', { name: 'Find' }).click();
    await page.waitForURL(/customerId=console-c1/);
    await row.waitFor();
    expect(await page.locator('tbody tr').count()).toBe(1);

    // the case page, found by its short reference (as the customer's emails name it); the level changes under our
    // eyes, with no reload
    await page.getByLabel('Find a case or a customer').fill(created.body.reference);
    await page.getByRole('button', { name: 'Find' }).click();
    await page.waitForURL(`${api.url}/console/cases/${id}`);
    // (whatever level it reached by now on a slow machine: the next one is 15 s away at most)
    await page.locator('#case-level').waitFor();
    const shown = (await page.locator('#case-level').textContent())!;
    const next = `L${Number(shown.slice(1)) + 1}`;
    await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));
    await expect.poll(() => page.locator('#case-level').textContent(), { timeout: 30_000, interval: 500 }).toBe(next);
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await expect.poll(() => page.locator('ol.timeline').textContent()).toContain(`escalated automatically from ${shown} to ${next}`);

    // the workflow: drawn from the definition, the current state highlighted, the wake-up that escalated
    await page.locator('#workflow').scrollIntoViewIfNeeded();
    await page.locator('svg.graph .node.current').waitFor();
    expect(await page.locator('svg.graph .node').count()).toBeGreaterThanOrEqual(4);
    expect(await page.locator('svg.graph .node.current').getAttribute('data-state')).toBe('WaitForNextDeadline');
    await expect.poll(() => page.locator('ol.history').textContent()).toContain('escalated; next wake-up at');
    await screenshot('case');
    await page.locator('#workflow').screenshot({ path: join(SHOTS, 'workflow.png') });
    expect(await seriousViolations()).toEqual([]);

    // comment, then resolve, from the page
    const comment = page.locator('form.action').filter({ hasText: 'Add comment' });
    await comment.getByLabel('Comment').fill('Called the courier: the parcel is lost; refund agreed.');
    await comment.getByRole('button', { name: 'Add comment' }).click();
    await expect.poll(() => page.locator('ol.timeline').textContent()).toContain('Called the courier: the parcel is lost');
    const resolve = page.locator('form.action').filter({ hasText: 'Resolve' });
    await resolve.getByLabel(/Resolution/).fill('Refund of 49.00 USD issued today.');
    await resolve.getByRole('button', { name: 'Resolve' }).click();
    await expect.poll(() => page.locator('.case-head').textContent()).toContain('RESOLVED');
    await expect.poll(() => page.locator('td.end-reason').allTextContents(), { timeout: 15_000 }).toContain('superseded by v2: resolved');
    await screenshot('case-resolved');

    // Assess: the API saw it all, with the person as the actor
    const timeline = (await api.get(`/cases/${id}/timeline`)).body.events as { type: string; actor: { id: string } }[];
    expect(timeline.filter((e) => e.type === 'commented' || e.type === 'resolved').map((e) => [e.type, e.actor.id])).toEqual([
      ['commented', 'ops'],
      ['resolved', 'ops'],
    ]);
  });

  it('shows a manager the email kept aside from a case (a stranger writing to its reply address), with why, linked to the case', { timeout: 120_000 }, async () => {
    // Prepare: a case, and the reply address its acknowledgement carries
    const customer = 'lena@example.org';
    const created = await api.post('/cases', newCaseBody({ priority: 'P3', customer: { id: 'console-c2', email: customer, name: 'Lena Vogt', tier: 'standard' }, subject: 'Wrong size delivered' }));
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const ack = await eventually(async () => (await api.emails()).find((m) => m.destination.to.includes(customer) && m.subject.includes(created.body.reference)));
    const replyTo = (ack as unknown as { replyTo: string[] }).replyTo[0]!;

    // Act: someone who is not the customer writes to it
    const raw = await new MailComposer({ from: 'mallory@example.net', to: replyTo, subject: 'Re: please send the refund to me instead', text: 'Use my account.', messageId: `<stranger-${Date.now()}@example.net>` }).compile().build();
    const transport = createTransport({ host: '127.0.0.1', port: stack.ports.smtp, secure: false, ignoreTLS: true });
    try {
      await transport.sendMail({ envelope: { from: 'mallory@example.net', to: [replyTo] }, raw });
    } finally {
      transport.close();
    }

    // Assess: the managers' page lists it with the reason in words and a link to the case it named
    await page.goto(`${api.url}/console/`);
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Kept-aside email' }).click();
    await page.waitForURL(`${api.url}/console/inbound`);
    const row = page.locator('tbody tr').filter({ hasText: 'please send the refund to me instead' });
    await row.waitFor({ timeout: 15_000 });
    expect(await row.locator('[data-reason]').getAttribute('data-reason')).toBe('not-the-customer');
    expect(await row.locator('[data-reason]').textContent()).toBe('not the case\'s customer');
    expect(await row.textContent()).toContain('mallory@example.net');
    await screenshot('inbound');
    expect(await seriousViolations()).toEqual([]);
    await row.getByRole('link', { name: 'Open case' }).click();
    await page.waitForURL(`${api.url}/console/cases/${id}`);
    // … and nothing of it is on the case
    const events = (await api.get(`/cases/${id}/timeline`)).body.events as { type: string; summary: string }[];
    expect(events.filter((e) => e.summary.includes('refund to me'))).toEqual([]);
  });

  it('pages the queue forward and back (the API pages forward only; the page keeps the cursors behind)', { timeout: 120_000 }, async () => {
    // Prepare: more open cases than one page (25) holds
    for (let i = 0; i < 26; i++) expect((await api.post('/cases', newCaseBody({ priority: 'P4', customer: { id: `pager-${i}`, email: `pager-${i}@example.org` } }))).status).toBe(201);

    // Act + Assess
    await page.goto(`${api.url}/console/`);
    const rows = page.locator('table.queue tbody tr[data-case]');
    await expect.poll(() => rows.count()).toBe(25);
    const pager = page.getByRole('navigation', { name: 'Queue pages' });
    expect(await pager.getByRole('button', { name: '← Previous page' }).count()).toBe(0);
    // (Open cases stay open until someone resolves them, so the count holds while the test pages; the order may not,
    // as their timers escalate them, so the pages are told apart by size.)
    const open = (await api.get('/queue')).body.total as number;
    expect(open).toBeGreaterThan(25);
    await pager.getByRole('button', { name: 'Next page →' }).click();
    await expect.poll(() => rows.count()).toBe(Math.min(25, open - 25));
    await pager.getByRole('button', { name: '← Previous page' }).click();
    await expect.poll(() => rows.count()).toBe(25);
    await pager.getByRole('button', { name: 'Next page →' }).waitFor();
    expect(await pager.getByRole('button', { name: '← Previous page' }).count()).toBe(0);
  });
});
