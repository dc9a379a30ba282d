import { runCommandLine } from './cli/dispatch.js';
import get from './commands/get.js';
import run from './commands/run.js';

// The start-up path of the two commands typed dozens of times a day: bin/run.js sends `run` and
// `get` here (bundled into dist/bundle/fast-path.js) without loading oclif (~65 ms) or zod (~80 ms).
// It is the same pipeline and the same command definitions oclif dispatches to; only the
// dispatcher differs.

/** Runs `krypt run|get ...` (`words` from the command's name on) and returns the exit code. */
export function main(words: readonly string[]): Promise<number | undefined> {
  return runCommandLine({ run, get }, words);
}
