import { KryptError } from '../lib/errors.js';
import type { AnyCommand, CommandInput, FlagSet, FlagSpec } from './command.js';

// The one rule for reading a command line, for every command on every path: `--name value`,
// `--name=value`, `-c value`, `-cvalue`, boolean `--flag`, flags anywhere before `--`, and `--`
// ending the flags. Unknown flags, missing values, repeats, bad choices and numbers are usage
// errors (exit 1) with the same wording everywhere. No zod: `run` and `get` parse here on
// their start-up path.

type Value = string | boolean | number | string[];

/** The hint of every usage error: the command's own help. */
export function helpHint(id: string): string {
  return `run \`krypt ${id.replaceAll(':', ' ')} --help\``;
}

/** Parses `argv` (everything after the command's name) against the command's flags and arguments. */
export function parseCommandLine(spec: AnyCommand, flags: FlagSet, argv: readonly string[]): CommandInput<FlagSet, Record<string, never>> {
  const usage = (message: string) => new KryptError('usage', message, { hint: helpHint(spec.id) });
  const byName = new Map(Object.entries(flags));
  const byChar = new Map(Object.entries(flags).filter(([, s]) => s.char).map(([name, s]) => [s.char as string, name]));
  const values: Record<string, Value> = {};
  const positional: string[] = [];
  let rest: string[] = [];

  const set = (name: string, s: FlagSpec, raw: string | true, shown: string): void => {
    if (s.type === 'string' && s.multiple) {
      values[name] = [...((values[name] as string[] | undefined) ?? []), raw as string];
      return;
    }
    if (values[name] !== undefined) throw usage(`--${name} was given more than once`);
    values[name] = convert(name, s, raw, shown, usage);
  };

  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === '--') {
      rest = argv.slice(i + 1);
      break;
    }
    if (token.startsWith('--')) {
      const eq = token.indexOf('=');
      const name = token.slice(2, eq < 0 ? undefined : eq);
      const s = byName.get(name);
      if (!s) throw usage(`unknown flag --${name}`);
      if (s.type === 'boolean') {
        if (eq >= 0) throw usage(`--${name} takes no value`);
        set(name, s, true, `--${name}`);
      } else if (eq >= 0) {
        set(name, s, token.slice(eq + 1), `--${name}`);
      } else if (s.type === 'string' && s.optionalValue) {
        set(name, s, true, `--${name}`);
      } else {
        const value = argv[++i];
        if (value === undefined) throw usage(`--${name} needs a value`);
        set(name, s, value, `--${name}`);
      }
    } else if (token.startsWith('-') && token.length > 1) {
      const name = byChar.get(token[1] as string);
      const s = name === undefined ? undefined : byName.get(name);
      if (!name || !s) throw usage(`unknown flag ${token.slice(0, 2)}`);
      if (s.type === 'boolean') {
        if (token.length > 2) throw usage(`-${s.char} takes no value`);
        set(name, s, true, `-${s.char}`);
      } else {
        const value = token.length > 2 ? token.slice(2) : argv[++i];
        if (value === undefined) throw usage(`-${s.char} (--${name}) needs a value`);
        set(name, s, value, `--${name}`);
      }
    } else {
      positional.push(token);
    }
  }
  if (rest.length > 0 && !spec.passthrough) throw usage(`unexpected argument "${rest[0]}" after --`);

  // Only flags given on the command line conflict or satisfy a dependency (defaults do neither).
  const givenNames = new Set(Object.keys(values));
  for (const [name, s] of byName) {
    const given = givenNames.has(name);
    if (!given && s.required) throw usage(`missing required flag --${name}`);
    if (given) {
      for (const other of s.exclusive ?? []) if (givenNames.has(other)) throw usage(`--${name} cannot be used with --${other}`);
      for (const needed of s.dependsOn ?? []) if (!givenNames.has(needed)) throw usage(`--${name} needs --${needed}`);
    }
    if (!given && s.type === 'boolean') values[name] = false;
    else if (!given && (s.type === 'string' || s.type === 'integer') && s.default !== undefined) values[name] = s.default;
    else if (!given && s.type === 'string' && s.multiple) values[name] = [];
  }

  const args: Record<string, string | undefined> = {};
  const named = Object.entries(spec.args ?? {}) as Array<[string, { required?: boolean; options?: readonly string[] }]>;
  named.forEach(([name, a], i) => {
    const value = positional[i];
    if (value === undefined) {
      if (a.required) throw usage(`missing required argument ${name.toUpperCase()}`);
      return;
    }
    if (a.options && !a.options.includes(value)) throw usage(`${name.toUpperCase()} must be one of ${a.options.join(', ')}`);
    args[name] = value;
  });
  const extra = positional.slice(named.length);
  if (extra.length > 0 && !spec.variadic) throw usage(`unexpected argument "${extra[0]}"`);
  return { flags: values as never, args: args as never, argv: extra, rest };
}

function convert(name: string, s: FlagSpec, raw: string | true, shown: string, usage: (m: string) => KryptError): Value {
  if (raw === true) return true;
  if (s.type === 'string' && s.options && !s.options.includes(raw)) throw usage(`${shown} must be one of ${s.options.join(', ')}`);
  if (s.type !== 'integer') return raw;
  if (!/^-?\d+$/.test(raw.trim())) throw usage(`--${name} must be a whole number`);
  const n = Number(raw);
  const { min, max } = s;
  if ((min !== undefined && n < min) || (max !== undefined && n > max)) {
    const range = min !== undefined && max !== undefined ? `between ${min} and ${max}` : min !== undefined ? `at least ${min}` : `at most ${max}`;
    throw usage(`--${name} must be ${range}`);
  }
  return n;
}

/** Whether `--json` is among the flags of a command line (before `--`), for errors raised before parsing finished. */
export function asksForJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}
