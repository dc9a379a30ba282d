import { KryptError } from '../../lib/errors.js';
import type { FlagSpec } from './flag-specs.js';

export type FlagValues = Record<string, string | boolean | undefined>;

export interface ParsedArgs {
  flags: FlagValues;
  /** Positional arguments before `--`. */
  args: string[];
  /** Everything after the first `--`, verbatim (for `krypt run`). */
  rest: string[];
}

/**
 * Parses argv against flag specs: `--name value`, `--name=value`, `-c value`, `-cvalue`, boolean
 * `--flag`, and `--` ending the flags. Unknown flags, missing values and repeats are usage errors
 * (exit 1) with the same wording on every path.
 */
export function parseArgs(command: string, specs: readonly FlagSpec[], argv: readonly string[]): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byChar = new Map(specs.filter((s) => s.char).map((s) => [s.char as string, s]));
  const flags: FlagValues = {};
  const args: string[] = [];
  const usage = (message: string) => new KryptError('usage', message, { hint: `run \`krypt ${command} --help\`` });
  const set = (spec: FlagSpec, value: string | boolean) => {
    if (flags[spec.name] !== undefined) throw usage(`--${spec.name} was given more than once`);
    if (spec.options && typeof value === 'string' && !spec.options.includes(value)) {
      throw usage(`--${spec.name} must be one of ${spec.options.join(', ')}`);
    }
    flags[spec.name] = value;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') return { flags, args, rest: argv.slice(i + 1) };
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const spec = byName.get(name);
      if (!spec) throw usage(`unknown flag --${name}`);
      if (spec.type === 'boolean') {
        if (eq >= 0) throw usage(`--${name} takes no value`);
        set(spec, true);
      } else if (eq >= 0) {
        set(spec, arg.slice(eq + 1));
      } else if (spec.optionalValue) {
        set(spec, true);
      } else {
        const value = argv[++i];
        if (value === undefined) throw usage(`--${name} needs a value`);
        set(spec, value);
      }
    } else if (arg.startsWith('-') && arg.length > 1) {
      const spec = byChar.get(arg[1] as string);
      if (!spec) throw usage(`unknown flag ${arg.slice(0, 2)}`);
      if (spec.type === 'boolean') {
        if (arg.length > 2) throw usage(`-${spec.char} takes no value`);
        set(spec, true);
      } else {
        const value = arg.length > 2 ? arg.slice(2) : argv[++i];
        if (value === undefined) throw usage(`-${spec.char} (--${spec.name}) needs a value`);
        set(spec, value);
      }
    } else {
      args.push(arg);
    }
  }
  return { flags, args, rest: [] };
}

/** A string flag's value, or undefined (a bare optional-value flag reads as undefined here). */
export function stringFlag(flags: FlagValues, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}
