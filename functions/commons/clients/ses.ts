// Secondary adapter plumbing: one SES client per cold start, built on first use (./first-use.ts; endpoint from
// AWS_ENDPOINT_URL_SES locally), traced.
import { SESClient } from '@aws-sdk/client-ses';
import { traced } from '../tracing.ts';
import { onFirstUse } from './first-use.ts';
import { withoutSdkLogging } from './without-sdk-logging.ts';

export const ses = /* @__PURE__ */ onFirstUse(() => traced(withoutSdkLogging(new SESClient({ maxAttempts: 6 }))));
