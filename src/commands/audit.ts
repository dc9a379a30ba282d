import { defineCommand, flag } from '../cli/command.js';
import { apiFlags, projectFlag } from '../cli/flags.js';
import { renderTable } from '../cli/render.js';
import { openSession } from '../cli/session.js';
import type { AuditEntry } from '../contract/index.js';
import type { AuditFilter } from '../lib/api/client.js';
import { parseEnvironment, resolveProject } from '../lib/config/context.js';
import { KryptError } from '../lib/errors.js';
import { parseEmail } from '../lib/teams/email.js';
import { parseSince } from '../lib/time/duration.js';

export default defineCommand({
  id: 'audit',
  description: 'Show the project\'s audit log, newest first: who read or changed what, when, from where (never values).',
  examples: ['<%= config.bin %> audit --since 24h', '<%= config.bin %> audit --env prod --actor ana@example.com --limit 20', '<%= config.bin %> audit --json'],
  flags: {
    ...apiFlags,
    ...projectFlag,
    env: flag.string({ char: 'e', description: 'only this environment (dev, stg, prod accepted)' }),
    actor: flag.string({ description: 'only entries by this user (email)' }),
    since: flag.string({ description: 'only entries after this: a duration back from now (24h, 7d) or an ISO date' }),
    limit: flag.integer({ description: 'at most this many entries (1-1000)', default: 100 }),
  },
  async run(ctx, { flags }): Promise<{ project: string; entries: AuditEntry[] }> {
    if (flags.limit < 1 || flags.limit > 1000) throw new KryptError('usage', '--limit must be between 1 and 1000', { hint: 'run `krypt audit --limit 100`' });
    const filter: AuditFilter = { limit: flags.limit };
    if (flags.env !== undefined) filter.environment = parseEnvironment(flags.env);
    if (flags.actor !== undefined) filter.actor = parseEmail(flags.actor);
    if (flags.since !== undefined) filter.since = parseSince(flags.since, ctx.deps.now());
    const project = resolveProject(flags, ctx.deps.env, ctx.deps.cwd);
    const { entries } = await openSession(ctx.deps, flags, 'audit').client.listAudit(project, filter);
    if (entries.length === 0) ctx.say(`No audit entries in ${project} match.`);
    const rows = entries.map((e) => [
      String(e.id),
      e.at,
      e.actor ?? '-',
      e.action,
      e.environment ?? '-',
      e.keys.join(',') || '-',
      Object.entries(e.details).map(([k, v]) => `${k}=${String(v)}`).join(' ') || '-',
      e.command ?? '-',
      e.ip ?? '-',
    ]);
    ctx.print(renderTable(['id', 'time', 'actor', 'action', 'env', 'keys', 'details', 'command', 'ip'], rows, Boolean(ctx.deps.stdout.isTTY)));
    return { project, entries };
  },
});
