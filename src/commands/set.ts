import { Flags } from '@oclif/core';
import { KryptCommand } from '../cli/base-command.js';
import { contextFlags } from '../cli/flags.js';
import { readStdinBytes } from '../cli/prompt.js';
import { pendingLines } from '../cli/change-requests.js';
import { openProjectSession } from '../cli/session.js';
import type { ChangeRequest } from '../contract/index.js';
import { isPendingWrite } from '../lib/api/client.js';
import { parseAssignments } from '../lib/sync/assignments.js';

type SetResult =
  | { project: string; environment: string; revision: number; changed: string[] }
  | { project: string; environment: string; changeRequest: ChangeRequest };

export default class SetCommand extends KryptCommand<SetResult> {
  static override description = 'Set secret values: KEY=VALUE..., or one KEY with its value read from stdin (multi-line safe).';
  static override examples = [
    '<%= config.bin %> set API_URL=https://api.example.com LOG_LEVEL=debug',
    '<%= config.bin %> set TLS_KEY --stdin < key.pem',
  ];
  static override strict = false;
  static override usage = 'set KEY=VALUE... | set KEY --stdin';
  static override flags = {
    ...contextFlags,
    stdin: Flags.boolean({ description: 'read the value of the single KEY from standard input (kept byte for byte)' }),
  };

  async run(): Promise<SetResult> {
    const { argv, flags } = await this.parse(SetCommand);
    const stdinBytes = flags.stdin ? await readStdinBytes(this.deps) : undefined;
    const values = parseAssignments(argv as string[], stdinBytes);
    const { client, context } = openProjectSession(this.deps, flags, 'set');
    const result = await client.writeSecrets(context.project, context.environment, { set: values });
    if (isPendingWrite(result)) {
      pendingLines(result.changeRequest).forEach((line) => this.say(line));
      return { project: context.project, environment: context.environment, changeRequest: result.changeRequest };
    }
    const where = `${context.project}/${context.environment}`;
    const unchanged = Object.keys(values).filter((k) => !result.changed.includes(k));
    if (result.changed.length > 0) this.say(`Set ${result.changed.join(', ')} in ${where} (revision ${result.revision}).`);
    if (unchanged.length > 0) this.say(`Unchanged (same value): ${unchanged.join(', ')}.`);
    return { project: context.project, environment: context.environment, revision: result.revision, changed: result.changed };
  }
}
