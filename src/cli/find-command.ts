import type { AnyCommand } from './command.js';
import { createCliDeps, type CliDeps } from './deps.js';
import type { Registry } from './help.js';
import { executeCommand } from './pipeline.js';

// Which command a command line names: `members invite`, `members:invite`, an alias (`cr approve`,
// `secrets pull`), else a command without a topic (`pull`). Zod-free: the start-up path of `run`
// and `get` (fast-path.ts) dispatches with it; dispatch.ts adds help, version and completion.

export interface FoundCommand {
  spec: AnyCommand;
  /** The words after the command's name: its flags and arguments. */
  argv: string[];
}

/** The command `words` names in `registry` (ids and aliases), or undefined. */
export function findCommand(registry: Registry, words: readonly string[]): FoundCommand | undefined {
  const [first, second] = words;
  if (first === undefined || first.startsWith('-')) return undefined;
  const byName = (name: string): AnyCommand | undefined =>
    Object.hasOwn(registry, name) ? registry[name] : Object.values(registry).find((c) => c.aliases?.includes(name));
  if (second !== undefined && !second.startsWith('-')) {
    const spec = byName(`${first}:${second}`);
    if (spec) return { spec, argv: words.slice(2) };
  }
  const spec = byName(first);
  return spec ? { spec, argv: words.slice(1) } : undefined;
}

/** Runs the command `words` names in `registry` in this process and returns its exit code; undefined when it names none. */
export async function runCommandLine(registry: Registry, words: readonly string[], deps: CliDeps = createCliDeps()): Promise<number | undefined> {
  const found = findCommand(registry, words);
  return found ? executeCommand(found.spec, found.argv, deps) : undefined;
}
