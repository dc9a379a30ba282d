import { KryptCommand } from '../cli/base-command.js';
import { contextFlags } from '../cli/flags.js';
import { pendingLines } from '../cli/change-requests.js';
import { openProjectSession } from '../cli/session.js';
import type { ChangeRequest } from '../contract/index.js';
import { isPendingWrite } from '../lib/api/client.js';
import { KryptError } from '../lib/errors.js';
import { checkKey } from '../lib/sync/assignments.js';

type UnsetResult =
  | { project: string; environment: string; revision: number; deleted: string[] }
  | { project: string; environment: string; changeRequest: ChangeRequest };

export default class Unset extends KryptCommand<UnsetResult> {
  static override description = 'Delete secrets. A key that is not set is an error (the others are still deleted).';
  static override strict = false;
  static override usage = 'unset KEY...';
  static override flags = { ...contextFlags };

  async run(): Promise<UnsetResult> {
    const { argv, flags } = await this.parse(Unset);
    const keys = (argv as string[]).map(checkKey);
    if (keys.length === 0) throw new KryptError('usage', 'name at least one key', { hint: 'run `krypt unset KEY`' });
    const { client, context } = openProjectSession(this.deps, flags, 'unset');
    const result = await client.writeSecrets(context.project, context.environment, { delete: keys });
    if (isPendingWrite(result)) {
      pendingLines(result.changeRequest).forEach((line) => this.say(line));
      return { project: context.project, environment: context.environment, changeRequest: result.changeRequest };
    }
    const where = `${context.project}/${context.environment}`;
    if (result.deleted.length > 0) this.say(`Deleted ${result.deleted.join(', ')} from ${where} (revision ${result.revision}).`);
    const missing = keys.filter((k) => !result.deleted.includes(k));
    if (missing.length > 0) {
      throw new KryptError('secret_not_found', `${missing.join(', ')} not set in ${where}`, { kind: 'remote', hint: 'run `krypt secrets list` to see the keys' });
    }
    return { project: context.project, environment: context.environment, revision: result.revision, deleted: result.deleted };
  }
}
