import { resolve } from 'node:path';
import { arg, defineCommand, flag } from '../cli/command.js';
import { contextFlags } from '../cli/flags.js';
import { renderChanges } from '../cli/render.js';
import { openProjectSession } from '../cli/session.js';
import { parseEnvironment } from '../lib/config/context.js';
import { envFilePosition, parseEnvFile } from '../lib/envfile/index.js';
import { KryptError } from '../lib/errors.js';
import { readUserFile } from '../lib/files/read-text.js';
import { diffEntries } from '../lib/sync/diff.js';

interface DiffResult {
  equal: boolean;
  from: string;
  to: string;
  added: string[];
  removed: string[];
  changed: string[];
  /** Only with --reveal. */
  values?: Record<string, { from: string | null; to: string | null }>;
}

export default defineCommand({
  id: 'diff',
  description: [
    'Compare the remote environment with the local .env (`+` only in the file, `-` only on the server, `~` different),',
    'or two environments of the project (`krypt diff staging production`: `+` only in production).',
    'Values are masked unless --reveal. Exit 0 when equal, 1 when different (usable as a CI check).',
  ].join('\n'),
  examples: ['krypt diff', 'krypt diff --file .env.staging --env staging', 'krypt diff staging prod --json'],
  args: {
    envA: arg({ description: 'first environment (the base)' }),
    envB: arg({ description: 'second environment, compared against the first' }),
  },
  flags: {
    ...contextFlags,
    file: flag.string({ description: 'local file to compare with the remote environment', default: '.env' }),
    reveal: flag.boolean({ description: 'show the values that differ (remote values are recorded as a read)' }),
  },
  async run(ctx, { args, flags }): Promise<DiffResult> {
    if (args.envA !== undefined && args.envB === undefined) {
      throw new KryptError('usage', 'name two environments, or none to compare with the local file', { hint: 'run `krypt diff staging production` or `krypt diff --file .env`' });
    }
    const envs = args.envA !== undefined && args.envB !== undefined ? [parseEnvironment(args.envA), parseEnvironment(args.envB)] : undefined;
    const local = envs ? undefined : parseEnvFile(readUserFile(resolve(ctx.deps.cwd, flags.file), flags.file, 'pass --file PATH, or run `krypt pull`', envFilePosition), flags.file);
    const { client, context } = openProjectSession(ctx.deps, flags, 'diff');
    const [fromEnv, toEnv] = envs ?? [context.environment, undefined];
    const from = (await client.getSecrets(context.project, fromEnv!)).secrets;
    const to = toEnv ? (await client.getSecrets(context.project, toEnv)).secrets : (local ?? {});
    const labels = { from: `${context.project}/${fromEnv}`, to: toEnv ? `${context.project}/${toEnv}` : flags.file };

    const entries = diffEntries(from, to);
    const keysOf = (change: string) => entries.filter((e) => e.change === change).map((e) => e.key);
    const result: DiffResult = { equal: entries.length === 0, ...labels, added: keysOf('added'), removed: keysOf('removed'), changed: keysOf('changed') };
    if (flags.reveal) result.values = Object.fromEntries(entries.map((e) => [e.key, { from: e.from ?? null, to: e.to ?? null }]));
    if (result.equal) {
      ctx.say(`${labels.from} and ${labels.to} are the same (${Object.keys(from).length} keys).`);
      return result;
    }
    ctx.print(renderChanges(entries, flags.reveal));
    const summary = `${result.added.length} added, ${result.changed.length} changed, ${result.removed.length} removed`;
    const hint = toEnv
      ? `${flags.reveal ? 'copy values with `krypt set`' : 'add --reveal to see the values'}`
      : 'run `krypt push` to send the file\'s changes, or `krypt pull` to take the server\'s';
    return ctx.failWithResult(result, new KryptError('differences', `${labels.from} and ${labels.to} differ: ${summary}`, { hint }));
  },
});
