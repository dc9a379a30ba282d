import { runCommandLine } from './cli/find-command.js';
import get from './commands/get.js';
import run from './commands/run.js';

// The start-up path of the two commands typed dozens of times a day: bin/run.js sends `krypt run|get
// ...` here (bundled into dist/bundle/fast-path.js) without loading zod (~80 ms). The same dispatcher,
// pipeline and command definitions as every other path (cli-main.ts); help for them goes there.

/** Runs `krypt run|get ...` (`words` from the command's name on) and returns the exit code. */
export async function main(words: readonly string[]): Promise<number> {
  return (await runCommandLine({ run, get }, words)) ?? 1;
}
