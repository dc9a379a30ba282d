import { readFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { krypt, makeSandbox } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createApiClient } from '../../src/lib/api/client.js';
import { api, join, json, personInProcess } from './team-fixture.js';

// `krypt members ...` and `krypt login --invite` through the real binary against a real server.

describe('krypt members and login --invite', () => {
  let server: TestServer;
  let owner: ReturnType<typeof personInProcess>;

  // A server of its own for every test (in-memory SQLite) with the project team-app.
  beforeEach(async () => {
    server = await startTestServer();
    owner = personInProcess(server, server.token);
    await api(server, server.token).createProject('team-app');
  });
  afterEach(async () => {
    await server?.close();
  });

  it('invites with a one-time code printed once, inside the exact command to give the invitee', async () => {
    const res = await owner.run(['members', 'invite', 'Ana@Example.com', '--role', 'member', '-p', 'team-app']);
    expect(res.stderr).toMatch(/Invited ana@example\.com to team-app as member; the code works once, until \d{4}-/);
    expect(res.code).toBe(0);
    const match = /^krypt login --invite (\S+) --api-url (\S+)\n$/.exec(res.stdout);
    expect(match?.[2]).toBe(server.url);
    const code = match![1]!;
    expect(res.stderr).not.toContain(code);

    const ana = makeSandbox();
    const joined = await krypt(['login', '--invite', code, '--api-url', server.url, '--name', 'Ana'], { cwd: ana.cwd, env: ana.env });
    expect(joined.stderr).toContain(`Logged in to ${server.url} as ana@example.com; you joined team-app as member.`);
    expect(joined.code).toBe(0);
    expect(joined.stdout).toBe('');
    const config = JSON.parse(readFileSync(joinPath(ana.configDir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ apiUrl: server.url, token: expect.stringMatching(/^krypt_/) });
    const who = await krypt(['whoami', '--json'], { cwd: ana.cwd, env: ana.env });
    expect(json(who)).toMatchObject({ user: { email: 'ana@example.com', name: 'Ana' } });
    const list = await krypt(['list'], { cwd: ana.cwd, env: ana.env });
    expect(list.stdout).toMatch(/^team-app\tmember\t/m);

    const reused = await krypt(['login', '--invite', code, '--api-url', server.url], { cwd: ana.cwd, env: ana.env });
    expect(reused.code).toBe(2);
    expect(reused.stderr).toMatch(/^Error: invite code is invalid, used or expired/);
    expect(reused.stderr).toMatch(/^Error: .+\nHint: an invite code works once and expires/);
  });

  it('refuses bad input locally (exit 1) before calling the server', async () => {
    const badEmail = await owner.run(['members', 'invite', 'not-an-email', '--role', 'member', '-p', 'team-app']);
    expect(badEmail.code).toBe(1);
    expect(badEmail.stderr).toMatch(/^Error: "not-an-email" is not an email address/);
    const badRole = await owner.run(['members', 'invite', 'x@example.com', '--role', 'owner', '-p', 'team-app']);
    expect(badRole.code).toBe(1);
    const noRole = await owner.run(['members', 'invite', 'x@example.com', '-p', 'team-app']);
    expect(noRole.code).toBe(1);
    const badExpiry = await owner.run(['members', 'invite', 'x@example.com', '--role', 'viewer', '--expires', 'soon', '-p', 'team-app']);
    expect(badExpiry.code).toBe(1);
    expect(badExpiry.stderr).toMatch(/--expires "soon" is not a duration\nHint: .*30d/);
    const empty = await krypt(['login', '--invite', ' ', '--api-url', server.url], { cwd: owner.cwd, env: makeSandbox().env });
    expect(empty.code).toBe(1);
  });

  it("--json carries the dashboard's invite link, the same code in its fragment", async () => {
    const res = await owner.run(['members', 'invite', 'link@example.com', '--role', 'viewer', '-p', 'team-app', '--json']);
    expect(res.code, res.stderr).toBe(0);
    const doc = json<{ code: string; url: string; command: string }>(res);
    expect(doc.url).toBe(`${server.url}/invite#code=${doc.code}`);
    expect(doc.command).toContain(doc.code);
  });

  it('lists members and pending invites (TSV piped, --json)', async () => {
    const { code } = await api(server, server.token).createInvite('team-app', { email: 'ana@example.com', role: 'member' });
    await createApiClient({ apiUrl: server.url }).redeemInvite(code, 'Ana');
    await owner.run(['members', 'invite', 'pending@example.com', '--role', 'viewer', '-p', 'team-app', '--expires', '2d']);
    const res = await owner.run(['members', 'list', '-p', 'team-app']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^admin@krypt\.local\t[^\t]*\towner\tmember\t/m);
    expect(res.stdout).toMatch(/^ana@example\.com\tAna\tmember\tmember\t/m);
    expect(res.stdout).toMatch(/^pending@example\.com\t\tviewer\tinvited until \d{4}-/m);
    const doc = json<{ members: Array<{ email: string; role: string }>; invites: Array<{ email: string }> }>(await owner.run(['members', 'list', '-p', 'team-app', '--json']));
    expect(doc.members.map((m) => [m.email, m.role]).sort()).toEqual([['admin@krypt.local', 'owner'], ['ana@example.com', 'member']]);
    expect(doc.invites.map((i) => i.email)).toContain('pending@example.com');
  });

  it('changes roles; a member manages nobody (exit 4)', async () => {
    await join(server, server.token, 'team-app', 'ana@example.com', 'member');
    const bobToken = await join(server, server.token, 'team-app', 'bob@example.com', 'viewer');
    const bob = personInProcess(server, bobToken);
    const refused = await bob.run(['members', 'invite', 'eve@example.com', '--role', 'admin', '-p', 'team-app']);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/^Error: .+\nHint: /);
    const res = await owner.run(['members', 'set-role', 'bob@example.com', 'member', '-p', 'team-app', '--json']);
    expect(res.code).toBe(0);
    expect(json(res)).toMatchObject({ project: 'team-app', member: { email: 'bob@example.com', role: 'member' } });
    const stillRefused = await bob.run(['members', 'remove', 'ana@example.com', '-p', 'team-app', '--yes']);
    expect(stillRefused.code).toBe(4);
    const badRole = await owner.run(['members', 'set-role', 'bob@example.com', 'superuser', '-p', 'team-app']);
    expect(badRole.code).toBe(1);
  });

  it('removes a member only with confirmation; the owner cannot be removed', async () => {
    await join(server, server.token, 'team-app', 'bob@example.com', 'member');
    const noTty = await owner.run(['members', 'remove', 'bob@example.com', '-p', 'team-app']);
    expect(noTty.code).toBe(1);
    expect(noTty.stderr).toMatch(/refusing to remove bob@example\.com without confirmation: stdin is not a terminal\nHint: pass --yes/);
    const res = await owner.run(['members', 'remove', 'bob@example.com', '-p', 'team-app', '--yes']);
    expect(res.code).toBe(0);
    expect(res.stderr).toContain('Removed bob@example.com from team-app.');
    const list = await owner.run(['members', 'list', '-p', 'team-app']);
    expect(list.stdout).not.toContain('bob@example.com');
    const self = await owner.run(['members', 'remove', 'admin@krypt.local', '-p', 'team-app', '--yes']);
    expect(self.code).toBe(4);
    expect(self.stderr).toMatch(/^Error: .*transfer ownership first/);
  });

  it('transfers ownership: the old owner becomes admin', async () => {
    const carolToken = await join(server, server.token, 'team-app', 'carol@example.com', 'admin');
    const noTty = await owner.run(['members', 'transfer-ownership', 'carol@example.com', '-p', 'team-app']);
    expect(noTty.code).toBe(1);
    const res = await owner.run(['members', 'transfer-ownership', 'carol@example.com', '-p', 'team-app', '--yes']);
    expect(res.stderr).toContain('carol@example.com is now the Owner of team-app; admin@krypt.local is admin.');
    expect(res.code).toBe(0);
    const carol = personInProcess(server, carolToken);
    const list = await carol.run(['members', 'list', '-p', 'team-app']);
    expect(list.stdout).toMatch(/^carol@example\.com\t[^\t]*\towner\t/m);
    expect(list.stdout).toMatch(/^admin@krypt\.local\t[^\t]*\tadmin\t/m);
    const demote = await owner.run(['members', 'set-role', 'carol@example.com', 'member', '-p', 'team-app']);
    expect(demote.code).toBe(4);
  });
});
