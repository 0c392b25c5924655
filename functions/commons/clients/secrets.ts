// Secondary adapter plumbing: a secret's string from Secrets Manager, cached for as long as the caller allows (the
// link key: an hour), with the client built on first use (./first-use.ts), traced, so the fetch shows in X-Ray like
// every other SDK call. Only on AWS: locally the key comes from LINK_SIGNING_KEY. One GetSecretValue and a cache of
// its answer is all the link key needs of a parameters library; Powertools Parameters carried 5 KB into each of the
// four functions that read it (issue 14).
// Imported statically: `import()` of the SDK hands back its whole namespace, and esbuild then keeps every command's
// schema (+12 KB in each function that reads the key).
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { traced } from '../tracing.ts';
import { onFirstUse } from './first-use.ts';
import { withoutSdkLogging } from './without-sdk-logging.ts';

export const secretsManager = /* @__PURE__ */ onFirstUse(() => traced(withoutSdkLogging(new SecretsManagerClient({}))));

const cache = new Map<string, { value: Promise<string | undefined>; until: number }>();

/**
 * The secret's current string value (undefined for a binary secret), fetched at most once per `maxAgeS` seconds:
 * callers arriving while a fetch is under way share it, and a fetch that failed is not kept.
 */
export function secretString(secretId: string, maxAgeS: number, now = Date.now()): Promise<string | undefined> {
  const hit = cache.get(secretId);
  if (hit && hit.until > now) return hit.value;
  const value = secretsManager()
    .send(new GetSecretValueCommand({ SecretId: secretId }))
    .then((r) => r.SecretString);
  cache.set(secretId, { value, until: now + maxAgeS * 1000 });
  value.catch(() => cache.get(secretId)?.value === value && cache.delete(secretId));
  return value;
}
