import { Flags } from '@oclif/core';
import { existsSync } from 'node:fs';
import { KryptCommand } from '../../cli/base-command.js';
import { KryptError } from '../../lib/errors.js';
import { verifyAudit, type DatabaseOptions } from '../../server/main.js';

interface VerifyResult {
  ok: boolean;
  entries: number;
  problems: Array<{ id: number; kind: string; message: string }>;
}

export default class ServerVerifyAudit extends KryptCommand<VerifyResult> {
  static override description = [
    'Check the audit log\'s hash chain directly in the database (no master key needed) and report the first broken link.',
    'Exit 0 when intact, 1 when any entry was edited, deleted or inserted.',
  ].join('\n');
  static override examples = ['<%= config.bin %> server verify-audit --data-dir /var/lib/krypt', 'KRYPT_DATABASE_URL=postgres://krypt@db/krypt <%= config.bin %> server verify-audit'];
  static override flags = {
    'data-dir': Flags.string({ description: 'SQLite data directory', exclusive: ['database-url'] }),
    'database-url': Flags.string({ description: 'postgres://... URL (or KRYPT_DATABASE_URL)' }),
  };

  async run(): Promise<VerifyResult> {
    const { flags } = await this.parse(ServerVerifyAudit);
    const databaseUrl = flags['database-url'] ?? this.deps.env.KRYPT_DATABASE_URL;
    let database: DatabaseOptions;
    if (flags['data-dir']) {
      if (!existsSync(flags['data-dir'])) throw new KryptError('no_database', `${flags['data-dir']} does not exist`, { hint: 'pass the --data-dir the server runs with' });
      database = { dataDir: flags['data-dir'] };
    } else if (databaseUrl) database = { databaseUrl };
    else throw new KryptError('no_database', 'no storage given', { hint: 'pass --data-dir DIR (SQLite) or --database-url postgres://...' });

    const report = await verifyAudit(database);
    const result: VerifyResult = { ok: report.ok, entries: report.entries, problems: report.problems.map((p) => ({ id: p.id, kind: p.kind, message: p.message })) };
    const first = result.problems[0];
    if (result.ok || !first) {
      this.say(`Audit chain intact: ${result.entries} entries`);
      return result;
    }
    const more = result.problems.length > 1 ? ` (+${result.problems.length - 1} more problems)` : '';
    this.failWithResult(
      result,
      new KryptError('audit_chain_broken', `Audit chain broken at entry #${first.id}: ${first.message}${more}`, {
        hint: 'the log was altered outside Krypt; keep this database for investigation and compare it with a backup (`--json` lists every problem)',
      }),
    );
  }
}
