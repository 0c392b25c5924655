// Hostile requests for the write routes, generated from the routes' zod schemas (through their JSON Schema): a
// valid body first, then mutations that each make the request invalid by construction (wrong types, missing or
// unknown fields, oversize strings, prototype keys, deep nesting, broken JSON or UTF-8, wrong media types, bad
// headers, bad path ids). A request is only kept when at least one counted mutation applies, so none may write.
import fc from 'fast-check';
import * as z from '../../functions/domain/zod.ts';
import { hostileJson, MAX_BODY_BYTES } from '../../functions/commons/http.ts';
import type { RouteSpec } from '../../functions/routes.ts';
import type { RawRequest } from './support.ts';

export interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  enum?: unknown[];
  const?: unknown;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
}

export function jsonSchemaOf(schema: z.core.$ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
}

// ---- valid values -------------------------------------------------------------------------------------------

const text = (min: number, max: number) =>
  fc
    .oneof(
      fc.string({ minLength: Math.max(min, 1), maxLength: max }),
      fc.string({ unit: 'grapheme', minLength: Math.max(min, 1), maxLength: max }),
    )
    .filter((s) => s.trim().length >= min && s.length <= max);

const email = fc
  .tuple(fc.stringMatching(/^[a-z0-9]{1,12}$/), fc.stringMatching(/^[a-z][a-z0-9]{0,10}$/), fc.constantFrom('org', 'com', 'example', 'io'))
  .map(([local, domain, tld]) => `${local}@${domain}.${tld}`);

function variant(s: JsonSchema, value: unknown): JsonSchema {
  const options = s.oneOf ?? s.anyOf;
  if (!options) return s;
  const fits = options.find((o) =>
    Object.entries(o.properties ?? {}).every(([k, p]) => p.const === undefined || (value as Record<string, unknown> | null)?.[k] === p.const),
  );
  return fits ?? options[0]!;
}

export function validValue(s: JsonSchema): fc.Arbitrary<unknown> {
  const options = s.oneOf ?? s.anyOf;
  if (options) return fc.oneof(...options.map(validValue));
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  switch (s.type) {
    case 'object': {
      const props = Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, p]) => [k, validValue(p)]));
      return fc.record(props, { requiredKeys: s.required ?? [] });
    }
    case 'string': {
      const min = s.minLength ?? 0;
      const max = Math.min(s.maxLength ?? 60, 60);
      if (s.format === 'email') return email;
      if (s.pattern) return fc.stringMatching(new RegExp(s.pattern)).filter((x) => x.length >= min && x.length <= (s.maxLength ?? Infinity));
      return min === 0 ? fc.oneof(fc.constant(''), text(0, max)) : text(min, max);
    }
    case 'integer':
      return fc.integer({ min: s.minimum ?? -1_000_000, max: s.maximum ?? 1_000_000 });
    case 'number': {
      const min = s.exclusiveMinimum ?? s.minimum ?? -1_000_000;
      return fc.double({ min, max: s.maximum ?? 1_000_000, noNaN: true, noDefaultInfinity: true, minExcluded: s.exclusiveMinimum !== undefined });
    }
    case 'boolean':
      return fc.boolean();
    default:
      return fc.constant(null);
  }
}

// ---- value mutations (on the parsed body) ---------------------------------------------------------------------

export type ValueMutation =
  | { kind: 'remove'; path: string[] }
  | { kind: 'set'; why: string; path: string[]; value: unknown }
  | { kind: 'unknownField'; at: string[]; key: string; value: unknown }
  | { kind: 'protoKey'; at: string[]; key: string; value: unknown }
  | { kind: 'manyKeys'; count: number }
  | { kind: 'root'; value: unknown };

interface Field {
  path: string[];
  schema: JsonSchema;
  required: boolean;
}

