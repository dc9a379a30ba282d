import { describe, expect, it } from 'vitest';
import { defineStorageFlags, storageFlags } from '../../src/cli/storage.js';
import ServerBackup from '../../src/commands/server/backup.js';
import ServerInit from '../../src/commands/server/init.js';
import ServerRotateKey from '../../src/commands/server/rotate-key.js';
import ServerStart from '../../src/commands/server/start.js';
import ServerVerifyAudit from '../../src/commands/server/verify-audit.js';

// Every `krypt server ...` command takes --data-dir/--database-url from one definition
// (src/cli/storage.ts); `server start` only adds that neither combines with --dev.

const pick = (flags: Readonly<Record<string, { description?: string; exclusive?: readonly string[] } | undefined>>) => ({
  dataDir: { description: flags['data-dir']?.description, exclusive: flags['data-dir']?.exclusive },
  databaseUrl: { description: flags['database-url']?.description, exclusive: flags['database-url']?.exclusive },
});

describe('storage flags', () => {
  it('are one definition across the server commands', () => {
    const shared = pick(storageFlags);
    expect(shared.dataDir.exclusive).toEqual(['database-url']);
    expect(shared.databaseUrl.exclusive).toBeUndefined();
    for (const command of [ServerInit, ServerRotateKey, ServerBackup, ServerVerifyAudit]) expect(pick(command.flags)).toEqual(shared);
  });

  it('on server start, also exclude --dev, with the same descriptions', () => {
    const start = pick(ServerStart.flags);
    expect(start).toEqual(pick(defineStorageFlags({ exclusive: ['dev'] })));
    expect(start.dataDir).toEqual({ description: pick(storageFlags).dataDir.description, exclusive: ['database-url', 'dev'] });
    expect(start.databaseUrl).toEqual({ description: pick(storageFlags).databaseUrl.description, exclusive: ['dev'] });
  });
});
