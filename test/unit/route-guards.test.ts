import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { ROUTE_SCHEMAS } from '../../src/contract/route-schemas.js';
import { check, parseSecretsBody, REFUSED, ROUTE_GUARDS, type Shape } from '../../src/contract/route-guards.js';
import { secretsResponseSchema } from '../../src/contract/index.js';

// The daily commands check responses with zod-free shapes instead of the contract's zod schemas. For
// every guarded route and status, the shape must accept exactly what the schema accepts and return
// what the schema's parse returns: on valid bodies, on valid bodies with one value anywhere in them
// replaced or removed, and on arbitrary JSON.

const json = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

const oddNumbers = fc.constantFrom(-1, -0, 0, 1, 0.5, 1e21, 2 ** 53, 2 ** 53 - 1, -(2 ** 53), Number.MAX_VALUE, 1e-7);
const oddStrings = fc.constantFrom('production', 'prod', '', '0', 'staging ', 'owner', 'Admin', 'pending', 'set', 'a-b', 'A', '__proto__');
const anyJson = fc.oneof(fc.jsonValue({ maxDepth: 2 }), oddNumbers, oddStrings, fc.constant(null), fc.constant({}), fc.constant([]));

/** Bodies the shape describes, with unknown properties added where the shape allows them. */
function valid(shape: Shape): fc.Arbitrary<unknown> {
  switch (shape.type) {
    case 'string':
      return shape.pattern ? fc.oneof(fc.stringMatching(shape.pattern), fc.string()) : fc.string();
    case 'int':
      return fc.oneof(fc.integer({ min: shape.min, max: 1000 }), fc.constant(Number.MAX_SAFE_INTEGER), fc.constant(shape.min));
    case 'enum':
      return fc.constantFrom(...shape.values);
    case 'nullable':
      return fc.oneof(fc.constant(null), valid(shape.of));
    case 'array':
      return fc.array(valid(shape.of), { maxLength: 3 });
    case 'record':
      return fc.dictionary(fc.oneof(fc.string(), fc.constant('__proto__'), fc.constant('toString')), valid(shape.of), { maxKeys: 4 });
    case 'object': {
      const fields = fc.record(Object.fromEntries(Object.entries(shape.fields).map(([k, s]) => [k, valid(s)])), {
        requiredKeys: Object.keys(shape.fields).filter((k) => !shape.optional?.includes(k)),
      });
      const extra = fc.dictionary(fc.constantFrom('extra', 'id2', '__proto__', 'constructor'), anyJson, { maxKeys: 2 });
      return fc.tuple(fields, extra).map(([f, e]) => ({ ...e, ...f }));
    }
  }
}

/** Every path to a value inside `v` (the root included). */
function paths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  const out = [at];
  if (Array.isArray(v)) v.forEach((item, i) => out.push(...paths(item, [...at, i])));
  else if (typeof v === 'object' && v !== null) for (const [k, item] of Object.entries(v)) out.push(...paths(item, [...at, k]));
  return out;
}

/** A valid body with one value somewhere replaced by arbitrary JSON, or removed. */
const broken = (shape: Shape) =>
  fc.tuple(valid(shape).map(json), fc.nat(), anyJson, fc.boolean()).map(([body, pick, value, remove]) => {
    const all = paths(body);
    const path = all[pick % all.length] ?? [];
    const last = path.at(-1);
    if (last === undefined) return value;
    let parent = body as Record<string | number, unknown>;
    for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
    if (remove && !Array.isArray(parent)) delete parent[last];
    else parent[last] = value;
    return body;
  });

const cases = Object.entries(ROUTE_GUARDS).flatMap(([id, byStatus]) =>
  Object.entries(byStatus as Record<string, Shape>).map(([status, shape]) => {
    const responses = ROUTE_SCHEMAS[id as keyof typeof ROUTE_SCHEMAS].responses as Record<string, z.ZodType | null>;
    return { name: `${id} ${status}`, shape, schema: responses[status] };
  }),
);

describe.each(cases)('the zod-free guard of $name', ({ shape, schema }) => {
  /** The guard accepts what the schema accepts, and returns what the schema's parse returns. */
  const agree = (body: unknown): void => {
    const zod = schema!.safeParse(body);
    const guarded = check(shape, body);
    expect(guarded === REFUSED ? undefined : guarded, JSON.stringify(body)).toStrictEqual(zod.success ? zod.data : undefined);
  };

  it('has a schema for the same status', () => expect(schema).toBeTruthy());
  it('agrees with the schema on valid bodies', () => {
    // Most generated bodies must be accepted, or the comparison says little.
    let accepted = 0;
    fc.assert(
      fc.property(valid(shape).map(json), (b) => {
        agree(b);
        if (check(shape, b) !== REFUSED) accepted++;
      }),
      { numRuns: 300 },
    );
    expect(accepted).toBeGreaterThan(100);
  });
  it('agrees on bodies with one value replaced or removed', () => {
    fc.assert(fc.property(broken(shape), (b) => agree(json(b))), { numRuns: 1000 });
  });
  it('agrees on arbitrary JSON', () => {
    fc.assert(fc.property(anyJson, (b) => agree(json(b))), { numRuns: 200 });
  });
});

describe('parseSecretsBody (the fast path of run / get / pull)', () => {
  const agree = (body: unknown): void => {
    const zod = secretsResponseSchema.safeParse(body);
    expect(parseSecretsBody(body), JSON.stringify(body)).toStrictEqual(zod.success ? zod.data : undefined);
  };
  it.each([
    '{"project":"p","environment":"staging","revision":1,"secrets":{"__proto__":"x"}}',
    '{"project":"p","environment":"staging","revision":1,"secrets":{"__proto__":{}}}',
    '{"__proto__":{"project":"p"},"environment":"staging","revision":1,"secrets":{}}',
    '{"project":"p","environment":"staging","revision":1,"secrets":{},"damaged":null}',
    '{"project":"p","environment":"staging","revision":1.0,"secrets":{}}',
    '{"project":"p","environment":"staging","revision":-0,"secrets":{}}',
    '{"project":"p","environment":"staging","revision":1,"secrets":[]}',
    '{"project":"p","environment":"staging","revision":1,"secrets":{"A":"1"},"damaged":["B"]}',
    'null',
    '[]',
  ])('agrees on %s', (text) => agree(JSON.parse(text)));
});
