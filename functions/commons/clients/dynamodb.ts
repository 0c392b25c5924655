// Secondary adapter plumbing: one DynamoDB document client per cold start (endpoint from AWS_ENDPOINT_URL_DYNAMODB locally).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { withoutSdkLogging } from './without-sdk-logging.ts';

export const ddb = DynamoDBDocumentClient.from(withoutSdkLogging(new DynamoDBClient({ maxAttempts: 4 })), {
  marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
});
