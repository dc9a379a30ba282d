import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import type { CliDeps } from '../../src/cli/deps.js';
import { runCli } from '../../src/cli/dispatch.js';
import { TREE } from '../../src/commands/tree.js';
import { createDebugLog, isDebugEnabled } from '../../src/lib/debug/debug-log.js';
import type { CliOptions, CliResult } from './cli.js';

// `krypt ARGS` run inside the test process through the same dispatcher, pipeline and command
// definitions as bin/run.js, with fake stdin/stdout/stderr, the given environment (nothing inherited), working
// directory and config directory. For commands whose behaviour does not depend on being a
// separate process (no child processes, no signals, no terminal); the e2e suites keep spawning
// the real binary.

function collector(): { stream: Writable & { isTTY?: boolean }; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      cb();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** Runs `krypt ARGS` in process; same options and result shape as krypt() of cli.ts. */
export async function kryptInProcess(args: string[], options: CliOptions): Promise<CliResult> {
  const env = Object.fromEntries(Object.entries(options.env ?? {}).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv;
  const out = collector();
  const err = collector();
  const deps: CliDeps = {
    env,
    cwd: options.cwd,
    configDir: env.KRYPT_CONFIG_DIR || join(env.HOME ?? options.cwd, '.krypt'),
    stdin: Readable.from(options.input === undefined ? [] : [Buffer.from(options.input)]),
    stdout: out.stream,
    stderr: err.stream,
    now: () => new Date(),
    debug: isDebugEnabled(env.KRYPT_DEBUG) ? createDebugLog(err.stream) : undefined,
  };
  const code = await runCli(TREE, args, deps);
  return { code, signal: null, stdout: out.text(), stderr: err.text() };
}
