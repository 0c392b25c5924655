// local/stepfunctions/polyfills.ts — Promise.withResolvers for Node 20, which aws-local-stepfunctions 3.x calls at run time.

interface Resolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}
type WithResolvers = <T>() => Resolvers<T>;

/** Installs the ES2024 `Promise.withResolvers` only when the runtime lacks it (Node < 22). */
export function ensurePromiseWithResolvers(): void {
  const ctor = Promise as PromiseConstructor & { withResolvers?: WithResolvers };
  if (typeof ctor.withResolvers === 'function') return;
  Object.defineProperty(ctor, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>(this: PromiseConstructor): Resolvers<T> {
      let resolve!: Resolvers<T>['resolve'];
      let reject!: Resolvers<T>['reject'];
      const promise = new this<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}
