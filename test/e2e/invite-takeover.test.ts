import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { krypt, makeSandbox, type CliResult } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// The account takeover of the security review, replayed through the real binary: a Viewer of `app`
// invites the Owner's email to her own project and redeems the code herself. She must end up with
// no credential for the Owner's account and no way to read `app`'s production values; the Owner
// accepts the invite with their own key.

type Person = { run: (args: string[], input?: string) => Promise<CliResult>; configDir: string };

function person(env: Record<string, string> = {}): Person {
  const box = makeSandbox();
  return { configDir: box.configDir, run: (args, input) => krypt(args, { cwd: box.cwd, env: { ...box.env, ...env }, input }) };
}
const storedToken = (p: Person): string | undefined => {
  try {
    return (JSON.parse(readFileSync(join(p.configDir, 'config.json'), 'utf8')) as { token?: string }).token;
  } catch {
    return undefined;
  }
};

describe('invites never hand out an existing account', () => {
  let server: TestServer;
  let owner: Person;
  let eve: Person;
  let code: string;

  beforeAll(async () => {
    server = await startTestServer();
    owner = person();
    eve = person();
    expect((await owner.run(['login', '--api-url', server.url, '--token-stdin'], server.token)).code).toBe(0);
    expect((await owner.run(['projects', 'create', 'app'])).code).toBe(0);
    expect((await owner.run(['set', '-p', 'app', '-e', 'prod', 'DB_PASSWORD=owner-only-secret'])).code).toBe(0);
    const inv = await owner.run(['members', 'invite', 'eve@example.com', '--role', 'viewer', '-p', 'app']);
    expect(inv.code).toBe(0);
    const joined = await eve.run(inv.stdout.trim().split(' ').slice(1));
    expect(joined.stderr).toContain('Created a new Krypt account for eve@example.com.\nLogged in to ');
    expect(joined.stderr).toContain(' as eve@example.com; you joined app as viewer.');
    expect(joined.code).toBe(0);
    expect((await eve.run(['projects', 'create', 'eve-proj'])).code).toBe(0);
    const res = await eve.run(['members', 'invite', 'admin@krypt.local', '--role', 'viewer', '-p', 'eve-proj', '--json']);
    expect(res.code).toBe(0);
    code = (JSON.parse(res.stdout) as { code: string }).code;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('redeeming the code without an account is refused and stores nothing', async () => {
    const fresh = person();
    const res = await fresh.run(['login', '--invite', code, '--api-url', server.url]);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toBe(
      'Error: admin@krypt.local already has a Krypt account: sign in as that account and accept the invite there (krypt invites accept CODE)\n' +
        `Hint: log in with your own API key first (\`krypt login --api-url ${server.url}\`), then run \`krypt invites accept CODE\`\n`,
    );
    expect(storedToken(fresh)).toBeUndefined();
    const get = await fresh.run(['get', 'DB_PASSWORD', '-p', 'app', '--env', 'production', '--api-url', server.url]);
    expect(get.code).toBe(4);
    expect(get.stdout).toBe('');
  });

  it('redeeming it while logged in as herself is refused; her login and reach are unchanged', async () => {
    const before = storedToken(eve);
    const res = await eve.run(['login', '--invite', code]);
    expect(res.code).toBe(4);
    expect(res.stderr).toMatch(/^Error: this invite is for admin@krypt\.local, but you are signed in as eve@example\.com\nHint: /);
    expect(storedToken(eve)).toBe(before);
    const get = await eve.run(['get', 'DB_PASSWORD', '-p', 'app', '--env', 'production']);
    expect(get.code).toBe(4);
    expect(get.stdout).toBe('');
    expect(get.stderr).not.toContain('owner-only-secret');
  });

  it('the invited Owner accepts with their own key (`invites accept`), keeping it', async () => {
    const before = storedToken(owner);
    const res = await owner.run(['invites', 'accept', code, '--json']);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({ user: 'admin@krypt.local', project: 'eve-proj', role: 'viewer' });
    expect(storedToken(owner)).toBe(before);
    expect((await owner.run(['list'])).stdout).toMatch(/^eve-proj\tviewer\t/m);
    const again = await owner.run(['invites', 'accept', code]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('Error: invite code is invalid, used or expired');
  });

  it('`krypt login --invite` while logged in accepts with the stored key', async () => {
    expect((await eve.run(['projects', 'create', 'eve-two'])).code).toBe(0);
    const second = JSON.parse((await eve.run(['members', 'invite', 'admin@krypt.local', '--role', 'member', '-p', 'eve-two', '--json'])).stdout) as { code: string };
    const before = storedToken(owner);
    const res = await owner.run(['login', '--invite', second.code]);
    expect(res.stderr).toBe('Accepted the invite as admin@krypt.local: you joined eve-two as member.\n');
    expect(res.code).toBe(0);
    expect(storedToken(owner)).toBe(before);
  });

  it('lists and revokes pending invites', async () => {
    const inv = await owner.run(['members', 'invite', 'late@example.com', '--role', 'member', '-p', 'app', '--json']);
    const late = JSON.parse(inv.stdout) as { code: string; invite: { id: string } };
    const list = await owner.run(['members', 'invites', '-p', 'app']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${late.invite.id}\\tlate@example\\.com\\tmember\\tadmin@krypt\\.local\\t`, 'm'));
    expect(list.stdout).not.toContain(late.code);
    const revoke = await owner.run(['members', 'revoke-invite', 'late@example.com', '-p', 'app']);
    expect(revoke.stderr).toBe('Revoked the invite of late@example.com (member) to app.\n');
    expect(revoke.code).toBe(0);
    expect((await owner.run(['members', 'invites', '-p', 'app'])).stdout).not.toContain('late@example.com');
    const dead = await person().run(['login', '--invite', late.code, '--api-url', server.url]);
    expect(dead.code).toBe(4);
    expect(dead.stderr).toContain('Error: invite code is invalid, used or expired');
  });
});
