import type { ChildProcess } from 'node:child_process';
import type { SignalOptions } from './signal-rules.js';
import type { SpawnTarget } from './spawn-target.js';
import { startSupervisor } from './supervise.js';

// `krypt run` without --watch: the supervisor of supervise.ts, never reloaded, with the option to
// mask secret values in the child's output.
// On the start-up path of `krypt run`: import node builtins and ../errors.js only (the masker is
// loaded only when asked for).

export interface RunChildOptions extends SpawnTarget, SignalOptions {
  stdio?: 'inherit';
  /** Replace these values (longer than 3 characters) in the child's stdout and stderr with *****. */
  maskValues?: readonly string[];
}

/**
 * Runs a program with stdio inherited and resolves to the code `krypt run` must exit with: the
 * child's exit code, or 128 + n when signal n killed it. While it runs, signals are handled as
 * signal-rules' superviseSignals describes; its listeners are removed at the child's exit.
 */
export async function runChild(opts: RunChildOptions): Promise<number> {
  const values = opts.maskValues;
  if (values === undefined) return startSupervisor(opts, undefined).exited;
  // Loaded before the child starts: the pipes must be attached in the same turn as the spawn, or a
  // child that exits at once has its unread output discarded by node (flushStdio at 'exit').
  const { createMaskStream } = await import('../mask/mask-stream.js');
  return startSupervisor(opts, (child) => pipeMasked(child, values, createMaskStream)).exited;
}

// With masking, output flows through the masker; the code is returned once both streams drained.
function pipeMasked(child: ChildProcess, values: readonly string[], createMaskStream: typeof import('../mask/mask-stream.js').createMaskStream): Promise<void> {
  const pipes: Array<[NodeJS.ReadableStream | null, NodeJS.WritableStream]> = [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ];
  return Promise.all(
    pipes.map(([from, to]) => {
      if (!from) return undefined;
      const masker = createMaskStream(values);
      from.pipe(masker).pipe(to, { end: false });
      return new Promise<void>((done) => masker.once('end', done));
    }),
  ).then(() => undefined);
}
