// Secondary adapter plumbing: the S3 client the mail store uses, built on first use (./first-use.ts), only where the
// bucket is (the local stack never creates it). Imported statically: `import()` of the SDK hands back its whole
// namespace, and esbuild then keeps every S3 command's schema (issue 14: +36 KB in the inbound function).
import { S3Client } from '@aws-sdk/client-s3';
import { traced } from '../tracing.ts';
import { onFirstUse } from './first-use.ts';
import { withoutSdkLogging } from './without-sdk-logging.ts';

export { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';

export const s3 = /* @__PURE__ */ onFirstUse(() => traced(withoutSdkLogging(new S3Client({}))));
