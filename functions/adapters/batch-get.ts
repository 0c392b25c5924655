// Secondary adapter plumbing: a consistent BatchGetItem over any number of keys (100 per request), retrying the keys
// DynamoDB leaves unprocessed with a growing pause.
import { BatchGetCommand, type BatchGetCommandOutput } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../commons/clients/dynamodb.ts';
import { tableName } from '../commons/config.ts';

export async function batchGet(allKeys: Record<string, string>[]): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < allKeys.length; i += 100) {
    let pending: Record<string, unknown>[] | undefined = allKeys.slice(i, i + 100);
    for (let attempt = 0; pending?.length; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1_000, 50 * 2 ** attempt)));
      const r: BatchGetCommandOutput = await ddb().send(new BatchGetCommand({ RequestItems: { [tableName()]: { Keys: pending, ConsistentRead: true } } }));
      out.push(...(r.Responses?.[tableName()] ?? []));
      pending = r.UnprocessedKeys?.[tableName()]?.Keys as Record<string, unknown>[] | undefined;
    }
  }
  return out;
}
