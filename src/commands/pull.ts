import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { defineCommand, flag, type CommandContext } from '../cli/command.js';
import { contextFlags, offlineFlags } from '../cli/flags.js';
import { loadEnvironment } from '../cli/environment.js';
import { promptConfirm } from '../cli/prompt.js';
import { ENV_FORMATS, envFilePosition, parseSerialized, serializeEnv, type EnvFormat } from '../lib/envfile/index.js';
import { KryptError } from '../lib/errors.js';
import { writeFileAtomic } from '../lib/files/atomic-write.js';
import { whyNotWritten } from '../lib/files/new-file.js';
import { requireIntact } from '../lib/sync/fetch-environment.js';
import { decodeUtf8, fileSource } from '../lib/files/text-decoding.js';
import { isGitIgnored } from '../lib/sync/git.js';
import { diffEnv, isEmptyDiff, type EnvDiff } from '../lib/sync/diff.js';
import { describeLoss, overwriteLoss, type OverwriteLoss } from '../lib/sync/overwrite.js';

interface PullResult {
  project: string;
  environment: string;
  revision: number;
  format: EnvFormat;
  file?: string;
  keys: number;
  inSync?: boolean;
  diff?: EnvDiff;
  /** What the overwritten file had that the server does not (after --force or a confirmation). */
  dropped?: OverwriteLoss;
}

export default defineCommand({
  id: 'pull',
  description: [
    'Write the environment to .env (or --out FILE, or --stdout) in the chosen format; the file is 0600 and written atomically.',
    'Before replacing a file, pull checks what it would drop (keys only in the file, comments, export prefixes, or a',
    'file it cannot read): it asks on a terminal, and refuses otherwise unless --force.',
  ].join('\n'),
  aliases: ['secrets:pull'],
  examples: ['krypt pull', 'krypt pull --env staging --format json --out config/staging.json', 'krypt pull --check', 'krypt pull --force'],
  flags: {
    ...contextFlags,
    ...offlineFlags,
    out: flag.string({ char: 'o', description: 'file to write', default: '.env' }),
    stdout: flag.boolean({ description: 'print to stdout instead of writing a file', exclusive: ['out', 'check'] }),
    format: flag.string({ char: 'f', description: 'output format', options: [...ENV_FORMATS], default: 'env' }),
    check: flag.boolean({ description: 'only compare the file with the server: exit 1 when they differ, write nothing' }),
    force: flag.boolean({ description: 'replace the file even if it has keys, comments or export prefixes that the pulled file drops' }),
  },
  async run(ctx, { flags }): Promise<PullResult> {
    const format = flags.format as EnvFormat;
    const remote = await loadEnvironment(flags, ctx.deps, 'pull');
    requireIntact(remote);
    const context = { project: remote.project, environment: remote.environment };
    const text = serializeEnv(remote.secrets, format);
    const base = { project: context.project, environment: context.environment, revision: remote.revision, format, keys: Object.keys(remote.secrets).length };
    if (flags.stdout) {
      ctx.print(text);
      return base;
    }
    const file = resolve(ctx.deps.cwd, flags.out);
    if (flags.check) return check(ctx, file, format, remote.secrets, base);
    const existing = readExisting(file);
    const dropped = existing && existing.length > 0 ? overwriteLoss(existing, format, remote.secrets, flags.out) : undefined;
    if (dropped) await confirmLoss(ctx, dropped, format, flags.out, `${context.project}/${context.environment}`, flags.force);
    try {
      writeFileAtomic(file, text, 0o600);
    } catch (err) {
      const why = whyNotWritten(err);
      if (why === undefined) throw err;
      throw new KryptError('cannot_write', `cannot write ${flags.out}: ${why}`, {
        hint: (err as NodeJS.ErrnoException).code === 'ENOENT' ? `create its directory first (mkdir -p ${dirname(flags.out)}), or choose another --out` : 'choose another --out, or fix the permissions',
      });
    }
    ctx.say(`Wrote ${base.keys} keys from ${context.project}/${context.environment} to ${flags.out} (revision ${remote.revision}).`);
    if (dropped && flags.force) ctx.warn(`replaced ${flags.out}, dropping ${describeLoss(dropped, format).join('; ')}`);
    if (text === '' && existing && existing.length > 0) ctx.warn(`${context.project}/${context.environment} has no keys: ${flags.out} (${existing.length} bytes before) is now empty`);
    if (isGitIgnored(file) === false) ctx.warn(`${flags.out} is not git-ignored; add it to .gitignore so secrets are never committed`);
    return { ...base, file, ...(dropped ? { dropped } : {}) };
  },
});


/** --force goes ahead; a terminal shows the loss (key names only) and asks; anything else is refused. */
async function confirmLoss(ctx: CommandContext, loss: OverwriteLoss, format: EnvFormat, out: string, where: string, force: boolean): Promise<void> {
  if (force) return;
  const lost = describeLoss(loss, format);
  if (!ctx.interactive) {
    throw new KryptError('would_lose_local_data', `${out} has what ${where} does not, and pulling would drop it: ${lost.join('; ')}`, {
      hint: `send the file's keys first with \`krypt push --file ${out}\`, or pass --force to replace ${out} anyway`,
    });
  }
  ctx.deps.stderr.write(`Pulling ${where} over ${out} would drop (values not shown):\n${lost.map((l) => `  ${l}\n`).join('')}`);
  if (!(await promptConfirm(ctx.deps, `Replace ${out}?`))) {
    throw new KryptError('cancelled', `pull cancelled; ${out} unchanged`, { kind: 'cancelled' });
  }
}

function check(ctx: CommandContext, file: string, format: EnvFormat, remote: Record<string, string>, base: PullResult): PullResult {
  let local: Record<string, string> = {};
  try {
    local = parseSerialized(decodeUtf8(readFileSync(file), fileSource(file, format === 'env' ? envFilePosition : undefined)), format, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const diff = diffEnv(remote, local);
  if (!isEmptyDiff(diff)) {
    throw new KryptError('out_of_date', `${file} differs from the server: ${diff.added.length} missing, ${diff.changed.length} changed, ${diff.removed.length} extra`, {
      hint: 'run `krypt pull` to update it',
    });
  }
  ctx.say(`${file} matches ${base.project}/${base.environment} (revision ${base.revision}).`);
  return { ...base, file, inSync: true, diff };
}

/** The bytes of the file pull is about to replace; undefined when there is none. */
function readExisting(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new KryptError('file_unreadable', `cannot read ${file} to see what replacing it would drop (${code})`, { hint: 'check its permissions, or pass --out with another file' });
  }
}
