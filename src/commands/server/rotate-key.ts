import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineCommand, flag } from '../../cli/command.js';
import { resolveStorage, storageFlags } from '../../cli/storage.js';
import { KryptError } from '../../lib/errors.js';
import type { RotationCounts } from '../../server/entry/index.js';
import { serverEntry } from './entry.js';
import { readMasterKey } from './master-key.js';

interface RotateResult {
  masterKeyFile: string;
  reencrypted: RotationCounts;
}

export default defineCommand({
  id: 'server:rotate-key',
  description: [
    'Replace the master key: verifies the current key (from --master-key-file, standard input or a hidden prompt;',
    'never the environment), then in ONE transaction re-encrypts every secret value, every history version and every',
    'change-request value under a new key, checking each stored tag first (a tampered row aborts it, nothing changes),',
    'and replaces the key check. Stop every server on this store first: it refuses to run while one is connected.',
    'Afterwards start the servers with the new key; the old key is refused.',
    '',
    'The new key is printed once (`master-key: HEX`) or written to --new-master-key-out (new file, 0600) after all',
    'values are re-encrypted and just BEFORE the commit, so it can never be lost. If the run is interrupted, the store',
    'is either untouched (the old key still works; a written key file is refused by the key check: delete it and run',
    'again) or fully rotated (the new key works).',
  ].join('\n'),
  examples: [
    'krypt server rotate-key --data-dir /var/lib/krypt --master-key-file /run/secrets/krypt-master-key --new-master-key-out /run/secrets/krypt-master-key.new',
    'KRYPT_DATABASE_URL=postgres://krypt@db/krypt krypt server rotate-key --master-key-file old.key',
  ],
  flags: {
    ...storageFlags,
    'master-key-file': flag.string({ description: 'file holding the CURRENT master key' }),
    'new-master-key-out': flag.string({ description: 'write the new master key to this new file (0600) instead of printing it' }),
  },
  async run(ctx, { flags }): Promise<RotateResult | void> {
    const { assertNoMasterKeyInEnv, rotateMasterKey } = await serverEntry();
    assertNoMasterKeyInEnv(ctx.deps.env);
    const database = resolveStorage(flags, ctx.deps.env);
    const out = flags['new-master-key-out'] ? resolve(ctx.deps.cwd, flags['new-master-key-out']) : undefined;
    if (!out && ctx.json) {
      // The JSON result is printed after the commit; a key printed only then could be lost to a crash.
      throw new KryptError('usage', '--json needs --new-master-key-out', { hint: 'the new key must be saved before the commit; pass --new-master-key-out FILE' });
    }
    if (out && existsSync(out)) throw new KryptError('usage', `${out} already exists`, { hint: 'choose a new --new-master-key-out path; it is never overwritten' });

    const masterKey = await readMasterKey(ctx, flags['master-key-file'], 'Current master key:');
    const counts = await rotateMasterKey({
      database,
      masterKey,
      onStart: (values) => ctx.say(`Re-encrypting ${values} stored values in one transaction...`),
      saveNewKey: (key) => {
        if (out) writeFileSync(out, key + '\n', { mode: 0o600, flag: 'wx' });
        else ctx.print(`master-key: ${key}\n`);
      },
    });
    masterKey.fill(0);
    ctx.say(
      `Rotated: ${counts.secrets} secrets, ${counts.versions} history versions, ${counts.changeRequestValues} change-request values` +
        (counts.deliveries + counts.webhookSecrets > 0 ? `, ${counts.deliveries} unsent outbox messages, ${counts.webhookSecrets} webhook signing secrets` : '') +
        ' re-encrypted.' +
        (out ? ` New master key written to ${out} (mode 0600).` : ' The new master key above is shown once.'),
    );
    ctx.say('Start the server with the new key; the old key is now refused.');
    return out ? { masterKeyFile: out, reencrypted: counts } : undefined;
  },
});
