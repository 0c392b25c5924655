// On AWS the link key is a Secrets Manager secret (LINK_SIGNING_SECRET_ARN): fetched over the SDK from the endpoint
// the environment names, once per hour at most, shared by callers that arrive during a fetch, and never cached when
// the fetch failed. A stand-in endpoint here answers GetSecretValue as Secrets Manager's JSON protocol does.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

const ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:LinkSigningKey-AbCdEf';
const KEY = 'k'.repeat(64);

let server: Server;
let requests: { headers: IncomingHttpHeaders; body: { SecretId?: string } }[] = [];
/** What the stand-in answers next: the secret, or Secrets Manager's error for a secret it cannot find. */
let answer: 'secret' | 'missing' = 'secret';

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => {
      requests.push({ headers: req.headers, body: JSON.parse(text) as { SecretId?: string } });
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      if (answer === 'missing') {
        res.statusCode = 400;
        res.end(JSON.stringify({ __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." }));
        return;
      }
      res.end(JSON.stringify({ ARN, Name: 'LinkSigningKey', SecretString: KEY, VersionId: 'v1', VersionStages: ['AWSCURRENT'], CreatedDate: 1_700_000_000 }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

beforeEach(() => {
  requests = [];
  answer = 'secret';
  vi.resetModules(); // a fresh cache and client: each test is its own cold start
  vi.stubEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER', `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
  vi.stubEnv('LINK_SIGNING_SECRET_ARN', ARN);
  vi.stubEnv('LINK_SIGNING_KEY', undefined);
  return () => vi.unstubAllEnvs();
});

describe('the link key from Secrets Manager', () => {
  it('is fetched once for every caller of a cold start, concurrent ones included, and signs links', async () => {
    // Arrange
    const { linkSigningKey, signLink, verifyLink } = await import('../../functions/commons/signed-links.ts');
    // Act
    const keys = await Promise.all([linkSigningKey(), linkSigningKey(), linkSigningKey()]);
    const later = await linkSigningKey();
    // Assess
    expect([...keys, later]).toEqual([KEY, KEY, KEY, KEY]);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.headers['x-amz-target']).toBe('secretsmanager.GetSecretValue');
    expect(requests[0]!.body).toEqual({ SecretId: ARN });
    const caseId = '01JCASE0000000000000000000';
    expect(verifyLink(signLink(caseId, 'feedback', new Date(Date.now() + 60_000), later), 'feedback', later)).toBe(caseId);
  });

  it('is fetched again once its hour has passed', async () => {
    // Arrange
    const { secretString } = await import('../../functions/commons/clients/secrets.ts');
    const t0 = Date.now();
    // Act
    await secretString(ARN, 3600, t0);
    await secretString(ARN, 3600, t0 + 3_599_000);
    await secretString(ARN, 3600, t0 + 3_600_000);
    // Assess
    expect(requests).toHaveLength(2);
  });

  it('keeps no failed fetch: the caller gets the service\'s error and the next call asks again', async () => {
    // Arrange
    const { linkSigningKey } = await import('../../functions/commons/signed-links.ts');
    answer = 'missing';
    // Act
    const failed = await linkSigningKey().catch((e: Error) => e);
    answer = 'secret';
    const key = await linkSigningKey();
    // Assess
    expect(failed).toMatchObject({ name: 'ResourceNotFoundException' });
    expect(key).toBe(KEY);
    expect(requests).toHaveLength(2);
  });

  it('refuses a key shorter than 32 characters rather than sign with it', async () => {
    // Arrange
    vi.stubEnv('LINK_SIGNING_SECRET_ARN', undefined);
    vi.stubEnv('LINK_SIGNING_KEY', 'short');
    const { linkSigningKey } = await import('../../functions/commons/signed-links.ts');
    // Act / Assess
    await expect(linkSigningKey()).rejects.toThrow(/at least 32 characters/);
    expect(requests).toHaveLength(0);
  });
});
