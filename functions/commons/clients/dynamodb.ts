// Secondary adapter plumbing: one DynamoDB document client per cold start, built on first use (./first-use.ts;
// endpoint from AWS_ENDPOINT_URL_DYNAMODB locally), traced: every call is an X-Ray subsegment (../tracing.ts).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { traced } from '../tracing.ts';
import { onFirstUse } from './first-use.ts';
import { withoutSdkLogging } from './without-sdk-logging.ts';

// The document client shares the base client's middleware stack: tracing the base traces both.
export const ddb = /* @__PURE__ */ onFirstUse(() =>
  DynamoDBDocumentClient.from(traced(withoutSdkLogging(new DynamoDBClient({ maxAttempts: 4 }))), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  }),
);
