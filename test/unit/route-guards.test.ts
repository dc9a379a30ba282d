import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ENVIRONMENTS, secretsResponseSchema } from '../../src/contract/index.js';
import { parseSecretsBody } from '../../src/contract/route-guards.js';

// The fast path checks the bulk read's body without zod: its guard must accept exactly what the
// contract's schema accepts (and return the same value), on valid bodies, bodies with one field
// broken, and arbitrary JSON.

const json = (v: unknown): unknown => JSON.parse(JSON.stringify(v));
/** The guard accepts what the schema accepts, and returns what the schema's parse returns. */
const agree = (body: unknown): void => {
  const zod = secretsResponseSchema.safeParse(body);
  expect(parseSecretsBody(body), JSON.stringify(body)).toStrictEqual(zod.success ? zod.data : undefined);
};

const oddNumbers = fc.constantFrom(-1, -0, 0.5, 1e21, 2 ** 53, 2 ** 53 - 1, -(2 ** 53), Number.MAX_VALUE, 1e-7);
const anyJson = fc.oneof(fc.jsonValue(), oddNumbers, fc.constantFrom('production', 'prod', '', '0', 'staging '));

const validBody = fc.record(
  {
    project: fc.string(),
    environment: fc.constantFrom(...ENVIRONMENTS),
    revision: fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER)),
    secrets: fc.dictionary(fc.string(), fc.string()),
    damaged: fc.array(fc.string()),
    extra: fc.jsonValue(),
  },
  { requiredKeys: ['project', 'environment', 'revision', 'secrets'] },
);

const FIELDS = ['project', 'environment', 'revision', 'secrets', 'damaged'] as const;

/** A valid body with one field replaced by arbitrary JSON, removed, or (secrets, damaged) with one bad member. */
const brokenBody = fc.tuple(validBody, fc.constantFrom(...FIELDS), anyJson, fc.constantFrom('replace', 'remove', 'member')).map(([body, field, value, how]) => {
  const copy: Record<string, unknown> = { ...body };
  if (how === 'remove') delete copy[field];
  else if (how === 'replace') copy[field] = value;
  else if (field === 'secrets') copy.secrets = { ...body.secrets, BAD: value };
  else if (field === 'damaged') copy.damaged = [...(body.damaged ?? []), value];
  else copy[field] = value;
  return copy;
});

describe('the zod-free guard of the bulk read', () => {
  it('agrees with secretsResponseSchema on valid bodies', () => {
    fc.assert(fc.property(validBody, (b) => agree(json(b))), { numRuns: 500 });
  });

  it('agrees on bodies with one field broken', () => {
    fc.assert(fc.property(brokenBody, (b) => agree(json(b))), { numRuns: 1000 });
  });

  it('agrees on arbitrary JSON', () => {
    fc.assert(fc.property(anyJson, (b) => agree(json(b))), { numRuns: 500 });
  });

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
