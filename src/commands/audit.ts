import { defineCommand, flag } from '../cli/command.js';
import { apiFlags, projectFlag } from '../cli/flags.js';
import { renderTable } from '../cli/render.js';
import { openSession } from '../cli/session.js';
import { AUDIT_ACTIONS } from '../contract/constants.js';
import type { AuditAction, AuditEntry } from '../contract/index.js';
import type { AuditFilter } from '../lib/api/client.js';
import { parseEnvironment, resolveProject } from '../lib/config/context.js';
import { KryptError } from '../lib/errors.js';
import { parseEmail } from '../lib/teams/email.js';
import { parseSince } from '../lib/time/duration.js';

function parseAuditAction(value: string): AuditAction {
  const action = AUDIT_ACTIONS.find((a) => a === value.trim().toLowerCase());
  if (!action) throw new KryptError('usage', `unknown audit action "${value}"`, { hint: `one of: ${AUDIT_ACTIONS.join(', ')}` });
  return action;
}

export default defineCommand({
  id: 'audit',
  description: 'Show the project\'s audit log, newest first: who read or changed what, when, from where (never values).',
  examples: ['krypt audit --since 24h', 'krypt audit --env prod --actor ana@example.com --limit 20', 'krypt audit --action secret.read --since 7d', 'krypt audit --json'],
  flags: {
    ...apiFlags,
    ...projectFlag,
    env: flag.string({ char: 'e', description: 'only this environment (dev, stg, prod accepted)' }),
    actor: flag.string({ description: 'only entries by this user (email)' }),
    action: flag.string({ description: 'only this action (e.g. secret.read, secrets.write, member.join)' }),
    since: flag.string({ description: 'only entries after this: a duration back from now (24h, 7d) or an ISO date' }),
    until: flag.string({ description: 'only entries before this: a duration back from now (24h, 7d) or an ISO date' }),
    before: flag.integer({ description: 'only entries older than this id (page on from a previous listing)' }),
    limit: flag.integer({ description: 'at most this many entries (1-1000)', default: 100 }),
  },
  async run(ctx, { flags }): Promise<{ project: string; entries: AuditEntry[]; next: number | null }> {
    if (flags.limit < 1 || flags.limit > 1000) throw new KryptError('usage', '--limit must be between 1 and 1000', { hint: 'run `krypt audit --limit 100`' });
    const filter: AuditFilter = { limit: flags.limit };
    if (flags.env !== undefined) filter.environment = parseEnvironment(flags.env);
    if (flags.actor !== undefined) filter.actor = await parseEmail(flags.actor);
    if (flags.action !== undefined) filter.action = parseAuditAction(flags.action);
    if (flags.since !== undefined) filter.since = parseSince(flags.since, ctx.deps.now());
    if (flags.until !== undefined) filter.until = parseSince(flags.until, ctx.deps.now());
    if (flags.before !== undefined) {
      if (flags.before < 1) throw new KryptError('usage', '--before must be a positive entry id', { hint: 'use the id printed in the first column' });
      filter.before = flags.before;
    }
    const project = resolveProject(flags, ctx.deps.env, ctx.deps.cwd);
    const { entries, next } = await openSession(ctx.deps, flags, 'audit').client.listAudit(project, filter);
    if (entries.length === 0) ctx.say(`No audit entries in ${project} match.`);
    const rows = entries.map((e) => [
      String(e.id),
      e.at,
      e.actor ?? '-',
      e.action,
      e.environment ?? '-',
      // A read of a whole environment is recorded compactly: its revision and how many keys it held.
      e.keys.join(',') || (typeof e.details.keyCount === 'number' ? `all ${e.details.keyCount}` : '-'),
      Object.entries(e.details).map(([k, v]) => `${k}=${String(v)}`).join(' ') || '-',
      e.command ?? '-',
      e.ip ?? '-',
    ]);
    ctx.print(renderTable(['id', 'time', 'actor', 'action', 'env', 'keys', 'details', 'command', 'ip'], rows, Boolean(ctx.deps.stdout.isTTY)));
    if (next !== null) ctx.say(`More entries: add --before ${next} for the next page.`);
    return { project, entries, next };
  },
});
