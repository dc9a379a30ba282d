import { defineCommand } from '../cli/command.js';
import { apiFlags } from '../cli/flags.js';
import { renderTable } from '../cli/render.js';
import { openSession } from '../cli/session.js';
import { API_KEY_PREFIX_LENGTH } from '../contract/constants.js';
import { KryptError } from '../lib/errors.js';

interface WhoamiResult {
  /** null when the server could not be reached (offline: only what this machine knows). */
  user: { id: string; email: string; name: string } | null;
  key: { id: string; name: string; prefix: string; expiresAt: string | null } | { prefix: string };
  apiUrl: string;
  sources: { apiUrl: string; token: string };
  verified: boolean;
}

export default defineCommand({
  id: 'whoami',
  description: 'Show the user, API key and API URL in use, and where each came from (flag, env, file).',
  examples: ['krypt whoami', 'krypt whoami --json'],
  flags: { ...apiFlags },
  async run(ctx, { flags }): Promise<WhoamiResult> {
    const session = openSession(ctx.deps, flags, 'whoami');
    const sources = { apiUrl: session.settings.apiUrlSource ?? 'default', token: session.settings.tokenSource ?? 'default' };
    let me;
    try {
      me = await session.client.me();
    } catch (err) {
      if (!(err instanceof KryptError && err.unavailable)) throw err;
      // Offline: what this machine knows (never more of the key than its public prefix), then the error.
      const prefix = keyPrefix(session.settings.token ?? '');
      const rows = [
        ['user', '(unknown: server unreachable)', ''],
        ['key', `${prefix}…`, sourceLabel(sources.token, 'KRYPT_TOKEN')],
        ['api url', session.apiUrl, sourceLabel(sources.apiUrl, 'KRYPT_API_URL')],
      ];
      ctx.print(renderTable(['', 'value', 'from'], rows, Boolean(ctx.deps.stdout.isTTY)));
      return ctx.failWithResult({ user: null, key: { prefix }, apiUrl: session.apiUrl, sources, verified: false } satisfies WhoamiResult, err);
    }
    const rows = [
      ['user', me.user.email, ''],
      ['key', `${me.key.name} (${me.key.prefix}…)`, sourceLabel(sources.token, 'KRYPT_TOKEN')],
      ['api url', session.apiUrl, sourceLabel(sources.apiUrl, 'KRYPT_API_URL')],
    ];
    ctx.print(renderTable(['', 'value', 'from'], rows, Boolean(ctx.deps.stdout.isTTY)));
    return { user: me.user, key: me.key, apiUrl: session.apiUrl, sources, verified: true };
  },
});


/** The public part of an API key, as `krypt keys list` shows it. */
function keyPrefix(token: string): string {
  return token.slice(0, API_KEY_PREFIX_LENGTH);
}

function sourceLabel(source: string, envName: string): string {
  if (source === 'env') return `env ${envName}`;
  if (source === 'file') return 'config file';
  return source;
}
