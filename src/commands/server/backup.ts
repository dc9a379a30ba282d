import { resolve } from 'node:path';
import { defineCommand, flag } from '../../cli/command.js';
import { resolveStorage, storageFlags } from '../../cli/storage.js';
import { serverEntry } from './entry.js';

interface BackupResult {
  file: string;
  bytes: number;
  secrets: number;
  versions: number;
}

export default defineCommand({
  id: 'server:backup',
  description: [
    'Write a consistent snapshot of a SQLite data directory to a new file (mode 0600, never overwritten), while the',
    'server keeps running (SQLite online backup API). No master key is needed: values are copied still encrypted, so',
    'the snapshot is useless without the master key, and restoring needs the SAME key. To restore, stop the server',
    'and start it on a data directory holding only the snapshot, renamed krypt.db.',
    'PostgreSQL is backed up with pg_dump (see README, "Backups"); this command refuses it with that hint.',
  ].join('\n'),
  examples: ['krypt server backup --data-dir /var/lib/krypt --out /backups/krypt-$(date +%F).db'],
  flags: {
    out: flag.string({ description: 'the snapshot file to create', required: true }),
    ...storageFlags,
  },
  async run(ctx, { flags }): Promise<BackupResult> {
    const { backupStore } = await serverEntry();
    const database = resolveStorage(flags, ctx.deps.env, 'pass --data-dir DIR (SQLite); for PostgreSQL use pg_dump');
    const file = resolve(ctx.deps.cwd, flags.out);
    const snap = await backupStore(database, file);
    ctx.say(`Backed up ${snap.secrets} secrets and ${snap.versions} history versions (${snap.bytes} bytes) to ${file} (mode 0600).`);
    return { file, ...snap };
  },
});
