import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import type { AnyCommand } from '../../src/cli/command.js';
import type { CliDeps } from '../../src/cli/deps.js';
import { executeCommand } from '../../src/cli/pipeline.js';
import { COMMANDS } from '../../src/commands/index.js';
import { createDebugLog, isDebugEnabled } from '../../src/lib/debug/debug-log.js';
import type { CliOptions, CliResult } from './cli.js';

// `krypt ARGS` run inside the test process through the same pipeline and command definitions as
// bin/run.js, with fake stdin/stdout/stderr, the given environment (nothing inherited), working
// directory and config directory. For commands whose behaviour does not depend on being a
// separate process (no child processes, no signals, no terminal); the e2e suites keep spawning
// the real binary.

const SPECS = new Map<string, AnyCommand>();
for (const [id, command] of Object.entries(COMMANDS)) {
  SPECS.set(id, command);
  for (const alias of command.aliases ?? []) SPECS.set(alias, command);
}

/** The command an argv names (topic words first, as `krypt members invite ...`) and the rest of it. */
function resolve(args: readonly string[]): { spec: AnyCommand; argv: string[] } {
  for (let n = Math.min(args.length, 3); n > 0; n--) {
    const spec = SPECS.get(args.slice(0, n).join(':'));
    if (spec) return { spec, argv: args.slice(n) };
  }
  throw new Error(`no in-process command for "krypt ${args.join(' ')}"`);
}

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
  const { spec, argv } = resolve(args);
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
  const code = await executeCommand(spec, argv, deps);
  return { code, signal: null, stdout: out.text(), stderr: err.text() };
}
