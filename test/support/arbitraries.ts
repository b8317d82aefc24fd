import fc from 'fast-check';
import { z } from 'zod';

/**
 * fast-check arbitraries made from the zod schemas in shared/ (through
 * z.toJSONSchema), mixed with the values careless servers turn into a 500:
 * NUL bytes, lone surrogates, numbers past int4 and int8, dates PostgreSQL
 * cannot store, wrong types, deep nesting, huge strings. Most generated
 * values are valid so that requests reach the services and the database;
 * at every node of the value a hostile one may stand in instead.
 */

/** Ids of real rows, so that generated requests reach past "not found". */
export interface Pools {
  uuids: string[];
  int4Ids: number[];
  strings: string[];
  /** Values that get far for a field of this name (a real pack id, a small amount), tried often. */
  named: Record<string, unknown[]>;
}

interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
}

const deepArray = (depth: number): unknown => {
  let v: unknown = [];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};
const deepObject = (depth: number): unknown => {
  let v: unknown = {};
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
};
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

export const HOSTILE_STRINGS: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '%00',
  '\ud800',
  'x\udc00y',
  '\ufeff\u202e\u200b\u2028',
  'e\u0301\u0301\u0301',
  '\uffff\ufffe',
  '😀'.repeat(60),
  'x'.repeat(20_000),
  '2147483648',
  '-2147483649',
  '9223372036854775808',
  '1e999',
  '-1',
  '0',
  'NaN',
  'null',
  '__proto__',
  'constructor',
  "'; DROP TABLE users; --",
  '../../../etc/passwd',
  '0000-00-00',
  '2024-02-30',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999999Z',
  '+275760-09-13T00:00:00.000Z',
  '-271821-04-20T00:00:00.000Z',
  '00000000-0000-0000-0000-000000000000',
  '------------------------------------',
  'ffffffff-ffff-ffff-ffff-fffffffffffg',
  b64({ asOf: '-271821-04-20T00:00:00.000Z', score: 1, id: '00000000-0000-4000-8000-000000000000' }),
  b64({ asOf: '2024-01-01T00:00:00Z', score: 1, id: '------------------------------------' }),
  b64({ asOf: '2024-01-01T00:00:00Z', score: 2 ** 63, id: '00000000-0000-4000-8000-000000000000' }),
  b64({ asOf: '+275760-09-13T00:00:00.000Z', score: -1, id: 'ffffffff-ffff-ffff-ffff-ffffffffffff' }),
];

export const HOSTILE_VALUES: readonly unknown[] = [
  ...HOSTILE_STRINGS,
  null,
  true,
  false,
  0,
  -0,
  -1,
  0.5,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 53,
  -(2 ** 53),
  2 ** 63,
  1e308,
  -1e308,
  [],
  {},
  [null],
  ['\u0000'],
  JSON.parse('{"__proto__":{"polluted":true}}'),
  deepArray(2_000),
  deepObject(500),
];

/** The JSON Schema of a zod schema's input side (what a client sends). */
export function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
}

const hostile = fc.constantFrom(...HOSTILE_VALUES);

/** Mostly valid, sometimes hostile, at every level. */
export function inputArbitrary(schema: z.ZodType, pools: Pools): fc.Arbitrary<unknown> {
  return fc.oneof({ arbitrary: node(jsonSchemaOf(schema), pools, ''), weight: 18 }, { arbitrary: hostile, weight: 1 }, { arbitrary: fc.jsonValue(), weight: 1 });
}

function node(s: JsonSchema, pools: Pools, name: string): fc.Arbitrary<unknown> {
  const valid = validish(s, pools, name);
  return fc.oneof({ arbitrary: valid, weight: 12 }, { arbitrary: hostile, weight: 1 });
}

function validish(s: JsonSchema, pools: Pools, name: string): fc.Arbitrary<unknown> {
  const named = pools.named[name];
  if (named?.length) return fc.oneof({ arbitrary: fc.constantFrom(...named), weight: 2 }, { arbitrary: generic(s, pools, name), weight: 1 });
  return generic(s, pools, name);
}

