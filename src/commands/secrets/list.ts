import { defineCommand, flag } from '../../cli/command.js';
import { contextFlags } from '../../cli/flags.js';
import { renderTable } from '../../cli/render.js';
import { openProjectSession } from '../../cli/session.js';

interface SecretsListResult {
  project: string;
  environment: string;
  revision: number;
  secrets: Array<{ key: string; version: number; updatedAt: string; updatedBy: string; value?: string }>;
}

export default defineCommand({
  id: 'secrets:list',
  description: 'List key names with when and by whom they were last updated; values only with --reveal.',
  examples: ['krypt secrets list', 'krypt secrets list --env production --json'],
  flags: {
    ...contextFlags,
    reveal: flag.boolean({ description: 'include the values (recorded as a read)' }),
  },
  async run(ctx, { flags }): Promise<SecretsListResult> {
    const { client, context } = openProjectSession(ctx.deps, flags, 'secrets list');
    const meta = await client.listKeys(context.project, context.environment);
    const values = flags.reveal ? (await client.getSecrets(context.project, context.environment)).secrets : undefined;
    const secrets: SecretsListResult['secrets'] = meta.keys.map((k) => (values ? { ...k, value: values[k.key] ?? '' } : k));
    if (secrets.length === 0) ctx.say(`No secrets in ${context.project}/${context.environment} yet.`);
    const headers = ['key', 'version', 'updated', 'by', ...(values ? ['value'] : [])];
    const rows = secrets.map((s) => [s.key, String(s.version), s.updatedAt, s.updatedBy, ...(values ? [oneLine(s.value ?? '')] : [])]);
    ctx.print(renderTable(headers, rows, Boolean(ctx.deps.stdout.isTTY)));
    return { project: context.project, environment: context.environment, revision: meta.revision, secrets };
  },
});


/** Multi-line values are shown escaped so each key stays on one row. */
function oneLine(value: string): string {
  return /[\n\r\t]/.test(value) ? JSON.stringify(value) : value;
}
