import { runCli } from './cli/dispatch.js';
import { TREE } from './commands/tree.js';

// The start-up path of `krypt server ...`: bin/run.js sends it here (dist/server-main.js, not
// bundled: the server's dependencies, better-sqlite3's native addon among them, load from
// node_modules, and its errors are the same classes the pipeline knows).

/** Runs the command line `words` and returns its exit code. */
export function main(words: readonly string[]): Promise<number> {
  return runCli(TREE, words);
}
