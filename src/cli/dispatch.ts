import type { AnyCommand } from './command.js';
import { createCliDeps } from './deps.js';
import { executeCommand } from './pipeline.js';

// Which command a command line names, as oclif resolves it with `topicSeparator: " "`: `members
// invite`, `members:invite` or an alias (`cr approve`), else a command without a topic (`pull`).
// bin/run.js uses it to run daily commands without loading oclif; what it cannot place (help,
// --version, a topic alone, a typo) goes to oclif, which owns help and "did you mean".

export interface FoundCommand {
  spec: AnyCommand;
  /** The words after the command's name: its flags and arguments. */
  argv: string[];
}

/** The command `words` names in `registry` (ids and aliases), or undefined. */
export function findCommand(registry: Readonly<Record<string, AnyCommand>>, words: readonly string[]): FoundCommand | undefined {
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
export async function runCommandLine(registry: Readonly<Record<string, AnyCommand>>, words: readonly string[]): Promise<number | undefined> {
  const found = findCommand(registry, words);
  return found ? executeCommand(found.spec, found.argv, createCliDeps()) : undefined;
}