function generic(s: JsonSchema, pools: Pools, name: string): fc.Arbitrary<unknown> {
  if (s.anyOf) return fc.oneof(...s.anyOf.map((x) => validish(x, pools, name)));
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  switch (s.type) {
    case 'string':
      return stringOf(s, pools, name);
    case 'integer': {
      const min = s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : (s.minimum ?? Number.MIN_SAFE_INTEGER);
      const max = s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : (s.maximum ?? Number.MAX_SAFE_INTEGER);
      const ints = fc.integer({ min: Math.max(min, Number.MIN_SAFE_INTEGER), max: Math.min(max, Number.MAX_SAFE_INTEGER) });
      return pools.int4Ids.length && /id$/i.test(name) ? fc.oneof(ints, fc.constantFrom(...pools.int4Ids)) : ints;
    }
    case 'number':
      return fc.double({ min: s.minimum ?? -1e9, max: s.maximum ?? 1e9, noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(s.items ? node(s.items, pools, name) : fc.jsonValue(), { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 5, 8) });
    case 'object': {
      const props = Object.entries(s.properties ?? {});
      if (props.length === 0) return fc.oneof(fc.constant({}), fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue(), { maxKeys: 2 }));
      const record = fc.record(Object.fromEntries(props.map(([k, v]) => [k, node(v, pools, k)])), { requiredKeys: s.required ?? [] });
      // Now and then a key the strict schema does not know.
      return fc.oneof({ arbitrary: record, weight: 19 }, { arbitrary: fc.tuple(record, fc.constantFrom('extra', '__proto__', 'constructor')).map(([r, k]) => ({ ...(r as object), [k]: 1 })), weight: 1 });
    }
    default:
      return fc.jsonValue();
  }
}

function stringOf(s: JsonSchema, pools: Pools, name: string): fc.Arbitrary<string> {
  if (s.format === 'uuid') return fc.oneof({ arbitrary: fc.uuid(), weight: 1 }, ...(pools.uuids.length ? [{ arbitrary: fc.constantFrom(...pools.uuids), weight: 3 }] : []));
  if (s.format === 'date') return fc.date({ min: new Date('1900-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
  if (s.format === 'date-time') {
    return fc.oneof(
      fc.date({ min: new Date('2000-01-01'), max: new Date('2035-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
      fc.constantFrom('0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999999Z', '1970-01-01T00:00:00Z'),
    );
  }
  if (name === 'email') return fc.tuple(fc.stringMatching(/^[a-z0-9]{1,12}$/), fc.constantFrom('example.test', 'EXAMPLE.test')).map(([u, d]) => `${u}@${d}`);
  if (s.pattern) {
    try {
      const matching = fc.stringMatching(new RegExp(s.pattern, 'u')).filter((v) => (s.maxLength === undefined || v.length <= s.maxLength) && v.length >= (s.minLength ?? 0));
      // Numeric ids in paths: real ones too, and the first past int4.
      if (/id$/i.test(name) && s.pattern.includes('[0-9]') && pools.int4Ids.length) {
        return fc.oneof(matching, fc.constantFrom(...pools.int4Ids.map(String), '2147483647', '2147483648', '9999999999'));
      }
      return matching;
    } catch {
      /* a pattern fast-check cannot generate from: plain strings below */
    }
  }
  const plain = fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 40, 60), unit: 'binary' });
  // Otherwise valid text with one character PostgreSQL refuses (or a lone surrogate) somewhere inside.
  const poisoned = fc
    .tuple(plain, fc.constantFrom('\u0000', '\ud800', '\udfff'), fc.nat())
    .map(([v, bad, at]) => v.slice(0, at % (v.length + 1)) + bad + v.slice(at % (v.length + 1)));
  return fc.oneof(
    { arbitrary: plain, weight: 8 },
    { arbitrary: poisoned, weight: 1 },
    ...(pools.strings.length ? [{ arbitrary: fc.constantFrom(...pools.strings), weight: 2 }] : []),
  );
}

/** How a body goes over the wire: mostly JSON, sometimes broken in a way only the transport sees. */
export type BodyTransport = 'json' | 'gzip-json' | 'gzip-garbage' | 'br-garbage' | 'deflate-garbage' | 'unknown-encoding' | 'broken-json' | 'text-plain' | 'oversized';

export const bodyTransport: fc.Arbitrary<BodyTransport> = fc.oneof(
  { arbitrary: fc.constant('json' as const), weight: 16 },
  { arbitrary: fc.constantFrom<BodyTransport>('gzip-json', 'gzip-garbage', 'br-garbage', 'deflate-garbage', 'unknown-encoding', 'broken-json', 'text-plain', 'oversized'), weight: 2 },
);
