import { runCommandLine } from './cli/dispatch.js';
import { COMMANDS } from './commands/index.js';

// The start-up path of `krypt server ...`: bin/run.js sends it here (dist/server-main.js, not
// bundled: the server's dependencies load from node_modules) without loading oclif.

/** Runs the command `words` names and returns its exit code; undefined when it names none. */
export function main(words: readonly string[]): Promise<number | undefined> {
  return runCommandLine(COMMANDS, words);
}
