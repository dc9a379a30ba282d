import { resolve } from 'node:path';
import { defineCommand, flag } from '../../cli/command.js';
import { resolveStorage, storageFlags } from '../../cli/storage.js';
import { KryptError } from '../../lib/errors.js';
import { createNewFile } from '../../lib/files/new-file.js';
import { DEFAULT_ADMIN_EMAIL } from '../../contract/constants.js';
import { serverEntry } from './entry.js';

interface InitResult {
  masterKey?: string;
  masterKeyFile?: string;
  /** Set when --master-key-out could not be written after the instance was created: masterKey holds the key instead. */
  masterKeyOutError?: { file: string; code: string };
  token: string;
  user: { id: string; email: string; name: string };
}

export default defineCommand({
  id: 'server:init',
  description: [
    'Create a fresh instance: generates the master key (printed once, or written to --master-key-out with mode 0600)',
    'and the first user with an API key (printed once). Neither can be recovered later.',
    'The --master-key-out file is created (never overwritten) before the instance, so a bad path creates nothing.',
  ].join('\n'),
  examples: ['krypt server init --data-dir /var/lib/krypt --master-key-out /run/secrets/krypt-master-key --email you@example.com'],
  flags: {
    ...storageFlags,
    'master-key-out': flag.string({ description: 'write the master key to this new file (0600) instead of printing it' }),
    email: flag.string({ description: 'email of the first user', default: DEFAULT_ADMIN_EMAIL }),
    name: flag.string({ description: 'name of the first user' }),
  },
  async run(ctx, { flags }): Promise<InitResult> {
    const { initInstance } = await serverEntry();
    const database = resolveStorage(flags, ctx.deps.env);
    const out = flags['master-key-out'] ? resolve(ctx.deps.cwd, flags['master-key-out']) : undefined;
    // Before the instance exists: a path that cannot be written must not leave an instance whose key is lost.
    const keyFile = out
      ? createNewFile(out, { mode: 0o600, what: 'the master key file', code: 'master_key_out_unwritable', hint: 'name a new file in an existing, writable directory (it is never overwritten), or leave out --master-key-out to print the key' })
      : undefined;
    let init: Awaited<ReturnType<typeof initInstance>>;
    try {
      init = await initInstance({ database, email: flags.email, ...(flags.name ? { name: flags.name } : {}), warn: (message) => ctx.warn(message) });
    } catch (err) {
      keyFile?.discard();
      throw err;
    }
    let writeError: string | undefined;
    try {
      keyFile?.write(init.masterKey + '\n');
    } catch (err) {
      writeError = (err as NodeJS.ErrnoException).code ?? 'error';
    }
    const saved = keyFile !== undefined && writeError === undefined;
    ctx.say(`Initialised. First user: ${init.user.email}. ${saved ? 'The API key below is' : 'Both keys below are'} shown once and cannot be recovered.`);
    if (!saved) ctx.print(`master-key: ${init.masterKey}\n`);
    ctx.print(`api-key: ${init.token}\n`);
    if (saved) ctx.say(`Master key written to ${out} (mode 0600).`);
    ctx.say('Start the server with `krypt server start --master-key-file FILE ...`, then `krypt login --api-url URL`.');
    const base = { token: init.token, user: init.user };
    if (saved) return { masterKeyFile: out, ...base };
    if (out === undefined || writeError === undefined) return { masterKey: init.masterKey, ...base };
    // Rare (disk full, quota): the instance exists, so the key is shown, once, rather than lost.
    const where = ctx.json ? 'is in the JSON result (masterKey)' : 'is printed on stdout';
    return ctx.failWithResult(
      { masterKey: init.masterKey, masterKeyOutError: { file: out, code: writeError }, ...base },
      new KryptError('master_key_out_failed', `could not write the master key to ${out} (${writeError}); the instance exists and its master key ${where} instead: store it now`, {
        hint: 'save the key in a file only the server can read, then run `krypt server start --master-key-file FILE`',
      }),
    );
  },
});
