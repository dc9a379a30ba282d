import { isPrivilegedVariable } from '../../contract/constants.js';

/** Variables a secret may not replace without --allow-reserved: the child must still find its tools and home. */
export const RESERVED_NAMES: readonly string[] = ['PATH', 'HOME', 'SHELL', 'USER', 'PWD'];

/** Never handed to a child: the child gets secrets, not the power to fetch more. */
export const STRIPPED_NAMES: readonly string[] = ['KRYPT_TOKEN'];

export interface ChildEnvOptions {
  inherited: NodeJS.ProcessEnv;
  secrets: Record<string, string>;
  /** true: every inherited variable wins over a secret; a list: those named win. */
  preserveEnv: boolean | string[];
  allowReserved: boolean;
}

/**
 * The environment for `krypt run`'s child: inherited variables overlaid with secrets. A reserved
 * secret is skipped (and reported) whether or not the inherited environment has it, so the
 * outcome does not depend on the caller's shell. KRYPT_TOKEN is always removed. `privileged` names
 * the injected secrets that make programs load or run code (contract's isPrivilegedVariable).
 */
export function buildChildEnv(opts: ChildEnvOptions): { env: NodeJS.ProcessEnv; skippedReserved: string[]; privileged: string[] } {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(opts.inherited)) {
    if (value !== undefined) env[name] = value;
  }
  const preserved = new Set(opts.preserveEnv === true ? Object.keys(env) : opts.preserveEnv || []);
  const skippedReserved: string[] = [];
  const privileged: string[] = [];
  for (const [name, value] of Object.entries(opts.secrets)) {
    if (!opts.allowReserved && RESERVED_NAMES.includes(name)) {
      skippedReserved.push(name);
      continue;
    }
    if (preserved.has(name) && env[name] !== undefined) continue;
    env[name] = value;
    if (isPrivilegedVariable(name)) privileged.push(name);
  }
  for (const name of STRIPPED_NAMES) delete env[name];
  return { env, skippedReserved: skippedReserved.sort(), privileged: privileged.sort() };
}
