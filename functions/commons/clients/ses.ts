// Secondary adapter plumbing: one SES client per cold start (endpoint from AWS_ENDPOINT_URL_SES locally).
import { SESClient } from '@aws-sdk/client-ses';
import { withoutSdkLogging } from './without-sdk-logging.ts';

export const ses = withoutSdkLogging(new SESClient({ maxAttempts: 6 }));
