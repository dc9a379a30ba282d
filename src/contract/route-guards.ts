import { CHANGE_REQUEST_STATUSES, ENVIRONMENTS, ROLES, SLUG_PATTERN, type Environment } from './constants.js';
import type { RouteId } from './routes.js';

// Response checks without zod, for the start-up path of the daily commands (`run`, `get`, `pull`,
// `push`, `set`, `whoami`, ...): loading zod and the contract's schemas costs ~35-80 ms, more than
// the request itself. Each shape below describes the same body as a zod schema of api.ts / teams.ts
// and check() accepts exactly what that schema accepts and returns what its parse returns;
// test/unit/route-guards.test.ts proves it on random bodies for every entry of ROUTE_GUARDS.

/** A JSON shape, as the subset of zod the daily responses use. */
export type Shape =
  | { readonly type: 'string'; readonly pattern?: RegExp }
  /** A safe integer of at least `min`. */
  | { readonly type: 'int'; readonly min: 0 | 1 }
  | { readonly type: 'enum'; readonly values: readonly string[] }
  | { readonly type: 'nullable'; readonly of: Shape }
  | { readonly type: 'array'; readonly of: Shape }
  /** String keys (a `__proto__` key is skipped, as zod's record skips it). */
  | { readonly type: 'record'; readonly of: Shape }
  /** Unknown properties are dropped, or refused when `strict`. */
  | { readonly type: 'object'; readonly fields: Readonly<Record<string, Shape>>; readonly optional?: readonly string[]; readonly strict?: true };

const string: Shape = { type: 'string' };
const nat: Shape = { type: 'int', min: 0 };
const positive: Shape = { type: 'int', min: 1 };
const nullable = (of: Shape): Shape => ({ type: 'nullable', of });
const array = (of: Shape): Shape => ({ type: 'array', of });
const oneOf = (values: readonly string[]): Shape => ({ type: 'enum', values });
const object = (fields: Record<string, Shape>, more: { optional?: readonly string[]; strict?: true } = {}): Shape => ({ type: 'object', fields, ...more });
const environment = oneOf(ENVIRONMENTS);

// The shapes of api.ts and teams.ts, field for field.
const apiKeyInfo = object({
  id: string,
  name: string,
  prefix: string,
  createdAt: string,
  expiresAt: nullable(string),
  lastUsedAt: nullable(string),
  revokedAt: nullable(string),
  service: nullable(object({ project: { type: 'string', pattern: SLUG_PATTERN }, environment }, { strict: true })),
});
const secretMeta = { key: string, version: positive, updatedAt: string, updatedBy: string };
const changeRequest = object({
  id: positive,
  project: string,
  environment,
  status: oneOf(CHANGE_REQUEST_STATUSES),
  requestedBy: string,
  createdAt: string,
  baseRevision: nat,
  changes: array(object({ key: string, action: oneOf(['set', 'delete']) })),
  decidedBy: nullable(string),
  decidedAt: nullable(string),
  reason: nullable(string),
});
const secrets = object(
  { project: string, environment, revision: nat, secrets: { type: 'record', of: string }, damaged: array(string) },
  { optional: ['damaged'] },
);

/** The zod-free shapes of the responses the daily commands read, by route and status. */
export const ROUTE_GUARDS = {
  me: { 200: object({ user: object({ id: string, email: string, name: string }), key: apiKeyInfo }) },
  listApiKeys: { 200: object({ keys: array(apiKeyInfo) }) },
  listProjects: { 200: object({ projects: array(object({ slug: string, role: oneOf(ROLES), createdAt: string })) }) },
  getSecrets: { 200: secrets },
  listKeys: { 200: object({ project: string, environment, revision: nat, keys: array(object(secretMeta)) }) },
  getSecret: { 200: object({ ...secretMeta, value: string }) },
  writeSecrets: {
    200: object({ revision: nat, changed: array(string), deleted: array(string) }),
    202: object({ changeRequest }),
  },
} as const satisfies { readonly [K in RouteId]?: Readonly<Record<number, Shape>> };

/** What check() answers for a value its shape refuses. */
export const REFUSED: unique symbol = Symbol('refused');

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `value` as the shape's zod schema parses it (a copy without unknown properties), or REFUSED. */
export function check(shape: Shape, value: unknown): unknown {
  switch (shape.type) {
    case 'string':
      return typeof value === 'string' && (!shape.pattern || shape.pattern.test(value)) ? value : REFUSED;
    case 'int':
      return typeof value === 'number' && Number.isSafeInteger(value) && value >= shape.min ? value : REFUSED;
    case 'enum':
      return shape.values.includes(value as string) ? value : REFUSED;
    case 'nullable':
      return value === null ? null : check(shape.of, value);
    case 'array': {
      if (!Array.isArray(value)) return REFUSED;
      const out: unknown[] = [];
      for (const item of value) {
        const parsed = check(shape.of, item);
        if (parsed === REFUSED) return REFUSED;
        out.push(parsed);
      }
      return out;
    }
    case 'record': {
      if (!isObject(value)) return REFUSED;
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        if (key === '__proto__') continue;
        const parsed = check(shape.of, item);
        if (parsed === REFUSED) return REFUSED;
        out[key] = parsed;
      }
      return out;
    }
    case 'object': {
      if (!isObject(value)) return REFUSED;
      if (shape.strict && Object.keys(value).some((k) => !Object.hasOwn(shape.fields, k))) return REFUSED;
      const out: Record<string, unknown> = {};
      for (const [key, field] of Object.entries(shape.fields)) {
        const present = Object.hasOwn(value, key) && value[key] !== undefined;
        if (!present) {
          if (shape.optional?.includes(key)) continue;
          return REFUSED;
        }
        const parsed = check(field, value[key]);
        if (parsed === REFUSED) return REFUSED;
        out[key] = parsed;
      }
      return out;
    }
  }
}

/** The 200 of getSecrets (secretsResponseSchema). */
export interface SecretsBody {
  project: string;
  environment: Environment;
  revision: number;
  secrets: Record<string, string>;
  damaged?: string[];
}

/** Parsed JSON checked as secretsResponseSchema checks it, or undefined when the schema would refuse it. */
export function parseSecretsBody(body: unknown): SecretsBody | undefined {
  const parsed = check(secrets, body);
  return parsed === REFUSED ? undefined : (parsed as SecretsBody);
}
