import { defineCommand, flag } from '../cli/command.js';
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

export default defineCommand({
  id: 'set',
  description: 'Set secret values: KEY=VALUE..., or one KEY with its value read from stdin (multi-line safe).',
  examples: [
    'krypt set API_URL=https://api.example.com LOG_LEVEL=debug',
    'krypt set TLS_KEY --stdin < key.pem',
  ],
  variadic: true,
  usage: 'set KEY=VALUE... | set KEY --stdin',
  flags: {
    ...contextFlags,
    stdin: flag.boolean({ description: 'read the value of the single KEY from standard input (kept byte for byte)' }),
  },
  async run(ctx, { argv, flags }): Promise<SetResult> {
    const stdinBytes = flags.stdin ? await readStdinBytes(ctx.deps) : undefined;
    const values = parseAssignments(argv as string[], stdinBytes);
    const { client, context } = openProjectSession(ctx.deps, flags, 'set');
    const result = await client.writeSecrets(context.project, context.environment, { set: values });
    if (isPendingWrite(result)) {
      pendingLines(result.changeRequest).forEach((line) => ctx.say(line));
      return { project: context.project, environment: context.environment, changeRequest: result.changeRequest };
    }
    const where = `${context.project}/${context.environment}`;
    const unchanged = Object.keys(values).filter((k) => !result.changed.includes(k));
    if (result.changed.length > 0) ctx.say(`Set ${result.changed.join(', ')} in ${where} (revision ${result.revision}).`);
    if (unchanged.length > 0) ctx.say(`Unchanged (same value): ${unchanged.join(', ')}.`);
    return { project: context.project, environment: context.environment, revision: result.revision, changed: result.changed };
  },
});
