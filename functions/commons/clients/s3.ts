// Secondary adapter plumbing: the two S3 calls the mail store makes (GetObject of a raw message, PutObject of an
// attachment) as HTTPS requests signed by the SDK's own SigV4 signer, instead of through @aws-sdk/client-s3.
//
// Why: the inbound function is the one function that talks to S3, and @aws-sdk/client-s3 was 165 KB of its bundle
// (schemas for every S3 operation, which esbuild cannot tree-shake (aws/aws-sdk-js-v3#7607), the XML protocol,
// checksums, event streams, S3 Express sessions): half the size budget of a cold start, for two requests (issue 14,
// BENCHMARKS.md). The signer (@smithy/signature-v4) and its SHA-256 are in the bundle anyway, for the DynamoDB and
// Secrets Manager clients: these calls add 2 KB. What the SDK's client gave them is kept:
// - credentials from Lambda's environment, by the SDK's own provider (as every client's are, ./lambda-credentials.ts);
// - the endpoint from the SDK's variables (AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL; path-style there, as local
//   S3 stand-ins need), else the regional virtual-hosted one;
// - integrity: a PutObject body's SHA-256 is signed (x-amz-content-sha256), so S3 refuses bytes that changed on the way;
// - retries as the SDK's standard mode does them: 3 attempts, on 5xx, 429 and network errors, with full-jitter backoff;
// - S3's error code (NoSuchKey, AccessDenied…) as the error's name, with the status and request id in $metadata as an
//   SDK error carries them, and an `aws` X-Ray subsegment per call (../tracing.ts).
// test/adapters/s3-objects.test.ts checks each request as S3 does, with another SigV4 implementation (aws4fetch).
import { createHash } from 'node:crypto';
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { tracedCall } from '../tracing.ts';
import { onFirstUse } from './first-use.ts';

/** What an S3 call answers with: as an SDK output's $metadata. */
export interface S3Metadata {
  httpStatusCode: number;
  requestId?: string;
  attempts: number;
}

/** An S3 error answer (or no answer): shaped as an SDK service error, so callers and tracing read it the same way. */
export class S3Error extends Error {
  constructor(
    /** S3's error code (NoSuchKey, AccessDenied, SlowDown…), or the network error's name. */
    name: string,
    message: string,
    readonly $metadata: Partial<S3Metadata>,
  ) {
    super(message);
    this.name = name;
  }

  /** As the SDK marks it: S3 throttles with 503 SlowDown (X-Ray shows the call as throttled). */
  get $retryable(): { throttling: boolean } | undefined {
    return this.name === 'SlowDown' || this.$metadata.httpStatusCode === 429 ? { throttling: true } : undefined;
  }
}

export interface S3ObjectsOptions {
  region: string;
  /** The SDK's endpoint variables' value when set: requests go to `<endpoint>/<bucket>/<key>`. */
  endpoint?: string;
  /** Asked at each signing, as the SDK asks its provider (Lambda's credentials are in the environment). */
  credentials: () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>;
  /** @default 3, as the SDK's standard retry mode */
  maxAttempts?: number;
  /** Full-jitter backoff base, ms. @default 100, as the SDK's */
  retryBaseMs?: number;
}

export interface S3Objects {
  getObject(bucket: string, key: string): Promise<{ body: Buffer; $metadata: S3Metadata }>;
  putObject(bucket: string, key: string, body: Buffer, contentType: string): Promise<{ $metadata: S3Metadata }>;
}

/** A key as S3 signs and routes it: each character but `/` and RFC 3986's unreserved ones percent-encoded. */
const encodeKey = (key: string) => encodeURIComponent(key).replace(/%2F/g, '/').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** What the SDK's standard mode retries: S3's 5xx (InternalError, ServiceUnavailable) and throttling (SlowDown, 429). */
const retryable = (status: number) => status >= 500 || status === 429;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Where an object is: the regional virtual-hosted address on AWS; `<endpoint>/<bucket>/<key>` (path-style, as local
 * S3 stand-ins want it) where the SDK's endpoint variable names one.
 */