function walk(s: JsonSchema, v: unknown, path: string[], fields: Field[], objects: { path: string[]; schema: JsonSchema }[]) {
  const shape = variant(s, v);
  if (shape.type !== 'object' || !v || typeof v !== 'object' || Array.isArray(v)) return;
  objects.push({ path, schema: shape });
  const required = new Set(shape.required ?? []);
  for (const [k, p] of Object.entries(shape.properties ?? {})) {
    fields.push({ path: [...path, k], schema: p, required: required.has(k) });
    walk(p, (v as Record<string, unknown>)[k], [...path, k], fields, objects);
  }
}

const nested = (depth: number, array: boolean) => {
  let v: unknown = 'bottom';
  for (let i = 0; i < depth; i++) v = array ? [v] : { a: v };
  return v;
};

const anyJson = fc.jsonValue({ maxDepth: 2 });
const notAString = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.constant({ $gt: '' }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
);
const notANumber = fc.oneof(
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e400', '5', '', '0x10', ' 3 ', '1_000'),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.constant({ valueOf: 3 }),
);
const notAnObject = fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.boolean(), fc.constant(null), fc.array(anyJson, { maxLength: 3 }));
const HOSTILE_KEYS = ['colour', 'isAdmin', 'role', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', '$where', 'id ', 'Subject', 'a.b', '0', ''];
const LONE_SURROGATES = ['\uD800', '\uDBFF', '\uDC00', 'ok\uD83D', '\uDE00ok'];
const BLANKS = ['', ' ', '   ', '\t', '\n \r', '\u00a0', '\u3000', '\u2028'];

function fieldMutations(f: Field): fc.Arbitrary<ValueMutation>[] {
  const { path, schema: s } = f;
  const set = (why: string, value: fc.Arbitrary<unknown>) => value.map((v): ValueMutation => ({ kind: 'set', why, path, value: v }));
  const out: fc.Arbitrary<ValueMutation>[] = [];
  const options = s.oneOf ?? s.anyOf;
  const type = s.type ?? (s.enum || s.const !== undefined ? 'string' : options ? 'object' : undefined);
  if (f.required) out.push(fc.constant<ValueMutation>({ kind: 'remove', path }));
  if (type === 'string') {
    out.push(set('wrong type', notAString));
    out.push(set('lone surrogate', fc.constantFrom(...LONE_SURROGATES)));
    out.push(set('huge string', fc.constantFrom('x', 'é', '😀').map((c) => c.repeat(Math.ceil(70_000 / c.length)))));
    if (s.maxLength !== undefined) {
      const max = s.maxLength;
      out.push(set('too long', fc.tuple(fc.integer({ min: max + 1, max: max * 2 + 1 }), fc.constantFrom('x', 'é', 'ab')).map(([n, c]) => c.repeat(Math.ceil(n / c.length)))));
    }
    if ((s.minLength ?? 0) >= 1) out.push(set('blank', fc.constantFrom(...BLANKS)));
    const allowed = s.enum ?? (s.const !== undefined ? [s.const] : undefined);
    if (allowed) {
      const near = allowed.flatMap((a) => [String(a).toLowerCase(), String(a).toUpperCase(), ` ${String(a)}`, `${String(a)} `, `${String(a)}x`]);
      out.push(set('not in enum', fc.oneof(fc.constantFrom(...near, '', 'null', 'undefined'), fc.string({ maxLength: 12 })).filter((x) => !allowed.includes(x))));
    }
    if (s.format === 'email') {
      out.push(set('not an email', fc.constantFrom('not-an-email', 'a@b', '@example.org', 'a@@example.org', 'a b@example.org', 'a@example', 'ana@example.org\n', `${'x'.repeat(250)}@example.org`, 'ana@exa mple.org', '"a"@example.org')));
    } else if (s.pattern) {
      const re = new RegExp(s.pattern);
      out.push(set('pattern mismatch', fc.oneof(fc.constantFrom('usd', 'US', 'USDX', 'U$D', '123', 'Billing', '1billing', 'bill_ing', 'b'.repeat(41), ' '), fc.string({ maxLength: 12 })).filter((x) => !re.test(x))));
    }
  }
  if (type === 'number' || type === 'integer') {
    out.push(set('wrong type', notANumber));
    const low = s.exclusiveMinimum ?? (s.minimum !== undefined ? s.minimum - 1 : undefined);
    const high = s.exclusiveMaximum ?? (s.maximum !== undefined ? s.maximum * 10 + 1 : undefined);
    const outside = [-1e308, ...(low !== undefined ? [low, low - 0.5] : []), ...(high !== undefined ? [high, 1e308] : [])];
    out.push(set('out of range', fc.constantFrom(...outside)));
    if (type === 'integer') out.push(set('not an integer', fc.constantFrom(2.5, 1.0000001, 4.9, (s.minimum ?? 0) + 0.5)));
  }
  if (type === 'object') out.push(set('wrong type', notAnObject));
  out.push(set('deep nesting', fc.tuple(fc.integer({ min: 33, max: 1000 }), fc.boolean()).map(([d, a]) => nested(d, a))));
  return out;
}

export function valueMutations(schema: JsonSchema, base: unknown): fc.Arbitrary<ValueMutation> {
  const fields: Field[] = [];
  const objects: { path: string[]; schema: JsonSchema }[] = [];
  walk(schema, base, [], fields, objects);
  const out = fields.flatMap(fieldMutations);
  for (const o of objects) {
    const known = new Set(Object.keys(o.schema.properties ?? {}));
    const key = fc.oneof(fc.constantFrom(...HOSTILE_KEYS), fc.string({ maxLength: 16 })).filter((k) => !known.has(k) && !['__proto__', 'constructor', 'prototype'].includes(k));
    out.push(fc.record({ key, value: anyJson }).map(({ key: k, value }): ValueMutation => ({ kind: 'unknownField', at: o.path, key: k, value })));
    out.push(
      fc
        .record({ key: fc.constantFrom('__proto__', 'constructor', 'prototype'), value: fc.oneof(fc.constant({ polluted: true }), fc.constant({ prototype: { polluted: true } }), anyJson) })
        .map(({ key: k, value }): ValueMutation => ({ kind: 'protoKey', at: o.path, key: k, value })),
    );
  }
  out.push(fc.integer({ min: 60, max: 4000 }).map((count): ValueMutation => ({ kind: 'manyKeys', count })));
  out.push(fc.oneof(fc.constant([]), fc.constant('a string'), fc.integer(), fc.constant(null), fc.constant(true), fc.constant([base]), fc.constant(JSON.stringify(base))).map((value): ValueMutation => ({ kind: 'root', value })));
  return fc.oneof(...out);
}

function defineOwn(obj: Record<string, unknown>, key: string, value: unknown) {
  // Own data property even for __proto__ (an assignment would set the prototype instead).
  Object.defineProperty(obj, key, { value, enumerable: true, configurable: true, writable: true });
}

function parentOf(root: unknown, path: string[]): Record<string, unknown> | undefined {
  let cur: unknown = root;
  for (const k of path) {
    if (!cur || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur && typeof cur === 'object' && !Array.isArray(cur) ? (cur as Record<string, unknown>) : undefined;
}

/** A private copy of a generated value (mutations may nest into it later); JSON keeps own __proto__ keys. */
const copy = (v: unknown): unknown => (v !== null && typeof v === 'object' ? JSON.parse(JSON.stringify(v)) : v);

/** Applies one mutation in place; returns the paths a 400 should name, or undefined when it did not apply. */
function applyValue(box: { value: unknown }, m: ValueMutation): string[] | undefined {
  const name = (path: string[]) => path.join('.') || '(body)';
  switch (m.kind) {
    case 'root':
      box.value = copy(m.value);
      return ['(body)'];
    case 'manyKeys': {
      const obj = parentOf(box.value, []);
      if (!obj) return undefined;
      const keys = Array.from({ length: m.count }, (_, i) => `extra${i}`);
      for (const k of keys) obj[k] = k.length;
      return keys.slice(0, 60);
    }
    case 'unknownField':
    case 'protoKey': {
      const obj = parentOf(box.value, m.at);
      if (!obj) return undefined;
      defineOwn(obj, m.key, copy(m.value));
      return [name([...m.at, m.key === '' ? '""' : m.key])];
    }
    case 'remove': {
      const obj = parentOf(box.value, m.path.slice(0, -1));
      if (!obj || !(m.path.at(-1)! in obj)) return undefined;
      delete obj[m.path.at(-1)!];
      return [name(m.path)];
    }
    case 'set': {
      const obj = parentOf(box.value, m.path.slice(0, -1));
      if (!obj) return undefined;
      defineOwn(obj, m.path.at(-1)!, copy(m.value));
      return [name(m.path)];
    }
  }
}

// ---- raw, header and path mutations ---------------------------------------------------------------------------

export type RawMutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'garbage'; text: string; where: 'append' | 'prepend' }
  | { kind: 'syntax'; variant: 'single quotes' | 'trailing comma' | 'NaN' | 'Infinity' | 'comment' | 'undefined' | 'unquoted key' | 'concatenated' }
  | { kind: 'badUtf8'; bytes: number[]; at: number }
  | { kind: 'contentType'; value: string | null }
  | { kind: 'empty'; text: string };

const rawMutation = (bodyRequired: boolean): fc.Arbitrary<RawMutation> =>
  fc.oneof(
    fc.double({ min: 0, max: 1, noNaN: true }).map((at): RawMutation => ({ kind: 'truncate', at })),
    fc.record({ text: fc.constantFrom('}', ',', 'x', ']', '{', '"', '\\', '\u0000', '\ufeff', 'null', '{}'), where: fc.constantFrom('append' as const, 'prepend' as const) }).map((g): RawMutation => ({ kind: 'garbage', ...g })),
    fc.constantFrom('single quotes', 'trailing comma', 'NaN', 'Infinity', 'comment', 'undefined', 'unquoted key', 'concatenated').map((variant) => ({ kind: 'syntax', variant }) as RawMutation),
    fc
      .record({
        bytes: fc.constantFrom<number[]>([0xff], [0xfe, 0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xc3], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80], [0xf4, 0x90, 0x80, 0x80]),
        at: fc.double({ min: 0, max: 1, noNaN: true }),
      })
      .map((b): RawMutation => ({ kind: 'badUtf8', ...b })),
    fc
      .constantFrom<string | null>(
        null,
        '',
        'text/plain',
        'text/json',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/xml',
        'application/jsonx',
        'application/json-seq',
        'application/json; charset=iso-8859-1',
        'application/json; charset=utf-16',
        'application/json, text/plain',
        '*/*',
        'json',
        'application/ json',
      )
      .map((value): RawMutation => ({ kind: 'contentType', value })),
    ...(bodyRequired ? [fc.constantFrom('', ' ', '\n', '\r\n\t ').map((t): RawMutation => ({ kind: 'empty', text: t }))] : []),
  );

export type HeaderMutation = { kind: 'ifMatch'; value: string } | { kind: 'staleIfMatch' } | { kind: 'idempotencyKey'; value: string };

const BAD_IF_MATCH = ['abc', '"-1"', '"1.5"', '"1", "2"', 'W/', '""', `"${'9'.repeat(13)}"`, '', 'null', '"0x1"', '1e3', '"1', '*, "1"', 'W/"a"'];
// (Leading and trailing blanks are not on the list: HTTP strips them from a header value before anyone sees it.)
const BAD_IDEMPOTENCY_KEYS = ['', 'has space', 'x'.repeat(256), 'tab\there', 'caf\u00e9', '\u00ff'.repeat(10), 'a,b c'];

export type PathMutation = { kind: 'caseId'; value: string } | { kind: 'compensationId'; value: string } | { kind: 'token'; value: string };

const WEIRD_IDS = (real: string) => [
  'nope',
  real.toLowerCase(),
  `${real}X`,
  real.slice(0, -1),
  real.replace(/^./, 'I'), // I is not in the ULID alphabet
  '01ARZ3NDEKTSV4RRFFQ69G5FAV', // well formed, no such case
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '..',
  '%00',
  'A'.repeat(600),
  "'%20OR%20'1'%3D'1",
  '%F0%9F%92%A9',
  '%E0%A4%A',
  '%2F',
  '__proto__',
  'constructor',
  '%24%7Bjndi%3Aldap%3A%2F%2Fx%7D',
];

// ---- requests -----------------------------------------------------------------------------------------------

export interface Target {
  route: RouteSpec;
  /** The schema the server must find the body invalid against (undefined: the route takes no body). */
  oracle: z.ZodMiniType | undefined;
  ids: { id?: string; compensationId?: string; token?: string };
  authorization: string;
  /** Makes a schema-valid base valid for the domain too (currency, department…), so only the mutations refuse it. */
  refine?: (base: any) => unknown;
}

export interface Hostile {
  operationId: string;
  labels: string[];
  request: RawRequest;
  /** Statuses a correct server may answer with; a 400 must name one of `paths`. */
  statuses: number[];
  paths: string[];
}

export interface Draft {
  base: unknown;
  values: ValueMutation[];
  raw: RawMutation | null;
  headers: HeaderMutation[];
  path: PathMutation | null;
}

const isInvalidJson = (s: string) => {
  try {
    JSON.parse(s);
    return false;
  } catch {
    return true;
  }
};

function applyRaw(textBody: string, m: RawMutation): { bytes: Buffer<ArrayBufferLike>; contentType?: string | null } {
  switch (m.kind) {
    case 'truncate': {
      const cut = Math.min(textBody.length - 1, Math.max(1, Math.floor(m.at * textBody.length)));
      const t = textBody.slice(0, cut);
      return { bytes: Buffer.from(t) };
    }
    case 'garbage': {
      const t = m.where === 'append' ? textBody + m.text : m.text + textBody;
      return { bytes: Buffer.from(t) };
    }
    case 'syntax': {
      const t = {
        'single quotes': textBody.replace(/"/g, "'"),
        'trailing comma': textBody.replace(/}$/, ',}'),
        NaN: textBody.replace(/^\{/, '{"n":NaN,'),
        Infinity: textBody.replace(/^\{/, '{"n":Infinity,'),
        comment: `/* hi */${textBody}`,
        undefined: textBody.replace(/^\{/, '{"u":undefined,'),
        'unquoted key': textBody.replace(/^\{/, '{a:1,'),
        concatenated: `${textBody}${textBody}`,
      }[m.variant];
      return { bytes: Buffer.from(t) };
    }
    case 'badUtf8': {
      const b = Buffer.from(textBody);
      const at = Math.floor(m.at * b.length);
      return { bytes: Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]) };
    }
    case 'contentType':
      return { bytes: Buffer.from(textBody), contentType: m.value };
    case 'empty':
      return { bytes: Buffer.from(m.text) };
  }
}

/** One hostile request from a draft and what a correct server answers it with (exported for the generator's own tests). */
export function build(t: Target, d: Draft): Hostile | undefined {
  const route = t.route;
  const takesBody = t.oracle !== undefined;
  const labels: string[] = [];
  const statuses = new Set<number>();
  const paths: string[] = [];
  let counted = 0;

  // Body: value mutations, then the text, then at most one raw mutation.
  const box = { value: structuredClone(d.base) };
  const valuePaths: string[] = [];
  for (const m of d.values) {
    const p = applyValue(box, m);
    if (p) {
      valuePaths.push(...p);
      labels.push(m.kind === 'set' ? `value:${m.why}` : `value:${m.kind}`);
    }
  }
  const textBody = JSON.stringify(box.value) ?? 'null';
  let bytes: Buffer<ArrayBufferLike> = Buffer.from(textBody);
  let contentType: string | null = 'application/json';
  if (d.raw) {
    const r = applyRaw(textBody, d.raw);
    bytes = r.bytes;
    if (r.contentType !== undefined) contentType = r.contentType;
    labels.push(`raw:${d.raw.kind}`);
  }
  if (takesBody) {
    // Judge the bytes the server really gets, not the value before the raw mutation: a raw mutation can undo a value
    // mutation (a one-character body such as `0`, truncated, is no body at all, which a route without a required body
    // takes as `{}`).
    const refuse = (status: number, named: string[]) => {
      counted++;
      statuses.add(status);
      paths.push(...named);
    };
    if (d.raw?.kind === 'contentType') refuse(415, []);
    const sent = bytes.toString('utf8');
    if (d.raw?.kind === 'badUtf8') refuse(400, ['(body)']);
    else if (sent.trim() === '') {
      if (!t.oracle!.safeParse({}).success) refuse(400, ['(body)']);
    } else if (isInvalidJson(sent)) refuse(400, ['(body)']);
    else if (valuePaths.length || d.raw) {
      const parsed = JSON.parse(sent) as unknown;
      if (!t.oracle!.safeParse(parsed).success || hostileJson(parsed).length > 0) refuse(400, valuePaths.length ? valuePaths : ['(body)']);
    }
  }
  if (takesBody && bytes.length > MAX_BODY_BYTES) statuses.add(413);

  // Headers.
  const headers: Record<string, string> = { authorization: t.authorization };
  if (contentType !== null) headers['content-type'] = contentType;
  for (const h of d.headers) {
    if (h.kind === 'idempotencyKey') {
      headers['idempotency-key'] = h.value;
      if (route.conditionalWrite) {
        counted++;
        statuses.add(400);
        paths.push('Idempotency-Key');
      }
    } else {
      headers['if-match'] = h.kind === 'staleIfMatch' ? '"987654"' : h.value;
      if (route.conditionalWrite && route.operationId !== 'createCase') {
        counted++;
        statuses.add(h.kind === 'staleIfMatch' ? 409 : 400);
        if (h.kind === 'ifMatch') paths.push('If-Match');
      }
    }
    labels.push(`header:${h.kind}`);
  }

  // Path.
  const ids = { ...t.ids };
  if (d.path) {
    labels.push(`path:${d.path.kind}`);
    if (d.path.kind === 'caseId') ids.id = d.path.value;
    if (d.path.kind === 'compensationId') ids.compensationId = d.path.value;
    if (d.path.kind === 'token') ids.token = d.path.value;
    counted++;
    statuses.add(404);
    if (d.path.kind === 'token') statuses.add(403);
  }
  if (!counted) return undefined;
  const path = route.path
    .replace('{id}', ids.id ?? '')
    .replace('{compensationId}', ids.compensationId ?? '')
    .replace('{token}', ids.token ?? '');
  const hostile: Hostile = { operationId: route.operationId, labels, request: { method: 'POST', path, headers, body: bytes }, statuses: [...statuses].sort(), paths };
  // fast-check prints counterexamples with this (a 70 KB body would otherwise fill the screen).
  Object.defineProperty(hostile, fc.toStringMethod, { value: () => describeHostile(hostile), enumerable: false });
  return hostile;
}

/** One request in a few lines: route, mutations, expectations, and the start of the body. */
export function describeHostile(h: Hostile): string {
  const body = Buffer.isBuffer(h.request.body) ? h.request.body : Buffer.from(h.request.body ?? '');
  const preview = body.toString('utf8').slice(0, 300);
  return `${h.operationId} [${h.labels.join(', ')}] expects ${h.statuses.join('|')}${h.paths.length ? ` naming ${h.paths.slice(0, 5).join(', ')}` : ''}
  POST ${h.request.path.slice(0, 200)}
  headers ${JSON.stringify({ ...h.request.headers, authorization: '…' })}
  body (${body.length} bytes) ${JSON.stringify(preview)}`;
}

type Category = 'value' | 'raw' | 'header' | 'path';

export function hostileRequests(t: Target): fc.Arbitrary<Hostile> {
  const route = t.route;
  const schema = t.oracle ? jsonSchemaOf(t.oracle) : undefined;
  const bodyRequired = t.oracle ? !t.oracle.safeParse({}).success : false;
  const base: fc.Arbitrary<unknown> = schema
    ? validValue(schema)
        .map((v) => (t.refine ? t.refine(v) : v))
        .filter((v) => t.oracle!.safeParse(JSON.parse(JSON.stringify(v))).success)
    : fc.constant({});
  const headerMutation: fc.Arbitrary<HeaderMutation> = fc.oneof(
    fc.constantFrom(...BAD_IF_MATCH).map((value): HeaderMutation => ({ kind: 'ifMatch', value })),
    fc.constant<HeaderMutation>({ kind: 'staleIfMatch' }),
    fc.constantFrom(...BAD_IDEMPOTENCY_KEYS).map((value): HeaderMutation => ({ kind: 'idempotencyKey', value })),
  );
  const pathOptions: fc.Arbitrary<PathMutation>[] = [];
  if (t.ids.id) pathOptions.push(fc.constantFrom(...WEIRD_IDS(t.ids.id)).map((value): PathMutation => ({ kind: 'caseId', value })));
  if (t.ids.compensationId) pathOptions.push(fc.constantFrom(...WEIRD_IDS(t.ids.compensationId)).map((value): PathMutation => ({ kind: 'compensationId', value })));
  if (t.ids.token) {
    const tok = t.ids.token;
    const flip = (i: number) => tok.slice(0, i) + (tok[i] === 'x' ? 'y' : 'x') + tok.slice(i + 1);
    pathOptions.push(
      fc.oneof(
        fc.integer({ min: 0, max: tok.length - 1 }).map(flip),
        fc.constantFrom('abc', 'a.b', `${tok}.x`, tok.split('.')[0]!, tok.toUpperCase(), 'a'.repeat(3000), '%00', '..', '__proto__'),
      ).filter((v) => v !== tok).map((value): PathMutation => ({ kind: 'token', value })),
    );
  }
  const categories: Category[] = [];
  if (schema) categories.push('value', 'raw');
  if (route.conditionalWrite) categories.push('header');
  if (pathOptions.length) categories.push('path');

  return fc
    .tuple(base, fc.constantFrom(...categories))
    .chain(([b, primary]) => {
      const values = schema ? valueMutations(schema, b) : undefined;
      const some = <T>(cat: Category, arb: fc.Arbitrary<T>, max: number): fc.Arbitrary<T[]> =>
        primary === cat ? fc.array(arb, { minLength: 1, maxLength: max }) : fc.oneof({ weight: 3, arbitrary: fc.constant<T[]>([]) }, { weight: 1, arbitrary: fc.array(arb, { minLength: 1, maxLength: 1 }) });
      return fc.record({
        base: fc.constant(b),
        // Routes without a body still get body noise now and then: it must change nothing either.
        values: values ? some('value', values, 3) : fc.constant<ValueMutation[]>([]),
        raw: some('raw', rawMutation(bodyRequired), 1).map((r) => r[0] ?? null),
        headers: some('header', headerMutation, 2),
        path: pathOptions.length ? some('path', fc.oneof(...pathOptions), 1).map((p) => p[0] ?? null) : fc.constant(null),
      });
    })
    .map((d) => build(t, d))
    .filter((h): h is Hostile => h !== undefined);
}
