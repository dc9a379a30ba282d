import { Args, Command, Flags, type Interfaces } from '@oclif/core';
import type { AnyCommand, ArgSet, FlagSet } from './command.js';
import { createCliDeps } from './deps.js';
import { executeCommand } from './pipeline.js';

// oclif's view of a command: help, the manifest, the README and dispatch. It reads the
// command's definition and hands the command line to the one pipeline, which parses it; oclif's
// own parser never runs (the definitions are plain data, see command.ts).

function toOclifFlags(flags: FlagSet): Interfaces.FlagInput {
  const out: Interfaces.FlagInput = {};
  for (const [name, s] of Object.entries(flags)) {
    const common = {
      description: s.description,
      ...(s.char ? { char: s.char as 'p' } : {}),
      ...(s.helpGroup ? { helpGroup: s.helpGroup } : {}),
      ...(s.required ? { required: true } : {}),
      ...(s.hidden ? { hidden: true } : {}),
      ...(s.exclusive ? { exclusive: [...s.exclusive] } : {}),
      ...(s.dependsOn ? { dependsOn: [...s.dependsOn] } : {}),
    };
    if (s.type === 'boolean') out[name] = Flags.boolean(common);
    else if (s.type === 'integer') {
      const bounds = { ...(s.min !== undefined ? { min: s.min } : {}), ...(s.max !== undefined ? { max: s.max } : {}) };
      out[name] = Flags.integer({ ...common, ...bounds, ...(s.default !== undefined ? { default: s.default } : {}) } as Parameters<typeof Flags.integer>[0]);
    } else {
      const options = { ...common, ...(s.options ? { options: [...s.options] } : {}) };
      out[name] = s.multiple ? Flags.string({ ...options, multiple: true }) : Flags.string({ ...options, ...(s.default !== undefined ? { default: s.default } : {}) });
    }
  }
  return out;
}

function toOclifArgs(args: ArgSet): Interfaces.ArgInput {
  const out: Interfaces.ArgInput = {};
  for (const [name, a] of Object.entries(args)) {
    out[name] = Args.string({ description: a.description, ...(a.required ? { required: true } : {}), ...(a.options ? { options: [...a.options] } : {}) });
  }
  return out;
}

/** The oclif command class of a definition. */
export function oclifCommand(spec: AnyCommand): Command.Class {
  return class extends Command {
    static override id = spec.id;
    static override description = spec.description;
    static override examples = spec.examples ? [...spec.examples] : [];
    static override aliases = spec.aliases ? [...spec.aliases] : [];
    static override usage = spec.usage;
    static override strict = !(spec.variadic || spec.passthrough);
    static override enableJsonFlag = spec.output !== 'self';
    static override flags = toOclifFlags(spec.flags);
    static override args = toOclifArgs(spec.args ?? {});

    async run(): Promise<void> {
      // The pipeline parses (one parser for every path); tell oclif it was done.
      this.parsed = true;
      const code = await executeCommand(spec, this.argv, createCliDeps());
      if (code !== 0) this.exit(code);
    }

    // The pipeline has rendered every error already; oclif must only pass on the exit (its own
    // catch would print a second, JSON, error on stdout under --json).
    override async catch(err: Error): Promise<never> {
      throw err;
    }
  };
}
