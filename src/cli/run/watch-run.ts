import { constants } from 'node:os';
import { KryptError } from '../../lib/errors.js';
import type { RunChildOptions } from '../../lib/process/run-child.js';
import { superviseWithReload, type OnChange } from '../../lib/process/supervise.js';
import { watchRevisions } from '../../lib/watch/index.js';
import type { Environment } from '../../contract/constants.js';
import type { CliDeps } from '../deps.js';

export interface WatchedRun {
  target: Omit<RunChildOptions, 'env'>;
  apiUrl: string;
  token: string;
  caFile?: string | undefined;
  project: string;
  environment: Environment;
  revision: number;
  env: NodeJS.ProcessEnv;
  onChange: string | undefined;
  /** Reads the environment again and builds the child's environment from it. */
  reread: () => Promise<{ revision: number; env: NodeJS.ProcessEnv }>;
}

/** `--on-change restart|signal:NAME` */
export function parseOnChange(text: string | undefined): OnChange {
  if (text === undefined || text === 'restart') return 'restart';
  const name = /^signal:(SIG[A-Z0-9]+)$/.exec(text)?.[1];
  if (name && Object.hasOwn(constants.signals, name)) return { signal: name as NodeJS.Signals };
  throw new KryptError('usage', `--on-change must be restart or signal:NAME (e.g. signal:SIGHUP), not "${text}"`, { hint: 'run `krypt run --help`' });
}

/**
 * `krypt run --watch`: runs the child under a supervisor and follows the environment's change
 * stream; a new revision restarts the child (or sends it a signal). Returns the child's exit code.
 */
export async function runWatched(run: WatchedRun, deps: CliDeps): Promise<number> {
  const note = (m: string) => deps.stderr.write(`krypt: ${m}\n`);
  const onChange = parseOnChange(run.onChange);
  const supervisor = superviseWithReload({
    ...run.target,
    env: run.env,
    onChange,
    onEvent: (e) => {
      if (e.type === 'restarting') note('the environment changed; restarting the command');
      if (e.type === 'signalled') note(`the environment changed; sent ${e.signal}`);
      if (e.type === 'killing') note('the command did not stop after SIGTERM; sending SIGKILL');
    },
  });
  const abort = new AbortController();
  let revision = run.revision;
  watchRevisions({
    apiUrl: run.apiUrl,
    token: run.token,
    caFile: run.caFile,
    project: run.project,
    environment: run.environment,
    knownRevision: revision,
    signal: abort.signal,
    onRevision: async (next) => {
      if (next <= revision) return;
      const fresh = await run.reread();
      revision = fresh.revision;
      supervisor.reload(fresh.env);
    },
    onDisconnect: (err, retryInMs) => note(`lost the change stream (${err.message}); reconnecting in ${Math.round(retryInMs / 100) / 10} s`),
    onError: (err) => note(`could not read the new environment: ${(err as Error).message}`),
  }).catch((err: Error) => note(`stopped watching for changes: ${err.message}`));
  try {
    return await supervisor.exited;
  } finally {
    abort.abort();
  }
}
