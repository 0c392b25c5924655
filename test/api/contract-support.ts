// Test support for the contract test: valid values generated from the JSON Schemas of the served OpenAPI document,
// mutations of them (each one a way to break the schema), and the document's own checks (ajv) of what the server
// answers. Nothing here knows our zod schemas: it reads only what a client reads.
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

export type Schema = Record<string, any>;
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
/** Query, path and header values are strings on the wire: checked as the server reads them, with coercion. */
export const ajvParams = new Ajv2020({ strict: false, coerceTypes: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajvParams);

const validators = new WeakMap<object, ReturnType<Ajv2020['compile']>>();
const paramValidators = new WeakMap<object, ReturnType<Ajv2020['compile']>>();
export function validate(schema: Schema, value: unknown, params = false): string | undefined {
  const cache = params ? paramValidators : validators;
  let v = cache.get(schema);
  if (!v) {
    v = (params ? ajvParams : ajv).compile(schema);
    cache.set(schema, v);
  }
  // coerceTypes rewrites the value it checks: give it a copy.
  const ok = v(params ? structuredClone(value) : value);
  return ok ? undefined : (params ? ajvParams : ajv).errorsText(v.errors);
}

/** Branches of a schema: oneOf/anyOf alternatives, else the schema itself. */
export function branches(s: Schema): Schema[] {
  return s['oneOf'] ?? s['anyOf'] ?? [s];
}

function typeOf(s: Schema): string | undefined {
  const t = s['type'];
  if (Array.isArray(t)) return t.find((x) => x !== 'null');
  return t ?? (s['properties'] ? 'object' : undefined);
}

const STRING_BY_FORMAT: Record<string, string> = {
  email: 'ana@example.org',
  'date-time': '2026-11-22T07:00:00.000Z',
  uri: 'https://example.org/',
  url: 'https://example.org/',
};

/** A valid value: required fields only (or every field with `full`), the first enum value, the smallest length. */
export function sample(s: Schema, opts: { full?: boolean; branch?: number } = {}): Json {
  if ('const' in s) return s['const'];
  if (s['enum']) return s['enum'][0];
  if (s['oneOf'] || s['anyOf']) {
    const b = branches(s);
    return sample(b[(opts.branch ?? 0) % b.length]!, { ...(opts.full ? { full: true } : {}) });
  }
  if (s['default'] !== undefined && !opts.full) return s['default'];
  switch (typeOf(s)) {
    case 'object': {
      const out: Record<string, Json> = {};
      const required: string[] = s['required'] ?? [];
      for (const [k, p] of Object.entries<Schema>(s['properties'] ?? {})) {
        if (opts.full || required.includes(k)) out[k] = sample(p, opts.full ? { full: true } : {});
      }
      return out;
    }
    case 'array':
      return Array.from({ length: s['minItems'] ?? 0 }, () => sample(s['items'] ?? {}));
    case 'integer':
    case 'number': {
      if (s['minimum'] !== undefined) return Math.max(s['minimum'], Math.min(1, s['maximum'] ?? 1));
      if (s['exclusiveMinimum'] !== undefined) return s['exclusiveMinimum'] + 1;
      return Math.min(1, s['maximum'] ?? 1);
    }
    case 'boolean':
      return true;
    case 'string': {
      if (s['format'] && STRING_BY_FORMAT[s['format']]) return STRING_BY_FORMAT[s['format']]!;
      const n = Math.max(s['minLength'] ?? 1, 1);
      return 'contract test '.repeat(Math.ceil(n / 14)).slice(0, Math.max(n, Math.min(13, s['maxLength'] ?? 13)));
    }
    default:
      return 'x';
  }
}

export interface Mutation {
  name: string;
  value: Json | undefined;
}

/** A value of another JSON type than the schema's. */
function wrongType(s: Schema): Json {
  switch (typeOf(s)) {
    case 'string':
      return 12345;
    case 'object':
      return ['not', 'an', 'object'];
    case 'array':
      return { not: 'an array' };
    default:
      return 'not-a-number';
  }
}

/**
 * Ways to break a valid value: each required field missing, each field of the wrong type, out of its enum, too long
 * or out of range, an unknown field in each object, at any depth. Each is checked against the schema by the caller
 * (a mutation the schema still accepts says nothing).
 */
export function mutations(s: Schema, value: Json, path: string[] = []): Mutation[] {
  const at = path.join('.') || '(body)';
  const out: Mutation[] = [];
  const set = (v: Json): Json => setAt(value, path, v);
  if (path.length) out.push({ name: `${at}: wrong type`, value: set(wrongType(s)) });
  if (s['enum'] && typeof s['enum'][0] === 'string') out.push({ name: `${at}: not in the enum`, value: set('NOT_AN_OPTION') });
  if (s['maxLength'] !== undefined) out.push({ name: `${at}: too long`, value: set('x'.repeat(s['maxLength'] + 1)) });
  if (s['pattern'] !== undefined || s['minLength'] !== undefined) out.push({ name: `${at}: blank`, value: set('   ') });
  if (s['format'] === 'email') out.push({ name: `${at}: not an email`, value: set('not-an-email') });
  if (s['maximum'] !== undefined) out.push({ name: `${at}: above the maximum`, value: set(s['maximum'] * 10 + 1) });
  if (s['minimum'] !== undefined) out.push({ name: `${at}: below the minimum`, value: set(s['minimum'] - 1) });
  if (s['exclusiveMinimum'] !== undefined) out.push({ name: `${at}: at the exclusive minimum`, value: set(s['exclusiveMinimum']) });
  if (typeOf(s) === 'integer') out.push({ name: `${at}: not an integer`, value: set(1.5) });
  const here = getAt(value, path);
  if (s['oneOf'] || s['anyOf']) {
    // The branch the value took: mutate inside it.
    const b = branches(s).find((x) => validate(x, here) === undefined);
    if (b) out.push(...mutations(b, value, path));
    return out;
  }
  if (typeOf(s) === 'object' && here && typeof here === 'object' && !Array.isArray(here)) {
    out.push({ name: `${at}: unknown field`, value: set({ ...here, colour: 'teal' }) });
    for (const k of s['required'] ?? []) {
      const { [k]: _gone, ...rest } = here as Record<string, Json>;
      out.push({ name: `${[...path, k].join('.')}: missing`, value: set(rest) });
    }
    for (const [k, p] of Object.entries<Schema>(s['properties'] ?? {})) {
      if (k in (here as object)) out.push(...mutations(p, value, [...path, k]));
    }
  }
  return out;
}

function getAt(v: Json, path: string[]): Json | undefined {
  let cur: Json | undefined = v;
  for (const k of path) cur = cur && typeof cur === 'object' && !Array.isArray(cur) ? cur[k] : undefined;
  return cur;
}

function setAt(v: Json, path: string[], value: Json): Json {
  if (path.length === 0) return value;
  const [k, ...rest] = path;
  const obj = (v && typeof v === 'object' && !Array.isArray(v) ? v : {}) as Record<string, Json>;
  return { ...obj, [k!]: setAt(obj[k!] ?? null, rest, value) };
}
