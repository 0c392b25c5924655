// Secondary adapter plumbing: the link key's Secrets Manager provider, created on first use, only on AWS (locally the
// key comes from LINK_SIGNING_KEY). Powertools caches the value; the client is ours, traced, so the fetch shows in
// X-Ray like every other SDK call. Imported statically: `import()` of the SDK hands back its whole namespace, and
// esbuild then keeps every command's schema (issue 14: +12 KB in each function that reads the key).
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { traced } from '../tracing.ts';

let provider: SecretsProvider | undefined;
export const secrets = (): SecretsProvider => (provider ??= new SecretsProvider({ awsSdkV3Client: traced(new SecretsManagerClient()) }));
