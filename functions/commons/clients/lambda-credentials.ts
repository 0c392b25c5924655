// Secondary adapter plumbing: what every deployed function's bundle has in place of the SDK's default credential chain
// (@aws-sdk/credential-provider-node, which every client's runtime config imports). lib/escalator-function.ts aliases
// that package to this module at build time.
//
// Why: Lambda gives a function its execution role's credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_SESSION_TOKEN, and the default chain tries the environment first. On Lambda its other links (SSO and its
// token, shared ini files, credential_process, web identity, `aws login`, the ECS and EC2 metadata endpoints) and the
// nested STS/SSO clients they bring never run. They still cost every cold start: 110–134 KB of each bundle and about
// 130 M instructions of its import on Node 24, where a bare DynamoDB handler's whole import runs 313 M (BENCHMARKS.md,
// session 6).
//
// Locally the handlers run from source with the whole chain, and the local stack sets the same variables
// (local/stack.ts), so both resolve the same credentials. A bundle run where credentials come from elsewhere (ECS
// task roles, an SSO profile) fails on its first call with the SDK's "Unable to find environment variable
// credentials.", which names the cause.
import { fromEnv } from '@aws-sdk/credential-provider-env';
// The chain's own type (a dev dependency, types only): the SDK calls this module exactly as it calls the chain.
import type { defaultProvider as chain } from '@aws-sdk/credential-provider-node';

export const defaultProvider: typeof chain = (init = {}) => fromEnv(init);
