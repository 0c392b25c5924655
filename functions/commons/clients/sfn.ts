// Secondary adapter plumbing: one Step Functions client per cold start, built on first use (./first-use.ts; endpoint
// from AWS_ENDPOINT_URL_SFN locally), traced.
import { SFNClient } from '@aws-sdk/client-sfn';
import { traced } from '../tracing.ts';
import { onFirstUse } from './first-use.ts';
import { withoutSdkLogging } from './without-sdk-logging.ts';

export const sfn = /* @__PURE__ */ onFirstUse(() => traced(withoutSdkLogging(new SFNClient({ maxAttempts: 4 }))));
