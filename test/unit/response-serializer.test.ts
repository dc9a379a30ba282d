import Fastify from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { secretsResponseSchema } from '../../src/contract/index.js';
import { ROUTE_SCHEMAS } from '../../src/contract/route-schemas.js';
import { compileResponseWriter, responseSerializerCompiler } from '../../src/server/plugins/response-serializer.js';

// The server writes responses from each route's zod schema: only declared fields leave it, a
// missing required field is an error (500), never a silently short answer.

async function answer(schema: z.ZodType, body: unknown) {
  const app = Fastify();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(responseSerializerCompiler);
  app.get('/', { schema: { response: { 200: schema } } }, async () => body);
  const res = await app.inject('/');
  await app.close();
  return res;
}

describe('response serializer', () => {
  it('writes a bulk read exactly, values with quotes, newlines and unicode included', async () => {
    const body = { project: 'p', environment: 'development', revision: 3, secrets: { A: 'x"y\\z', B: 'line\nnext', C: 'ünï €', D: '' } };
    const res = await answer(secretsResponseSchema, body);
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual(body);
  });

  it('drops fields the schema does not declare, at any depth', async () => {
    const schema = z.object({ user: z.object({ id: z.string() }), items: z.array(z.object({ name: z.string() })) });
    const res = await answer(schema, { user: { id: 'u', hash: 'secret-hash' }, items: [{ name: 'a', token: 't' }], internal: 1 });
    expect(JSON.parse(res.body)).toEqual({ user: { id: 'u' }, items: [{ name: 'a' }] });
    expect(res.body).not.toContain('secret-hash');
  });

  it("compiles a writer for every response schema of the route table (compiled on a route's first response, so a schema it cannot write must fail here)", () => {
    const schemas = Object.values(ROUTE_SCHEMAS).flatMap((r) => Object.values(r.responses)).filter((s): s is z.ZodType => s !== null);
    expect(schemas.length).toBeGreaterThan(20);
    for (const schema of schemas) {
      const route = { schema, method: 'GET', url: '/', httpStatus: '200' } as Parameters<typeof compileResponseWriter>[0];
      expect(typeof compileResponseWriter(route)).toBe('function');
    }
  });

  it('refuses an answer that lacks a required field', async () => {
    const res = await answer(z.object({ id: z.string(), name: z.string() }), { id: 'u' });
    expect(res.statusCode).toBe(500);
  });
});
