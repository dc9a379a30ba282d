import { ENVIRONMENTS, type Environment } from './constants.js';

// Response checks without zod, for the start-up path of `krypt run` / `get` / `pull` (loading zod
// there costs ~80 ms). Each accepts exactly what its zod schema accepts and returns what the
// schema's parse returns; test/unit/route-guards.test.ts proves it on random bodies.

/** The 200 of getSecrets (secretsResponseSchema). */
export interface SecretsBody {
  project: string;
  environment: Environment;
  revision: number;
  secrets: Record<string, string>;
  damaged?: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/**
 * Parsed JSON checked as secretsResponseSchema checks it, or undefined when the schema would refuse
 * it: unknown properties are dropped, and (as zod does) a `__proto__` key among the secrets is skipped.
 */
export function parseSecretsBody(body: unknown): SecretsBody | undefined {
  if (!isObject(body)) return undefined;
  const { project, environment, revision, secrets, damaged } = body;
  if (typeof project !== 'string' || !(ENVIRONMENTS as readonly unknown[]).includes(environment)) return undefined;
  if (typeof revision !== 'number' || !Number.isSafeInteger(revision) || revision < 0) return undefined;
  if (!isObject(secrets) || (damaged !== undefined && !isStringArray(damaged))) return undefined;
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(secrets)) {
    if (key === '__proto__') continue;
    if (typeof value !== 'string') return undefined;
    values[key] = value;
  }
  return { project, environment: environment as Environment, revision, secrets: values, ...(damaged !== undefined ? { damaged: [...damaged] } : {}) };
}
