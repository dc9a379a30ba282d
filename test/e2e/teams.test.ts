import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../src/server/services/audit-chain.js';
import { krypt, makeSandbox, type CliResult } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// Three people through the real binary, each in their own KRYPT_CONFIG_DIR: the Owner (the
// instance's first user) invites a Member and a Viewer, who join with `krypt login --invite`.
// The Member's production push becomes a change request, the Viewer cannot pull, the Owner approves,
// and the audit log shows every step and verifies. On SQLite and PostgreSQL.

type Person = (args: string[], opts?: { input?: string; env?: Record<string, string> }) => Promise<CliResult>;

function newPerson(): { run: Person; cwd: string } {
  const box = makeSandbox();
  return { cwd: box.cwd, run: (args, opts = {}) => krypt(args, { cwd: box.cwd, env: { ...box.env, ...opts.env }, input: opts.input }) };
}

interface AuditDoc {
  entries: Array<{ id: number; action: string; actor: string | null; environment: string | null; keys: string[]; details: Record<string, unknown>; command: string | null }>;
}

describe.each(['sqlite', 'postgres'] as const)('teams end to end through bin/run.js (%s)', (dialect) => {
  let server: TestServer;
  const owner = newPerson();
  const member = newPerson();
  const viewer = newPerson();
  const P = ['-p', 'shop'];

  /** Invites `email` as `role` and has `who` redeem the code with the printed command. */
  async function invite(email: string, role: string, who: ReturnType<typeof newPerson>): Promise<void> {
    const res = await owner.run(['members', 'invite', email, '--role', role, ...P]);
    expect(res.code).toBe(0);
    const argv = res.stdout.trim().split(' ');
    expect(argv.slice(0, 3)).toEqual(['krypt', 'login', '--invite']);
    const joined = await who.run(argv.slice(1));
    expect(joined.stderr).toContain(`as ${email}; you joined shop as ${role}.`);
    expect(joined.code).toBe(0);
  }

  beforeAll(async () => {
    server = await startTestServer({ dialect });
    expect((await owner.run(['login', '--api-url', server.url, '--token-stdin'], { input: server.token })).code).toBe(0);
    expect((await owner.run(['projects', 'create', 'shop'])).code).toBe(0);
    expect((await owner.run(['set', ...P, '-e', 'prod', 'STRIPE_KEY=sk_live_old', 'DB_URL=postgres://prod'])).code).toBe(0);
    expect((await owner.run(['set', ...P, '-e', 'dev', 'STRIPE_KEY=sk_test', 'DB_URL=postgres://dev'])).code).toBe(0);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('the Owner invites a Member and a Viewer, who join with `krypt login --invite`', async () => {
    await invite('mia@example.com', 'member', member);
    await invite('vic@example.com', 'viewer', viewer);
    const list = await owner.run(['members', 'list', ...P]);
    expect(list.stdout).toMatch(/^mia@example\.com\t[^\t]*\tmember\tmember\t/m);
    expect(list.stdout).toMatch(/^vic@example\.com\t[^\t]*\tviewer\tmember\t/m);
  });

  it('the Member\'s production push becomes a change request (exit 0); nothing changes yet', async () => {
    writeFileSync(join(member.cwd, '.env'), 'STRIPE_KEY=sk_live_new\nDB_URL=postgres://prod\n');
    const res = await member.run(['push', ...P, '--env', 'production', '--yes']);
    expect(res.stderr).toContain('~ STRIPE_KEY');
    expect(res.stderr).toContain('Change request #1 created; an owner or admin must approve it');
    expect(res.code).toBe(0);
    expect((await owner.run(['get', 'STRIPE_KEY', ...P, '-e', 'prod'])).stdout).toBe('sk_live_old\n');
    expect((await member.run(['set', ...P, '-e', 'dev', 'FEATURE=on'])).code).toBe(0);
  });

  it('the Viewer may see names but cannot pull (exit 4, says why)', async () => {
    const res = await viewer.run(['pull', ...P, '-e', 'dev']);
    expect(res.code).toBe(4);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/^Error: .*viewer.*\nHint: /i);
    expect(existsSync(join(viewer.cwd, '.env'))).toBe(false);
    const names = await viewer.run(['secrets', 'list', ...P, '-e', 'prod']);
    expect(names.code).toBe(0);
    expect(names.stdout).toMatch(/^STRIPE_KEY\t/m);
    expect(names.stdout).not.toContain('sk_live');
    expect((await viewer.run(['cr', 'list', ...P])).stdout).toMatch(/^#1\tproduction\tpending\tmia@example\.com\t/m);
  });

  it('the Owner reviews and approves; the value is live', async () => {
    const show = await owner.run(['cr', 'show', '1', ...P]);
    expect(show.stdout).toMatch(/^~ STRIPE_KEY$/m);
    expect(show.stdout).not.toContain('sk_live');
    const res = await owner.run(['cr', 'approve', '1', ...P]);
    expect(res.code).toBe(0);
    expect((await owner.run(['get', 'STRIPE_KEY', ...P, '-e', 'prod'])).stdout).toBe('sk_live_new\n');
    const seen = await member.run(['cr', 'list', ...P, '--json']);
    expect(JSON.parse(seen.stdout).changeRequests[0]).toMatchObject({ id: 1, status: 'approved', decidedBy: 'admin@krypt.local' });
  });

  it('the audit log shows every step, never a value, and its chain verifies', async () => {
    const res = await owner.run(['audit', ...P, '--json', '--limit', '1000']);
    expect(res.code).toBe(0);
    expect(res.stdout).not.toMatch(/sk_live|sk_test|postgres:\/\//);
    const entries = (JSON.parse(res.stdout) as AuditDoc).entries.slice().reverse();
    const steps = entries.map((e) => `${e.action} ${e.actor ?? '-'} ${e.environment ?? '-'}`);
    const expected = [
      'project.create admin@krypt.local -',
      'secrets.write admin@krypt.local production',
      'secrets.write admin@krypt.local development',
      'member.invite admin@krypt.local -',
      'member.join',
      'member.invite admin@krypt.local -',
      'member.join',
      'secrets.read mia@example.com production',
      'change_request.create mia@example.com production',
      'secrets.read admin@krypt.local production',
      'secrets.write mia@example.com development',
      'change_request.approve admin@krypt.local production',
      'secrets.read admin@krypt.local production',
    ];
    let at = 0;
    for (const step of expected) {
      const found = steps.findIndex((s, i) => i >= at && s.startsWith(step));
      expect(found, `${step} after #${at} in:\n${steps.join('\n')}`).toBeGreaterThanOrEqual(0);
      at = found + 1;
    }
    const create = entries.find((e) => e.action === 'change_request.create')!;
    expect(create).toMatchObject({ keys: ['STRIPE_KEY'], command: 'push' });
    const approve = entries.find((e) => e.action === 'change_request.approve')!;
    expect(approve.command).toBe('change-requests approve');
    const report = await verifyAuditChain(server.db, server.auditKey);
    expect(report).toMatchObject({ ok: true, problems: [] });
    expect(report.entries).toBeGreaterThanOrEqual(entries.length);
  });

  it('refuses to approve a request whose key changed since (exit 2, naming it), then --force applies it', async () => {
    const req = await member.run(['set', ...P, '-e', 'prod', 'DB_URL=postgres://replica', '--json']);
    expect(req.code).toBe(0);
    const id = String(JSON.parse(req.stdout).changeRequest.id);
    expect((await owner.run(['set', ...P, '-e', 'prod', 'DB_URL=postgres://primary-2'])).code).toBe(0);
    const refused = await owner.run(['cr', 'approve', id, ...P]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(new RegExp(`^Error: cannot approve change request #${id}: DB_URL changed since it was made`));
    expect(refused.stderr).toContain(`--force`);
    expect((await owner.run(['get', 'DB_URL', ...P, '-e', 'prod'])).stdout).toBe('postgres://primary-2\n');
    expect((await owner.run(['cr', 'approve', id, ...P, '--force'])).code).toBe(0);
    expect((await owner.run(['get', 'DB_URL', ...P, '-e', 'prod'])).stdout).toBe('postgres://replica\n');
  });

  it('a service token runs with development only: writes and production are refused (exit 4)', async () => {
    const created = await owner.run(['keys', 'create', '--service', '--project', 'shop', '--env', 'development']);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    const ci = newPerson();
    const env = { KRYPT_TOKEN: token, KRYPT_API_URL: server.url };
    const run = await ci.run(['run', ...P, '-e', 'development', '--', process.execPath, '-e', 'process.stdout.write(process.env.STRIPE_KEY + " " + (process.env.KRYPT_TOKEN ?? "none"))'], { env });
    expect(run.stdout).toBe('sk_test none');
    expect(run.code).toBe(0);
    const set = await ci.run(['set', ...P, '-e', 'development', 'STRIPE_KEY=hijack'], { env });
    expect(set.code).toBe(4);
    const prod = await ci.run(['run', ...P, '--env', 'production', '--', 'true'], { env });
    expect(prod.code).toBe(4);
    expect(prod.stderr).toMatch(/^Error: .+\nHint: /);
    expect((await owner.run(['get', 'STRIPE_KEY', ...P, '-e', 'dev'])).stdout).toBe('sk_test\n');
  });
});
