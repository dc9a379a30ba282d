import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

// Privileged variables (names that make a program load or run code) are written only by Owners
// and Admins, in every environment; a Member's write of one is refused and changes nothing.

describe.each(['sqlite', 'postgres'] as const)('privileged variables on %s', (dialect) => {
  let srv: TestServer;
  let member: string;
  let admin: string;
  const env = (name: string) => `/v1/projects/app/environments/${name}`;
  const write = (name: string, body: unknown, token?: string) => srv.call('PATCH', `${env(name)}/secrets`, { body, ...(token ? { token } : {}) });
  const join = async (email: string, role: string) => {
    const { code } = (await srv.call('POST', '/v1/projects/app/invites', { body: { email, role } })).json;
    return (await srv.call('POST', '/v1/invites/redeem', { token: null, body: { code } })).json.token as string;
  };

  beforeAll(async () => {
    srv = await startTestServer({ dialect });
    expect((await srv.call('POST', '/v1/projects', { body: { slug: 'app' } })).status).toBe(201);
    member = await join('mia@example.com', 'member');
    admin = await join('ada@example.com', 'admin');
  });
  afterAll(async () => {
    await srv?.close();
  });

  it.each([
    ['NODE_OPTIONS', '--require /tmp/evil.cjs'],
    ['node_options', '--require /tmp/evil.cjs'],
    ['LD_PRELOAD', '/tmp/evil.so'],
    ['DYLD_INSERT_LIBRARIES', '/tmp/evil.dylib'],
    ['BASH_ENV', '/tmp/evil.sh'],
    ['PYTHONSTARTUP', '/tmp/evil.py'],
    ['JAVA_TOOL_OPTIONS', '-javaagent:/tmp/evil.jar'],
    ['GIT_SSH_COMMAND', 'sh /tmp/evil.sh'],
    ['npm_config_script_shell', '/tmp/evil.sh'],
    ['ComSpec', 'C:\\evil.exe'],
  ])("a Member's write of %s is refused in development, staging and production", async (key, value) => {
    for (const name of ['development', 'staging', 'production']) {
      const before = (await srv.call('GET', `${env(name)}/keys`)).json.revision;
      const r = await write(name, { set: { SAFE: 'ok', [key]: value } }, member);
      expect(r.status, `${name}: ${r.text}`).toBe(403);
      expect(r.json.error.message).toBe(`${key}: privileged variables make programs load or run code: only an owner or admin may set them, in every environment`);
      expect((await srv.call('GET', `${env(name)}/keys`)).json.revision).toBe(before);
    }
    expect((await srv.call('GET', '/v1/projects/app/change-requests')).json.changeRequests).toEqual([]);
  });

  it('owners and admins write them; a Member may still delete one and write ordinary names', async () => {
    expect((await write('development', { set: { NODE_OPTIONS: '--max-old-space-size=512' } })).status).toBe(200);
    expect((await write('staging', { set: { LD_LIBRARY_PATH: '/opt/lib' } }, admin)).status).toBe(200);
    expect((await write('development', { set: { NODE_ENV: 'development', LDFLAGS: '-L/opt' } }, member)).status).toBe(200);
    expect((await write('development', { delete: ['NODE_OPTIONS'] }, member)).status).toBe(200);
    const development = (await srv.call('GET', `${env('development')}/secrets`)).json.secrets;
    expect(development).toMatchObject({ NODE_ENV: 'development', LDFLAGS: '-L/opt' });
    expect(development).not.toHaveProperty('NODE_OPTIONS');
  });

  it('a Member cannot reach one through a rollback either', async () => {
    expect((await write('development', { set: { PERL5OPT: '-Mstrict' } })).status).toBe(200);
    expect((await write('development', { delete: ['PERL5OPT'] })).status).toBe(200);
    const r = await srv.call('POST', `${env('development')}/secrets/PERL5OPT/rollback`, { token: member, body: { version: 1 } });
    expect(r.status).toBe(403);
    expect(r.json.error.message).toMatch(/^PERL5OPT: privileged variables/);
    expect((await srv.call('POST', `${env('development')}/secrets/PERL5OPT/rollback`, { body: { version: 1 } })).status).toBe(200);
  });
});
