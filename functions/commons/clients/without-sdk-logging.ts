// Secondary adapter plumbing: the SDK's logger middleware builds a redacted deep copy of every command's input and
// output even when no logger is configured (it calls NoOpLogger.info with them). On DynamoDB items and stream
// batches that copy was about 8% of the local stack's CPU in the deadline burst (bench/deadlines.ts, profiled); we
// never give the SDK a logger (our own logs carry what matters), so the middleware goes.
interface HasMiddlewareStack {
  middlewareStack: { remove(name: string): boolean };
}

export function withoutSdkLogging<C extends HasMiddlewareStack>(client: C): C {
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}
