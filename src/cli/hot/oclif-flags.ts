import { Flags, type Interfaces } from '@oclif/core';
import type { FlagSpec } from './flag-specs.js';


/** oclif flags for --help, the manifest and the README, built from the one definition in flag-specs.ts. */
export function toOclifFlags(specs: readonly FlagSpec[]): Interfaces.FlagInput {
  const out: Interfaces.FlagInput = {};
  for (const s of specs) {
    const common = { description: s.description, ...(s.char ? { char: s.char as 'p' } : {}), ...(s.helpGroup ? { helpGroup: s.helpGroup } : {}) };
    out[s.name] = s.type === 'boolean' ? Flags.boolean(common) : Flags.string({ ...common, ...(s.options ? { options: [...s.options] } : {}) });
  }
  return out;
}
