import { resolve } from 'node:path';
import { defineCommand, flag } from '../cli/command.js';
import { contextFlags, yesFlag } from '../cli/flags.js';
import { confirmAction } from '../cli/prompt.js';
import { renderDiff } from '../cli/render.js';
import { pendingLines } from '../cli/change-requests.js';
import { openProjectSession } from '../cli/session.js';
import { MAX_KEYS_PER_WRITE } from '../contract/constants.js';
import type { ChangeRequest } from '../contract/index.js';
import { ConflictError, isPendingWrite } from '../lib/api/client.js';
import { envFilePosition, parseEnvFile } from '../lib/envfile/index.js';
import { KryptError } from '../lib/errors.js';
import { readUserFile } from '../lib/files/read-text.js';
import { diffEnv, isEmptyDiff, type EnvDiff } from '../lib/sync/diff.js';

interface PushResult {
  project: string;
  environment: string;
  revision: number;
  applied: boolean;
  diff: EnvDiff;
  /** Set when the push became a pending change request (a Member pushing production). */
  changeRequest?: ChangeRequest;
}

export default defineCommand({
  id: 'push',
  description: 'Push a .env file: shows the masked diff, asks to confirm, then applies only the keys that changed.',
  aliases: ['secrets:push'],
  examples: ['krypt push', 'krypt push --file .env.staging --env staging --yes', 'krypt push --prune --dry-run'],
  flags: {
    ...contextFlags,
    ...yesFlag,
    file: flag.string({ description: 'file to read', default: '.env' }),
    prune: flag.boolean({ description: 'also delete remote keys that are absent from the file' }),
    'dry-run': flag.boolean({ description: 'show what would change, change nothing' }),
  },
  async run(ctx, { flags }): Promise<PushResult> {
    const local = parseEnvFile(readUserFile(resolve(ctx.deps.cwd, flags.file), flags.file, 'pass --file PATH, or run `krypt pull` to create it', envFilePosition), flags.file);
    const { client, context } = openProjectSession(ctx.deps, flags, 'push');
    const where = `${context.project}/${context.environment}`;
    const remote = await client.getSecrets(context.project, context.environment);
    const full = diffEnv(local, remote.secrets);
    const diff = flags.prune ? full : { ...full, removed: [] };
    const result = { project: context.project, environment: context.environment, revision: remote.revision, applied: false, diff };
    if (!flags.prune && full.removed.length > 0) ctx.say(`${full.removed.length} key(s) on the server are not in ${flags.file}; kept (use --prune to delete them).`);
    if (isEmptyDiff(diff)) {
      ctx.say(`${where} is already up to date with ${flags.file}.`);
      return result;
    }
    ctx.deps.stderr.write(`Changes to ${where} (values hidden):\n${renderDiff(diff)}`);
    if (flags['dry-run']) return result;
    const touched = diff.added.length + diff.changed.length + diff.removed.length;
    if (touched > MAX_KEYS_PER_WRITE) {
      throw new KryptError('too_many_keys', `this push changes ${touched} keys; one write takes at most ${MAX_KEYS_PER_WRITE}, so nothing was pushed`, {
        hint: `split ${flags.file} into files of at most ${MAX_KEYS_PER_WRITE} keys and push each with --file (without --prune)`,
      });
    }
    await confirmAction(ctx.deps, flags.yes, `Apply these changes to ${where}?`, 'push');
    const set = Object.fromEntries([...diff.added, ...diff.changed].map((k) => [k, local[k] as string]));
    try {
      const written = await client.writeSecrets(context.project, context.environment, { baseRevision: remote.revision, set, delete: diff.removed });
      if (isPendingWrite(written)) {
        pendingLines(written.changeRequest).forEach((line) => ctx.say(line));
        return { ...result, changeRequest: written.changeRequest };
      }
      ctx.say(`Pushed to ${where}: ${diff.added.length} added, ${diff.changed.length} changed, ${diff.removed.length} deleted (revision ${written.revision}).`);
      return { ...result, revision: written.revision, applied: true };
    } catch (err) {
      if (err instanceof ConflictError) {
        throw new KryptError('conflict', `${err.keys.join(', ') || 'some keys'} changed on the server while you were pushing; nothing was pushed`, {
          kind: 'remote',
          hint: 'run `krypt push` again to see the new diff',
        });
      }
      throw err;
    }
  },
});
