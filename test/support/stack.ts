// Test support: a whole local stack per test file (ephemeral ports), and a small HTTP client for its API.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { ROOT, startLocalStack, type LocalStack, type LocalStackOptions } from '../../local/stack.ts';

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface SentEmail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
  at: number;
}

/** A policy file for tests: the demo policy with overrides (e.g. second-scale budgets). */
export function policyFile(overrides: Record<string, unknown> = {}): string {
  const demo = JSON.parse(readFileSync(join(ROOT, 'policies', 'demo.json'), 'utf8')) as Record<string, unknown>;
  const dir = mkdtempSync(join(tmpdir(), 'escalator-policy-'));
  const path = join(dir, 'policy.json');
  writeFileSync(path, JSON.stringify({ ...demo, ...overrides }));
  return path;
}

/** Every level's budget the same number of seconds, for every priority and department. */
export function uniformBudgets(seconds: number) {
  const levels = { L0: `PT${seconds}S`, L1: `PT${seconds}S`, L2: `PT${seconds}S`, L3: `PT${seconds}S` };
  return { P1: levels, P2: levels, P3: levels, P4: levels };
}

export class TestApi {
  private tokens = new Map<string, string>();
  /**
   * Effects (emails, timer hand-overs) follow a write from the table's stream. With `awaitEffects` every write returns
   * once the stream consumer has handled it, so a test asserts on the effects without polling.
   */
  constructor(
    readonly stack: LocalStack,
    readonly awaitEffects = true,
  ) {}

  get url() {
    return this.stack.urls.api;
  }

  async token(scope = 'cases/read cases/write cases/manage'): Promise<string> {
    const cached = this.tokens.get(scope);
    if (cached) return cached;
    const r = await fetch(`${this.url}/oauth2/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('escalator-local:escalator-local-secret').toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope }),
    });
    const body = (await r.json()) as { access_token: string };
    this.tokens.set(scope, body.access_token);
    return body.access_token;
  }

  /** JSON request with the all-scopes token unless `token` says otherwise (null = none). */
  async request<T = any>(method: string, path: string, opts: { body?: unknown; rawBody?: string; headers?: Record<string, string>; token?: string | null } = {}): Promise<ApiResponse<T>> {
    const token = opts.token === undefined ? await this.token() : opts.token;
    const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}) };
    let body: string | undefined;
    if (opts.rawBody !== undefined) body = opts.rawBody;
    else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    const r = await fetch(`${this.url}${path}`, { method, headers: { ...headers, ...opts.headers }, ...(body !== undefined ? { body } : {}) });
    const text = await r.text();
    if (method !== 'GET' && this.awaitEffects) await this.stack.drained();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: r.status, headers: r.headers, body: parsed as T, text };
  }

  get = <T = any>(path: string, opts?: Parameters<TestApi['request']>[2]) => this.request<T>('GET', path, opts);
  post = <T = any>(path: string, body?: unknown, opts?: Parameters<TestApi['request']>[2]) => this.request<T>('POST', path, { ...opts, ...(body !== undefined ? { body } : {}) });

  async emails(): Promise<SentEmail[]> {
    await this.stack.drained();
    const r = await fetch(`${this.stack.urls.ses}/store`);
    return ((await r.json()) as { emails: SentEmail[] }).emails;
  }
}

export function newCaseBody(overrides: Record<string, unknown> = {}) {
  return {
    customer: { id: 'cust-1', email: 'ana@example.org', name: 'Ana Lima', tier: 'standard', lifetimeValue: 1200 },
    subject: 'Order arrived damaged',
    description: 'The box was crushed and the blender inside is cracked.',
    priority: 'P3',
    ...overrides,
  };
}

export async function startTestStack(opts: Partial<LocalStackOptions> = {}): Promise<{ stack: LocalStack; api: TestApi }> {
  const stack = await startLocalStack({
    templatePath: inject('templatePath'),
    // The run's shared DynamoDB Local with a table of this stack's own (or the one named: a restart of a stack); a
    // stack with a data folder and no table named runs its own DynamoDB Local, on disk there.
    ...(opts.dataDir && !opts.tableName ? {} : { dynamodb: { endpoint: inject('dynamodbEndpoint') }, tableName: `cases-${randomBytes(6).toString('hex')}` }),
    reconcileEveryMs: 0,
    throttle: false,
    log: () => undefined,
    ...opts,
    // Every port ephemeral unless named (a restart names the ones it keeps): never a default another file may hold.
    ports: { api: 0, dynamodb: 0, stepfunctions: 0, ses: 0, smtp: 0, ...opts.ports },
  });
  return { stack, api: new TestApi(stack) };
}

/** Poll until `check` returns a value (not undefined/false) or the deadline passes. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
