import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join as joinProject, person } from '../commands/team-fixture.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// The code injection of the security review through the real binary: a Member plants
// NODE_OPTIONS=--require evil.cjs in development, hoping the Owner's `krypt run -- node app.js`
// executes it. The write is refused; a privileged variable the Owner sets is named by `krypt run`.

describe('privileged variables through bin/run.js', () => {
  let server: TestServer;
  let owner: ReturnType<typeof person>;
  let member: ReturnType<typeof person>;
  let evil: string;
  let marker: string;

  beforeAll(async () => {
    server = await startTestServer();
    owner = person(server, server.token);
    expect((await owner.run(['projects', 'create', 'app'])).code).toBe(0);
    member = person(server, await joinProject(server, server.token, 'app', 'mia@example.com', 'member'));
    marker = join(member.home, 'pwned');
    evil = join(member.home, 'evil.cjs');
    writeFileSync(evil, `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran');\n`);
  });
  afterAll(async () => {
    await server?.close();
  });

  it("a Member's NODE_OPTIONS is refused (exit 4) and the Owner's run executes nothing of it", async () => {
    const res = await member.run(['set', '-p', 'app', `NODE_OPTIONS=--require ${evil}`, 'GREETING=hi']);
    expect(res.code).toBe(4);
    expect(res.stderr).toMatch(/^Error: NODE_OPTIONS: privileged variables make programs load or run code: only an owner or admin may set them, in every environment\nHint: /);
    writeFileSync(join(member.cwd, '.env'), `NODE_OPTIONS="--require ${evil}"\n`);
    expect((await member.run(['push', '-p', 'app', '--yes'])).code).toBe(4);
    const run = await owner.run(['run', '-p', 'app', '--', process.execPath, '-e', 'console.log(process.env.NODE_OPTIONS ?? "unset")']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('unset\n');
    expect(existsSync(marker)).toBe(false);
  });

  it('`krypt run` names the privileged variables it injects', async () => {
    expect((await owner.run(['set', '-p', 'app', 'NODE_OPTIONS=--max-old-space-size=300', 'PLAIN=1'])).code).toBe(0);
    const run = await owner.run(['run', '-p', 'app', '--', process.execPath, '-e', 'process.stdout.write(process.env.NODE_OPTIONS)']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('--max-old-space-size=300');
    expect(run.stderr).toBe('krypt: injecting privileged variables (they make programs load or run code): NODE_OPTIONS\n');
    const only = await owner.run(['run', '-p', 'app', '--only', 'PLAIN', '--', 'true']);
    expect(only.stderr).toBe('');
  });
});
