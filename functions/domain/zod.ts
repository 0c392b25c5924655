// Domain: the zod every function's schemas are written in. zod/mini, not classic zod: its API is functions rather
// than methods, so a bundle carries only the schema kinds and checks it uses, and building a schema assigns no
// methods (BENCHMARKS.md, issue 14: about a third of classic's bytes and half its import CPU for the same schemas).
// One module for it, so every schema gets the same English messages (mini ships none by default; classic zod, which
// only the local stand-ins use, sets the same locale) and the same deferral.
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

z.config(en());

export * from 'zod/mini';
// The error class both zod flavours throw (instanceof goes by zod's traits, so it matches mini and classic errors).
export { $ZodError as ZodError } from 'zod/v4/core';

/**
 * A schema built when first used. Building schemas is most of what a function does at import, and each function
 * uses few of them: its own route's input, the policy. Response schemas are read only by the OpenAPI document and
 * the tests, a route's input only by its own function. z.lazy is zod's own deferred schema: it validates, describes
 * and converts to JSON Schema exactly as the schema it builds.
 *
 * Each call carries esbuild's pure mark (the `@__PURE__` comment): a top-level call is otherwise kept for its possible
 * side effects, with all it refers to, even when nothing in the bundle uses the schema. (A no-side-effects mark here,
 * on the declaration, would not carry across modules.) test/cdk/bundles.test.ts checks the result.
 */
export function deferred<T extends z.ZodMiniType>(build: () => T): z.ZodMiniLazy<T> {
  return z.lazy(build);
}

/** What a deferred schema builds (zod/mini's lazy has no unwrap()). */
export const built = <T extends z.core.$ZodType>(schema: z.ZodMiniLazy<T>): T => schema._zod.innerType;
