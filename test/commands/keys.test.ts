import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { api, join, json, person, personInProcess } from './team-fixture.js';

// `krypt keys create|list|revoke`, personal keys and read-only service tokens, through the real binary.

interface KeyDoc {
  id: string;
  name: string;
  prefix: string;
  expiresAt: string | null;
  revokedAt: string | null;
  service: { project: string; environment: string } | null;
}

describe('krypt keys', () => {
  let server: TestServer;
  let owner: ReturnType<typeof personInProcess>;

  beforeAll(async () => {
    server = await startTestServer();
    owner = personInProcess(server, server.token);
    await api(server, server.token).createProject('ci-app');
    await api(server, server.token).writeSecrets('ci-app', 'development', { set: { DB_URL: 'postgres://dev', PORT: '3000' } });
    await api(server, server.token).writeSecrets('ci-app', 'production', { set: { DB_URL: 'postgres://prod' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('creates a personal key shown once on stdout, and lists it without the key', async () => {
    const res = await owner.run(['keys', 'create', '--name', 'laptop', '--expires', '30d']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^krypt_\S+\n$/);
    const token = res.stdout.trim();
    expect(res.stderr).toMatch(/Created personal key "laptop" \(\S+…, expires \d{4}-/);
    expect(res.stderr).not.toContain(token);
    const who = await personInProcess(server, token).run(['whoami', '--json']);
    expect(json(who)).toMatchObject({ user: { email: 'admin@krypt.local' }, key: { name: 'laptop' } });

    const list = await owner.run(['keys', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^\S+\t\S+…\tlaptop\tpersonal\t\d{4}-\S+\t(never|\d{4}-\S+)$/m);
    expect(list.stdout).not.toContain(token);
    const doc = await owner.run(['keys', 'list', '--json']);
    expect(doc.stdout).not.toContain(token);
    expect(json<{ keys: KeyDoc[] }>(doc).keys.find((k) => k.name === 'laptop')).toMatchObject({ service: null, expiresAt: expect.any(String) });
  });

  it('refuses bad input locally (exit 1)', async () => {
    expect((await owner.run(['keys', 'create', '--expires', '30x'])).code).toBe(1);
    const noEnv = await owner.run(['keys', 'create', '--service', '--project', 'ci-app']);
    expect(noEnv.code).toBe(1);
    expect(noEnv.stderr).toMatch(/Hint: pass --env/);
    const stray = await owner.run(['keys', 'create', '--project', 'ci-app', '--env', 'dev']);
    expect(stray.code).toBe(1);
    expect(stray.stderr).toMatch(/only to --service/);
  });

  it('a service token runs with its one environment, and nothing else (exit 4)', async () => {
    const res = await owner.run(['keys', 'create', '--service', '--project', 'ci-app', '--env', 'dev', '--json']);
    expect(res.code).toBe(0);
    const created = json<{ key: KeyDoc; token: string }>(res);
    expect(created.key).toMatchObject({ name: 'ci ci-app/development', service: { project: 'ci-app', environment: 'development' } });
    const ci = person(server, created.token); // runs children: the real binary
    const run = await ci.run(['run', '-p', 'ci-app', '-e', 'development', '--', process.execPath, '-e', 'process.stdout.write(process.env.DB_URL + " " + process.env.PORT)']);
    expect(run.stdout).toBe('postgres://dev 3000');
    expect(run.code).toBe(0);
    const set = await ci.run(['set', '-p', 'ci-app', '-e', 'development', 'PORT=1']);
    expect(set.code).toBe(4);
    expect(set.stderr).toMatch(/^Error: .+\nHint: /);
    const prod = await ci.run(['run', '-p', 'ci-app', '-e', 'production', '--', 'true']);
    expect(prod.code).toBe(4);
    const prodGet = await ci.run(['get', '-p', 'ci-app', '-e', 'production', 'DB_URL']);
    expect(prodGet.code).toBe(4);
    expect(prodGet.stdout).toBe('');
    const list = await owner.run(['keys', 'list']);
    expect(list.stdout).toMatch(/\tci ci-app\/development\tservice ci-app\/development\tnever\t/);
  });

  it('a Member may create service tokens for development and staging only', async () => {
    const member = personInProcess(server, await join(server, server.token, 'ci-app', 'mo@example.com', 'member'));
    expect((await member.run(['keys', 'create', '--service', '-p', 'ci-app', '-e', 'staging'])).code).toBe(0);
    expect((await member.run(['keys', 'create', '--service', '-p', 'ci-app', '-e', 'production'])).code).toBe(4);
  });

  it('revokes a key: it stops working at once', async () => {
    const created = json<{ key: KeyDoc; token: string }>(await owner.run(['keys', 'create', '--name', 'temp', '--json']));
    const res = await owner.run(['keys', 'revoke', created.key.id]);
    expect(res.stderr).toContain(`Revoked key ${created.key.id}.`);
    expect(res.code).toBe(0);
    const who = await personInProcess(server, created.token).run(['whoami']);
    expect(who.code).toBe(4);
    const missing = await owner.run(['keys', 'revoke', 'no-such-key']);
    expect(missing.code).toBe(2);
  });
});
