// Secondary adapter plumbing: one Step Functions client per cold start (endpoint from AWS_ENDPOINT_URL_SFN locally).
import { SFNClient } from '@aws-sdk/client-sfn';

export const sfn = new SFNClient({ maxAttempts: 4 });
