import { defineCommand } from '../cli/command.js';
import { apiFlags } from '../cli/flags.js';
import { renderTable } from '../cli/render.js';
import { openSession } from '../cli/session.js';

interface WhoamiResult {
  user: { id: string; email: string; name: string };
  key: { id: string; name: string; prefix: string; expiresAt: string | null };
  apiUrl: string;
  sources: { apiUrl: string; token: string };
}

export default defineCommand({
  id: 'whoami',
  description: 'Show the user, API key and API URL in use, and where each came from (flag, env, file).',
  flags: { ...apiFlags },
  async run(ctx, { flags }): Promise<WhoamiResult> {
    const session = openSession(ctx.deps, flags, 'whoami');
    const me = await session.client.me();
    const sources = { apiUrl: session.settings.apiUrlSource ?? 'default', token: session.settings.tokenSource ?? 'default' };
    const rows = [
      ['user', me.user.email, ''],
      ['key', `${me.key.name} (${me.key.prefix}…)`, sourceLabel(sources.token, 'KRYPT_TOKEN')],
      ['api url', session.apiUrl, sourceLabel(sources.apiUrl, 'KRYPT_API_URL')],
    ];
    ctx.print(renderTable(['', 'value', 'from'], rows, Boolean(ctx.deps.stdout.isTTY)));
    return { user: me.user, key: me.key, apiUrl: session.apiUrl, sources };
  },
});


function sourceLabel(source: string, envName: string): string {
  if (source === 'env') return `env ${envName}`;
  if (source === 'file') return 'config file';
  return source;
}
