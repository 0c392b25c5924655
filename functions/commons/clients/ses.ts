// Secondary adapter plumbing: one SES client per cold start (endpoint from AWS_ENDPOINT_URL_SES locally).
import { SESClient } from '@aws-sdk/client-ses';

export const ses = new SESClient({ maxAttempts: 6 });
