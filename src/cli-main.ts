import { runCommandLine } from './cli/dispatch.js';
import { CLIENT_COMMANDS } from './commands/client.js';

// The start-up path of every client command but `run` and `get` (which start from fast-path.ts,
// without zod): bin/run.js sends the command line here (bundled into dist/bundle/cli-main.js)
// without loading oclif. The same registry, parser and pipeline as oclif's dispatch; oclif keeps
// help, --version and whatever this cannot place.

/** Runs the client command `words` names and returns its exit code; undefined when it names none. */
export function main(words: readonly string[]): Promise<number | undefined> {
  return runCommandLine(CLIENT_COMMANDS, words);
}
