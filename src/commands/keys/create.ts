import { hostname } from 'node:os';
import { defineCommand, flag } from '../../cli/command.js';
import { contextFlags } from '../../cli/flags.js';
import { openSession } from '../../cli/session.js';
import type { ApiKeyInfo } from '../../contract/index.js';
import type { CreateApiKeyInput } from '../../lib/api/client.js';
import { resolveProjectContext } from '../../lib/config/context.js';
import { KryptError } from '../../lib/errors.js';
import { parseDuration } from '../../lib/time/duration.js';

export default defineCommand({
  id: 'keys:create',
  description: [
    'Create an API key; the key is printed once on stdout and cannot be shown again.',
    'With --service: a read-only token for one project and environment (for CI: `KRYPT_TOKEN=... krypt run -- CMD`).',
  ].join('\n'),
  examples: [
    'krypt keys create --name laptop --expires 90d',
    'KRYPT_TOKEN=$(krypt keys create --service --project my-app --env staging --expires 30d)',
  ],
  flags: {
    ...contextFlags,
    name: flag.string({ char: 'n', description: 'a name to recognise the key by (default: this host, or the service scope)' }),
    expires: flag.string({ description: 'lifetime, e.g. 12h, 30d (default: never expires)' }),
    service: flag.boolean({ description: 'read-only service token limited to --project and --env' }),
  },
  async run(ctx, { flags }): Promise<{ key: ApiKeyInfo; token: string }> {
    const body: CreateApiKeyInput = { name: flags.name ?? `krypt cli on ${hostname()}` };
    if (flags.expires !== undefined) body.expiresInSeconds = parseDuration(flags.expires, '--expires');
    if (flags.service) {
      const context = resolveProjectContext(flags, ctx.deps.env, ctx.deps.cwd);
      if (context.environmentSource === 'default') {
        throw new KryptError('usage', 'a service token is limited to one environment; name it', { hint: 'pass --env development|staging|production' });
      }
      body.service = { project: context.project, environment: context.environment };
      body.name = flags.name ?? `ci ${context.project}/${context.environment}`;
    } else if (flags.project !== undefined || flags.env !== undefined) {
      throw new KryptError('usage', '--project and --env apply only to --service tokens', { hint: 'add --service, or drop them for a personal key' });
    }
    const { key, token } = await openSession(ctx.deps, flags, 'keys create').client.createApiKey(body);
    const scope = key.service ? `read-only service token for ${key.service.project}/${key.service.environment}` : 'personal key';
    ctx.say(`Created ${scope} "${key.name}" (${key.prefix}…${key.expiresAt ? `, expires ${key.expiresAt}` : ''}). It is shown once:`);
    ctx.print(token + '\n');
    return { key, token };
  },
});
