// Secondary adapter plumbing: when an SDK client is built. Building one (its config resolution, middleware stack,
// protocol and HTTP handler) is ~5 ms of first-run code. An on-demand cold start pays it once whether it happens in
// the init phase or in the first call, and the request waits either way; built on first use, a call that never
// reaches the service (a body that fails validation, the OpenAPI document) never pays it. That is also how the bare
// handler we measure cold start against (bench/fixtures/baseline-handler.ts) builds its client, so the import the
// benchmarks compare is like for like (issue 14). Where Lambda initialises an environment before any request
// (provisioned concurrency, SnapStart) the client is built during init, when no one is waiting.

/** Lambda's initialisation types that run ahead of the first request (AWS_LAMBDA_INITIALIZATION_TYPE). */
const AHEAD_OF_REQUESTS = new Set(['provisioned-concurrency', 'snap-start']);

/** The client `build` makes, built once: on first use, or now where the environment is initialised ahead of requests. */
export function onFirstUse<T>(build: () => T): () => T {
  let client: T | undefined;
  const get = (): T => (client ??= build());
  if (AHEAD_OF_REQUESTS.has(process.env['AWS_LAMBDA_INITIALIZATION_TYPE'] ?? '')) get();
  return get;
}
