// The inbound function's S3 calls (functions/commons/clients/s3.ts: requests signed by the SDK's signer, without the
// SDK's S3 client) against a stand-in S3 on loopback that checks every request as S3 does: the SigV4 signature
// recomputed by another implementation (aws4fetch's, from the request as it arrived: path, signed headers, date), the
// signed body hash against the body, the session token. It answers with S3's error documents, and fails on demand to
// exercise the retries.
import { createHash } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsV4Signer } from 'aws4fetch';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { objectUrl, S3Error, s3Objects } from '../../functions/commons/clients/s3.ts';
import type { Subsegment } from '../../functions/commons/tracing.ts';

const REGION = 'eu-west-1';
const CREDENTIALS = { accessKeyId: 'AKIDINBOUNDTEST', secretAccessKey: 'inbound-test-secret', sessionToken: 'session-token-of-the-role' };

interface Seen {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A path-style S3 for one bucket's objects, refusing what S3 refuses. */
class StandInS3 {
  readonly objects = new Map<string, { body: Buffer; type: string | undefined }>();
  readonly seen: Seen[] = [];
  /** The next this many requests get a 503 SlowDown. */
  failNext = 0;
  private server!: Server;
  private requestIds = 0;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        this.answer(req.method!, req.url!, req.headers, body).then(
          ({ status, headers, text }) => {
            res.writeHead(status, { 'x-amz-request-id': `REQ${++this.requestIds}`, ...headers });
            res.end(text);
          },
          (e: unknown) => {
            res.writeHead(500);
            res.end(String(e));
          },
        );
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop = () => new Promise<void>((r) => this.server.close(() => r()));

