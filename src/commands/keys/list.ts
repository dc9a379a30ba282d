import { defineCommand } from '../../cli/command.js';
import { apiFlags } from '../../cli/flags.js';
import { renderTable } from '../../cli/render.js';
import { openSession } from '../../cli/session.js';
import type { ApiKeyInfo } from '../../contract/index.js';

export default defineCommand({
  id: 'keys:list',
  description: 'List your API keys and service tokens: id, prefix, name, scope, expiry, last use (never the key itself).',
  examples: ['krypt keys list'],
  flags: { ...apiFlags },
  async run(ctx, { flags }): Promise<{ keys: ApiKeyInfo[] }> {
    const { keys } = await openSession(ctx.deps, flags, 'keys list').client.listApiKeys();
    const rows = keys.map((k) => [
      k.id,
      `${k.prefix}…`,
      k.name,
      k.service ? `service ${k.service.project}/${k.service.environment}` : 'personal',
      k.revokedAt ? `revoked ${k.revokedAt}` : (k.expiresAt ?? 'never'),
      k.lastUsedAt ?? 'never',
    ]);
    ctx.print(renderTable(['id', 'prefix', 'name', 'scope', 'expires', 'last used'], rows, Boolean(ctx.deps.stdout.isTTY)));
    return { keys };
  },
});
