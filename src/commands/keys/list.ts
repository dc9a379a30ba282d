import { KryptCommand } from '../../cli/base-command.js';
import { apiFlags } from '../../cli/flags.js';
import { renderTable } from '../../cli/render.js';
import { openSession } from '../../cli/session.js';
import type { ApiKeyInfo } from '../../contract/index.js';

export default class KeysList extends KryptCommand<{ keys: ApiKeyInfo[] }> {
  static override description = 'List your API keys and service tokens: id, prefix, name, scope, expiry, last use (never the key itself).';
  static override flags = { ...apiFlags };

  async run(): Promise<{ keys: ApiKeyInfo[] }> {
    const { flags } = await this.parse(KeysList);
    const { keys } = await openSession(this.deps, flags, 'keys list').client.listApiKeys();
    const rows = keys.map((k) => [
      k.id,
      `${k.prefix}…`,
      k.name,
      k.service ? `service ${k.service.project}/${k.service.environment}` : 'personal',
      k.revokedAt ? `revoked ${k.revokedAt}` : (k.expiresAt ?? 'never'),
      k.lastUsedAt ?? 'never',
    ]);
    this.print(renderTable(['id', 'prefix', 'name', 'scope', 'expires', 'last used'], rows, Boolean(this.deps.stdout.isTTY)));
    return { keys };
  }
}