  private async answer(method: string, url: string, headers: Record<string, string | string[] | undefined>, body: Buffer) {
    this.seen.push({ method, path: url, headers });
    const error = (status: number, code: string, message: string) => ({ status, headers: { 'content-type': 'application/xml' }, text: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>` });
    if (this.failNext > 0) {
      this.failNext--;
      return error(503, 'SlowDown', 'Please reduce your request rate.');
    }
    const refusal = await this.refusal(method, url, headers, body);
    if (refusal) return error(refusal.status, refusal.code, refusal.message);
    const [, bucket, ...rest] = new URL(url, 'http://s3').pathname.split('/');
    const key = `${bucket}/${rest.map(decodeURIComponent).join('/')}`;
    if (method === 'PUT') {
      this.objects.set(key, { body, type: headers['content-type'] as string | undefined });
      return { status: 200, headers: { etag: `"${createHash('md5').update(body).digest('hex')}"` }, text: '' };
    }
    const object = this.objects.get(key);
    if (!object) return error(404, 'NoSuchKey', 'The specified key does not exist.');
    return { status: 200, headers: { 'content-type': object.type ?? 'binary/octet-stream' }, text: object.body };
  }

  /** Why S3 would refuse the request, if it would. */
  private async refusal(method: string, url: string, headers: Record<string, string | string[] | undefined>, body: Buffer) {
    const auth = /^AWS4-HMAC-SHA256 Credential=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(String(headers['authorization'] ?? ''));
    if (!auth) return { status: 403, code: 'AccessDenied', message: 'no SigV4 Authorization header' };
    const [, credential, signedHeaders, signature] = auth;
    const date = String(headers['x-amz-date']);
    if (credential !== `${CREDENTIALS.accessKeyId}/${date.slice(0, 8)}/${REGION}/s3/aws4_request`) return { status: 403, code: 'InvalidAccessKeyId', message: `credential ${credential}` };
    if (headers['x-amz-security-token'] !== CREDENTIALS.sessionToken) return { status: 403, code: 'InvalidToken', message: 'no session token' };
    const payload = String(headers['x-amz-content-sha256']);
    if (payload !== 'UNSIGNED-PAYLOAD' && payload !== createHash('sha256').update(body).digest('hex')) {
      return { status: 400, code: 'XAmzContentSHA256Mismatch', message: 'the body is not what was signed' };
    }
    if (method === 'PUT' && payload === 'UNSIGNED-PAYLOAD') return { status: 400, code: 'InvalidRequest', message: 'expected a signed body' };
    const names = signedHeaders!.split(';');
    const signer = new AwsV4Signer({
      method,
      url: `http://${String(headers['host'])}${url}`,
      headers: Object.fromEntries(names.filter((n) => n !== 'host').map((n) => [n, String(headers[n])])),
      ...CREDENTIALS,
      service: 's3',
      region: REGION,
      datetime: date,
      allHeaders: true, // sign what the request says it signed
    });
    const expected = /Signature=([0-9a-f]{64})/.exec((await signer.sign()).headers.get('authorization') ?? '')?.[1];
    if (expected !== signature) return { status: 403, code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided.' };
    return undefined;
  }
}

const s3 = new StandInS3();
let endpoint: string;
beforeAll(async () => {
  endpoint = await s3.start();
});
afterAll(() => s3.stop());
afterEach(() => {
  s3.failNext = 0;
  s3.seen.length = 0;
  vi.unstubAllEnvs();
});

const client = (overrides: Partial<Parameters<typeof s3Objects>[0]> = {}) =>
  s3Objects({ region: REGION, endpoint, credentials: async () => CREDENTIALS, retryBaseMs: 1, ...overrides });

// Keys as the inbound function writes them: attachment names keep spaces, accents, apostrophes and the like.
const KEYS = [
  'raw/0100019a-5b1e-4c2a-example-000000',
  "attachments/01KBQ7XN6Y/1-Capture d'écran (2) à 11.02.10.png",
  'attachments/case/2-a+b=c;d,e@f&g$h!*~.txt',
  'attachments/日本語/3-Übersicht ✓.pdf',
];

describe('S3 calls signed by the SDK\'s signer, checked as S3 checks them', () => {
  it.each(KEYS)('puts and gets %s: the signature, the session token and the body hash are what S3 checks', async (key) => {
    const body = Buffer.from(`content of ${key}\n\u0000\u00ff`, 'utf8');
    const put = await client().putObject('inbound-bucket', key, body, 'image/png');
    expect(put.$metadata).toEqual({ httpStatusCode: 200, requestId: expect.stringMatching(/^REQ\d+$/), attempts: 1 });
    expect(s3.objects.get(`inbound-bucket/${key}`)).toEqual({ body, type: 'image/png' });
    const got = await client().getObject('inbound-bucket', key);
    expect(got.body.equals(body)).toBe(true);
    expect(s3.seen.map((r) => r.headers['x-amz-content-sha256'])).toEqual([createHash('sha256').update(body).digest('hex'), createHash('sha256').digest('hex')]);
  });

  it('is refused with S3\'s own code when the signature is wrong (the stand-in checks it), and that is not retried', async () => {
    const wrong = client({ credentials: async () => ({ ...CREDENTIALS, secretAccessKey: 'not-the-secret' }) });
    const e = await wrong.getObject('inbound-bucket', KEYS[0]!).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(S3Error);
    expect(e).toMatchObject({ name: 'SignatureDoesNotMatch', $metadata: { httpStatusCode: 403, attempts: 1 } });
    expect(s3.seen).toHaveLength(1);
  });

  it('a missing object fails as NoSuchKey with the status and request id, at once', async () => {
    const e = await client().getObject('inbound-bucket', 'raw/never-written').catch((x: unknown) => x);
    expect(e).toMatchObject({ name: 'NoSuchKey', message: expect.stringContaining('The specified key does not exist.'), $metadata: { httpStatusCode: 404, requestId: expect.stringMatching(/^REQ/), attempts: 1 } });
    expect(s3.seen).toHaveLength(1);
  });

  it('retries throttling and 5xx as the SDK\'s standard mode does: three attempts, each signed afresh', async () => {
    await client().putObject('inbound-bucket', 'raw/retried', Buffer.from('x'), 'message/rfc822');
    s3.seen.length = 0;
    s3.failNext = 2;
    const got = await client().getObject('inbound-bucket', 'raw/retried');
    expect(got.body.toString()).toBe('x');
    expect(got.$metadata.attempts).toBe(3);
    expect(s3.seen).toHaveLength(3);

    s3.seen.length = 0;
    s3.failNext = 3;
    const e = await client().getObject('inbound-bucket', 'raw/retried').catch((x: unknown) => x);
    expect(e).toMatchObject({ name: 'SlowDown', $metadata: { httpStatusCode: 503, attempts: 3 } });
    expect(s3.seen).toHaveLength(3);
  });

  it('retries when nothing answers, and then fails naming why', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const e = await client({ endpoint: `http://127.0.0.1:${port}` }).getObject('inbound-bucket', 'raw/x').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(S3Error);
    expect(e).toMatchObject({ message: expect.stringContaining('ECONNREFUSED'), $metadata: { attempts: 3 } });
  });

  it('refuses a key a URL would rewrite (a . or .. segment)', async () => {
    await expect(client().putObject('inbound-bucket', 'attachments/../raw/x', Buffer.from('x'), 'text/plain')).rejects.toThrow(/\.\. segment/);
    expect(s3.seen).toHaveLength(0);
  });
});

describe('where the requests go', () => {
  it('to the regional virtual-hosted endpoint on AWS, path-style to the SDK\'s endpoint variable', () => {
    expect(objectUrl('escalator-inbound-1a2b', "attachments/x/1-d'é.png", 'eu-west-1')).toBe('https://escalator-inbound-1a2b.s3.eu-west-1.amazonaws.com/attachments/x/1-d%27%C3%A9.png');
    expect(objectUrl('b', 'raw/m', 'cn-north-1')).toBe('https://b.s3.cn-north-1.amazonaws.com.cn/raw/m');
    expect(objectUrl('b', 'raw/m', 'eu-west-1', 'http://127.0.0.1:4566/')).toBe('http://127.0.0.1:4566/b/raw/m');
  });

  it('the mail store reads the bucket, region, endpoint and credentials from the environment, as Lambda sets them', async () => {
    vi.stubEnv('INBOUND_BUCKET', 'env-bucket');
    vi.stubEnv('AWS_REGION', REGION);
    vi.stubEnv('AWS_ENDPOINT_URL_S3', endpoint);
    vi.stubEnv('AWS_ACCESS_KEY_ID', CREDENTIALS.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', CREDENTIALS.secretAccessKey);
    vi.stubEnv('AWS_SESSION_TOKEN', CREDENTIALS.sessionToken);
    const { mailStore } = await import('../../functions/adapters/mail-store.ts');
    expect(await mailStore.putAttachment('attachments/c/1-note.txt', Buffer.from('hello'), 'text/plain')).toBe('s3://env-bucket/attachments/c/1-note.txt');
    expect((await mailStore.raw('attachments/c/1-note.txt')).toString()).toBe('hello');
  });
});

describe('tracing', () => {
  let daemon: Socket;
  const received: Subsegment[] = [];
  beforeAll(async () => {
    daemon = createSocket('udp4');
    daemon.on('message', (m) => received.push(JSON.parse(m.toString('utf8').split('\n')[1]!) as Subsegment));
    await new Promise<void>((r) => daemon.bind(0, '127.0.0.1', r));
  });
  afterAll(() => daemon.close());

  it('each call is an `aws` subsegment named S3, with its operation, bucket, key, status, request id and retries', async () => {
    vi.stubEnv('AWS_XRAY_DAEMON_ADDRESS', `127.0.0.1:${daemon.address().port}`);
    vi.stubEnv('_X_AMZN_TRACE_ID', 'Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1');
    await client().putObject('traced-bucket', 'raw/t', Buffer.from('t'), 'message/rfc822');
    s3.failNext = 1;
    await client().getObject('traced-bucket', 'raw/t');
    await client().getObject('traced-bucket', 'raw/missing').catch(() => undefined);
    await vi.waitFor(() => expect(received).toHaveLength(3));
    const base = { name: 'S3', namespace: 'aws', type: 'subsegment', trace_id: '1-67891233-abcdef012345678912345678', parent_id: '53995c3f42cd8ad8' };
    expect(received[0]).toMatchObject({ ...base, aws: { operation: 'PutObject', region: REGION, bucket_name: 'traced-bucket', key: 'raw/t', retries: 0, request_id: expect.stringMatching(/^REQ/) }, http: { response: { status: 200 } } });
    expect(received[1]).toMatchObject({ ...base, aws: { operation: 'GetObject', retries: 1 }, http: { response: { status: 200 } } });
    expect(received[2]).toMatchObject({ ...base, aws: { operation: 'GetObject', key: 'raw/missing' }, http: { response: { status: 404 } }, error: true, cause: { exceptions: [{ type: 'NoSuchKey', remote: true }] } });
    expect(received[2]!.fault).toBeUndefined();

    // Throttled to the last attempt: a fault, flagged as throttled, as X-Ray shows an SDK call S3 slowed down.
    s3.failNext = 3;
    await client().getObject('traced-bucket', 'raw/t').catch(() => undefined);
    await vi.waitFor(() => expect(received).toHaveLength(4));
    expect(received[3]).toMatchObject({ ...base, aws: { operation: 'GetObject', retries: 2 }, http: { response: { status: 503 } }, fault: true, throttle: true, cause: { exceptions: [{ type: 'SlowDown' }] } });
  });
});
