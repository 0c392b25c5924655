// Domain: schemas built when first used. Building zod schemas is most of what a function does at import
// (bench/cold-start.ts), and each function uses few of them: its own route's body, the policy. The response schemas
// only the OpenAPI document and the tests read; a route's input only its own function. z.lazy is zod's own deferred
// schema: it validates, describes and converts to JSON Schema exactly as the schema it builds.
import * as z from 'zod';

export const deferred = <T extends z.ZodType>(build: () => T): z.ZodLazy<T> => z.lazy(build);