export function objectUrl(bucket: string, key: string, region: string, endpoint?: string): string {
  // URLs resolve `.` and `..` segments, which S3 keys may hold literally: such a key would name another object.
  if (key.split('/').some((segment) => segment === '.' || segment === '..')) throw new Error(`S3 key ${key} has a . or .. segment`);
  if (endpoint) return `${endpoint.replace(/\/+$/, '')}/${bucket}/${encodeKey(key)}`;
  return `https://${bucket}.s3.${region}.${region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}/${encodeKey(key)}`;
}

export function s3Objects(options: S3ObjectsOptions): S3Objects {
  const { region, endpoint, credentials } = options;
  const maxAttempts = options.maxAttempts ?? 3;
  const retryBaseMs = options.retryBaseMs ?? 100;
  const backoff = (attempt: number) => sleep(Math.random() * Math.min(20_000, retryBaseMs * 2 ** attempt));

  // The signer S3's SDK client signs with, configured as that client configures it: S3 keys are encoded once
  // (objectUrl), not again for the canonical request.
  const signer = new SignatureV4({ service: 's3', region, credentials, sha256: Sha256, uriEscapePath: false });

  /** One S3 call, signed afresh for each attempt: a 2xx answer, or the last failure as an S3Error. */
  async function call(method: 'GET' | 'PUT', bucket: string, key: string, body?: Buffer, contentType?: string) {
    const url = new URL(objectUrl(bucket, key, region, endpoint));
    // The body's SHA-256 is signed, so S3 refuses bytes that changed on the way (for a GET, the empty body's).
    const headers: Record<string, string> = { host: url.host, 'x-amz-content-sha256': createHash('sha256').update(body ?? '').digest('hex') };
    if (contentType) headers['content-type'] = contentType;
    for (let attempt = 1; ; attempt++) {
      const signed = await signer.sign({ method, protocol: url.protocol, hostname: url.hostname, path: url.pathname, query: {}, headers, ...(body ? { body } : {}) });
      const { host: _fromTheUrl, ...sent } = signed.headers;
      let res: Response;
      try {
        // A redirect (a bucket in another region) is S3's answer to read, not to follow: the signature is for this host.
        res = await fetch(url, { method, headers: sent, redirect: 'manual', ...(body ? { body } : {}) });
      } catch (e) {
        // No answer (connection refused or reset, DNS): retried as the SDK retries transient errors.
        if (attempt >= maxAttempts) throw new S3Error((e as Error).name ?? 'Error', `${method} ${key}: ${String((e as Error).cause ?? e)}`, { attempts: attempt });
        await backoff(attempt);
        continue;
      }
      const $metadata: S3Metadata = { httpStatusCode: res.status, requestId: res.headers.get('x-amz-request-id') ?? undefined, attempts: attempt };
      if (res.ok) return { res, $metadata };
      const text = await res.text(); // read either way: the connection goes back to the pool
      const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? `Http${res.status}`;
      const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? `S3 answered ${res.status}`;
      if (!retryable(res.status) || attempt >= maxAttempts) throw new S3Error(code, `${message} (${method} ${key})`, $metadata);
      await backoff(attempt);
    }
  }

  return {
    getObject: (bucket, key) =>
      tracedCall('S3', { operation: 'GetObject', region, bucket_name: bucket, key }, async () => {
        const { res, $metadata } = await call('GET', bucket, key);
        return { body: Buffer.from(await res.arrayBuffer()), $metadata };
      }),
    putObject: (bucket, key, body, contentType) =>
      tracedCall('S3', { operation: 'PutObject', region, bucket_name: bucket, key }, async () => {
        const { $metadata } = await call('PUT', bucket, key, body, contentType);
        return { $metadata };
      }),
  };
}

/** The function's S3, configured as the SDK configures a client from Lambda's environment. */
function s3FromEnvironment(): S3Objects {
  const region = process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'];
  if (!region) throw new Error('environment variable AWS_REGION is required');
  const endpoint = process.env['AWS_ENDPOINT_URL_S3'] ?? process.env['AWS_ENDPOINT_URL'];
  return s3Objects({ region, ...(endpoint ? { endpoint } : {}), credentials: fromEnv() });
}

/** Built on first use (./first-use.ts), as the SDK clients are; only where the bucket is (the local stack keeps mail in a folder). */
export const s3 = /* @__PURE__ */ onFirstUse(s3FromEnvironment);
