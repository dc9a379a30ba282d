import fastJson from 'fast-json-stringify';
import type { FastifySerializerCompiler } from 'fastify/types/schema.js';
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';

// Responses are written by fast-json-stringify from the JSON Schema of each route's zod response
// schema (z.toJSONSchema, output side), as Fastify does with JSON Schema routes: only the fields
// the contract declares leave the server (an object's undeclared fields are dropped, as zod's
// parse dropped them), a missing required field is a 500, and no zod parse runs per response
// (it cost 13 % of the server's CPU on a bulk read). A schema JSON Schema cannot express falls
// back to zod's validate-then-stringify. Each route's writer is compiled on its first response,
// not at start-up (50 of them took 84 ms of every `krypt server start`).

type ZodSerializerCompiler = FastifySerializerCompiler<z.ZodType>;

/** The serializer compiler of every route (app.setSerializerCompiler). */
export const responseSerializerCompiler: ZodSerializerCompiler = (route) => {
  let write: ((data: unknown) => string) | undefined;
  return (data) => (write ??= compileResponseWriter(route))(data);
};

/** The writer of one route's response: fast-json-stringify from its schema, or zod's where JSON Schema falls short. */
export function compileResponseWriter(route: Parameters<ZodSerializerCompiler>[0]): (data: unknown) => string {
  let schema: Record<string, unknown>;
  try {
    schema = z.toJSONSchema(route.schema, { io: 'output', target: 'draft-7', unrepresentable: 'throw' }) as Record<string, unknown>;
  } catch {
    return (zodSerializerCompiler as ZodSerializerCompiler)(route);
  }
  // fast-json-stringify's Ajv knows draft-07 without being told; the $schema key would make it look the draft up.
  const { $schema: _draft, ...body } = schema;
  return fastJson(body);
}
