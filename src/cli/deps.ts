import type { Readable, Writable } from 'node:stream';

/** Everything a command touches of the outside world, so tests and callers can substitute it. */
export interface CliDeps {
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  now: () => Date;
}

/** The CLI's composition root: the real process. */
export function createCliDeps(): CliDeps {
  return {
    env: process.env,
    cwd: process.cwd(),
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    now: () => new Date(),
  };
}
