import fastJson from 'fast-json-stringify';
import type { FastifyReply } from 'fastify';
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

// Bodies written once per immutable owner (see sendSerializedOnce), dropped with it.
const written = new WeakMap<object, { fields: readonly unknown[]; body: Buffer }>();

/**
 * Sends `payload` through the route's writer (reply.serialize), reusing the bytes written for an
 * earlier payload with the same `payload[owner]` object and equal other fields. For a payload
 * built around an object that never changes and is shared between requests: a bulk read's values
 * are one object per (environment, revision), kept by decrypted-environments, and writing them
 * cost 8 % of the server's CPU per read. The bytes live as long as that object, so the bound on
 * kept decryptions bounds them too. The other fields must be primitives (compared with ===).
 */
export function sendSerializedOnce<P extends Record<string, unknown>>(reply: FastifyReply, payload: P, owner: keyof P & string): FastifyReply {
  const key = payload[owner];
  if (typeof key !== 'object' || key === null) return reply.send(payload);
  const fields = Object.keys(payload).flatMap((name) => (name === owner ? [] : [name, payload[name]]));
  let kept = written.get(key);
  if (!kept || kept.fields.length !== fields.length || kept.fields.some((f, i) => f !== fields[i])) {
    const out = reply.serialize(payload);
    kept = { fields, body: typeof out === 'string' ? Buffer.from(out) : Buffer.isBuffer(out) ? out : Buffer.from(out) };
    written.set(key, kept);
  }
  return reply.type(JSON_UTF8).send(kept.body);
}

const JSON_UTF8 = 'application/json; charset=utf-8';
