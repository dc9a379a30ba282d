import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { person } from '../commands/team-fixture.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// A stored row altered outside Krypt, through the real binary: run, get and pull name the damaged
// key instead of failing on the whole environment; what does not need it works; `set` repairs it.

describe('a damaged row through bin/run.js', () => {
  let server: TestServer;
  let owner: ReturnType<typeof person>;
  const P = ['-p', 'app'];

  beforeAll(async () => {
    server = await startTestServer();
    owner = person(server, server.token);
    expect((await owner.run(['projects', 'create', 'app'])).code).toBe(0);
    expect((await owner.run(['set', ...P, 'GOOD=good-value', 'BAD=bad-original'])).code).toBe(0);
    const envId = (await server.db.selectFrom('environments').select('id').where('name', '=', 'development').executeTakeFirstOrThrow()).id;
    const row = await server.db.selectFrom('secrets').select('tag').where('environment_id', '=', envId).where('key', '=', 'BAD').executeTakeFirstOrThrow();
    await server.db.updateTable('secrets').set({ tag: (row.tag[0] === 'a' ? 'b' : 'a') + row.tag.slice(1) }).where('environment_id', '=', envId).where('key', '=', 'BAD').execute();
  });
  afterAll(async () => {
    await server?.close();
  });

  const damaged =
    'Error: the stored value of BAD in app/development failed its integrity check on the server (the row was altered outside Krypt)\n' +
    'Hint: replace it with `krypt set BAD --stdin` or delete it with `krypt unset BAD`; the other keys are unaffected\n';

  it('get of another key works; get of the damaged key names it (exit 2)', async () => {
    expect(await owner.run(['get', ...P, 'GOOD'])).toMatchObject({ code: 0, stdout: 'good-value\n' });
    expect(await owner.run(['get', ...P, 'BAD'])).toMatchObject({ code: 2, stdout: '', stderr: damaged });
  });

  it('run and pull refuse naming it; run --only without it works', async () => {
    expect(await owner.run(['run', ...P, '--', 'true'])).toMatchObject({ code: 2, stdout: '', stderr: damaged });
    expect(await owner.run(['pull', ...P, '--stdout'])).toMatchObject({ code: 2, stdout: '', stderr: damaged });
    const only = await owner.run(['run', ...P, '--only', 'GOOD', '--', 'sh', '-c', 'printf %s "$GOOD"']);
    expect(only).toMatchObject({ code: 0, stdout: 'good-value' });
  });

  it('`krypt set` replaces the damaged value and everything works again', async () => {
    expect((await owner.run(['set', ...P, 'BAD=bad-replaced'])).code).toBe(0);
    const run = await owner.run(['run', ...P, '--', 'sh', '-c', 'printf %s "$BAD"']);
    expect(run).toMatchObject({ code: 0, stdout: 'bad-replaced', stderr: '' });
  });
});
