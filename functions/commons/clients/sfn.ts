// Secondary adapter plumbing: one Step Functions client per cold start (endpoint from AWS_ENDPOINT_URL_SFN locally), traced.
import { SFNClient } from '@aws-sdk/client-sfn';
import { traced } from '../tracing.ts';
import { withoutSdkLogging } from './without-sdk-logging.ts';

export const sfn = traced(withoutSdkLogging(new SFNClient({ maxAttempts: 4 })));
