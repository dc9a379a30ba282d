import { runCli } from './cli/dispatch.js';
import { TREE } from './commands/tree.js';

// The start-up path of every command line but `krypt run|get ...` (fast-path.ts) and the server's
// commands (server-main.ts): bin/run.js sends it here (bundled into dist/bundle/cli-main.js), and the
// standalone binary starts here too. Help, --version, completion and "did you mean" for the whole
// tree, the server's commands included (their definitions load; the server itself does not).

/** Runs the command line `words` and returns its exit code. */
export function main(words: readonly string[]): Promise<number> {
  return runCli(TREE, words);
}
