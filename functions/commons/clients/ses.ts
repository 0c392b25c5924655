// Secondary adapter plumbing: one SES client per cold start (endpoint from AWS_ENDPOINT_URL_SES locally), traced.
import { SESClient } from '@aws-sdk/client-ses';
import { traced } from '../tracing.ts';
import { withoutSdkLogging } from './without-sdk-logging.ts';

export const ses = traced(withoutSdkLogging(new SESClient({ maxAttempts: 6 })));
