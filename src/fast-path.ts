import { createCliDeps, type CliDeps } from './cli/deps.js';
import { executeCommand } from './cli/pipeline.js';
import get from './commands/get.js';
import run from './commands/run.js';

// The start-up path of the two commands typed dozens of times a day: bin/run.js sends `run` and
// `get` here (bundled into dist/hot.js) without loading oclif (~65 ms) or zod (~80 ms). It is the
// same pipeline and the same command definitions oclif dispatches to; only the dispatcher differs.

const FAST = { run, get } as const;

/** Whether `krypt NAME` starts here. */
export function isFastCommand(name: string | undefined): name is keyof typeof FAST {
  return name === 'run' || name === 'get';
}

/** Runs `krypt run|get ARGV` and returns the exit code. */
export function main(name: keyof typeof FAST, argv: readonly string[], deps: CliDeps = createCliDeps()): Promise<number> {
  return executeCommand(FAST[name], argv, deps);
}
