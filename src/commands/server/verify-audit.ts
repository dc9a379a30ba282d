import { existsSync } from 'node:fs';
import { defineCommand, flag } from '../../cli/command.js';
import { resolveStorage, storageFlags } from '../../cli/storage.js';
import { KryptError } from '../../lib/errors.js';
import { serverEntry } from './entry.js';
import { readMasterKey } from './master-key.js';

interface VerifyResult {
  ok: boolean;
  entries: number;
  /** False for a chain no server has keyed yet (verified with the legacy SHA-256). */
  keyed: boolean;
  problems: Array<{ id: number; kind: string; message: string }>;
}

export default defineCommand({
  id: 'server:verify-audit',
  description: [
    'Check the audit log\'s chain directly in the database and report the first broken link. Each entry carries an',
    'HMAC under a key derived from the master key, so the master key is needed (--master-key-file, standard input or a',
    'hidden prompt) and a chain recomputed without it does not verify. Exit 0 when intact, 1 when any entry was edited,',
    'deleted or inserted.',
  ].join('\n'),
  examples: [
    'krypt server verify-audit --data-dir /var/lib/krypt --master-key-file /run/secrets/krypt-master-key',
    'KRYPT_DATABASE_URL=postgres://krypt@db/krypt krypt server verify-audit < key.txt',
  ],
  flags: {
    ...storageFlags,
    'master-key-file': flag.string({ description: 'file holding the master key' }),
  },
  async run(ctx, { flags }): Promise<VerifyResult> {
    const { assertNoMasterKeyInEnv, verifyAudit } = await serverEntry();
    if (flags['data-dir'] && !existsSync(flags['data-dir'])) {
      throw new KryptError('no_database', `${flags['data-dir']} does not exist`, { hint: 'pass the --data-dir the server runs with' });
    }
    assertNoMasterKeyInEnv(ctx.deps.env);
    const database = resolveStorage(flags, ctx.deps.env);
    const masterKey = await readMasterKey(ctx, flags['master-key-file']);
    const report = await verifyAudit(database, masterKey);
    masterKey.fill(0);
    const result: VerifyResult = {
      ok: report.ok,
      entries: report.entries,
      keyed: report.keyed,
      problems: report.problems.map((p) => ({ id: p.id, kind: p.kind, message: p.message })),
    };
    const first = result.problems[0];
    if (result.ok || !first) {
      ctx.say(`Audit chain intact: ${result.entries} entries${result.keyed ? '' : ' (not keyed yet: the next `krypt server start` keys it with the master key)'}`);
      return result;
    }
    const more = result.problems.length > 1 ? ` (+${result.problems.length - 1} more problems)` : '';
    return ctx.failWithResult(
      result,
      new KryptError('audit_chain_broken', `Audit chain broken at entry #${first.id}: ${first.message}${more}`, {
        hint: 'the log was altered outside Krypt; keep this database for investigation and compare it with a backup (`--json` lists every problem)',
      }),
    );
  },
});
