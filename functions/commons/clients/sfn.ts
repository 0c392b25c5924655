// Secondary adapter plumbing: one Step Functions client per cold start (endpoint from AWS_ENDPOINT_URL_SFN locally).
import { SFNClient } from '@aws-sdk/client-sfn';
import { withoutSdkLogging } from './without-sdk-logging.ts';

export const sfn = withoutSdkLogging(new SFNClient({ maxAttempts: 4 }));
