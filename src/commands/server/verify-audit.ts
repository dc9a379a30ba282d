import { existsSync } from 'node:fs';
import { KryptCommand } from '../../cli/base-command.js';
import { resolveStorage, storageFlags } from '../../cli/storage.js';
import { KryptError } from '../../lib/errors.js';
import { verifyAudit } from '../../server/main.js';

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
    ...storageFlags,
  };

  async run(): Promise<VerifyResult> {
    const { flags } = await this.parse(ServerVerifyAudit);
    if (flags['data-dir'] && !existsSync(flags['data-dir'])) {
      throw new KryptError('no_database', `${flags['data-dir']} does not exist`, { hint: 'pass the --data-dir the server runs with' });
    }
    const database = resolveStorage(flags, this.deps.env);

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
