import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { api, join, json, personInProcess } from './team-fixture.js';

// `krypt secrets history KEY` and `krypt secrets rollback KEY --version N`.

interface VersionDoc {
  version: number;
  createdBy: string;
  deleted: boolean;
  value?: string;
}

describe('krypt secrets history / rollback', () => {
  let server: TestServer;
  let owner: ReturnType<typeof personInProcess>;
  const P = ['-p', 'hist-app'];

  // A server of its own for every test (in-memory SQLite): API_KEY at versions 1-3 in production.
  beforeEach(async () => {
    server = await startTestServer();
    owner = personInProcess(server, server.token);
    await api(server, server.token).createProject('hist-app');
    for (const v of ['first', 'second', 'third']) expect((await owner.run(['set', ...P, '-e', 'prod', `API_KEY=${v}`])).code).toBe(0);
  });
  afterEach(async () => {
    await server?.close();
  });

  it('lists versions newest first without values; --reveal shows them', async () => {
    const res = await owner.run(['secrets', 'history', 'API_KEY', ...P, '-e', 'production']);
    expect(res.code).toBe(0);
    const rows = res.stdout.trimEnd().split('\n').map((l) => l.split('\t'));
    expect(rows.map((r) => [r[0], r[3], r[4]])).toEqual([['3', 'admin@krypt.local', 'set'], ['2', 'admin@krypt.local', 'set'], ['1', 'admin@krypt.local', 'set']]);
    for (const v of ['first', 'second', 'third']) expect(res.stdout).not.toContain(v);
    const revealed = await owner.run(['secrets', 'history', 'API_KEY', ...P, '-e', 'prod', '--reveal']);
    expect(revealed.stdout.split('\n').map((l) => l.split('\t')[4]).filter(Boolean)).toEqual(['"third"', '"second"', '"first"']);
    const doc = json<{ versions: VersionDoc[] }>(await owner.run(['secrets', 'history', 'API_KEY', ...P, '-e', 'prod', '--json']));
    expect(doc.versions.map((v) => v.version)).toEqual([3, 2, 1]);
    expect(doc.versions.every((v) => v.value === undefined)).toBe(true);
    expect((await owner.run(['secrets', 'history', 'bad-key!', ...P])).code).toBe(1);
  });

  it('rolls back by writing the old value as a new version', async () => {
    const res = await owner.run(['secrets', 'rollback', 'API_KEY', '--version', '1', ...P, '-e', 'prod']);
    expect(res.stderr).toMatch(/^API_KEY in hist-app\/production restored to version 1 \(revision \d+\)\.$/m);
    expect(res.code).toBe(0);
    expect((await owner.run(['get', 'API_KEY', ...P, '-e', 'prod'])).stdout).toBe('first\n');
    const doc = json<{ versions: VersionDoc[] }>(await owner.run(['secrets', 'history', 'API_KEY', ...P, '-e', 'prod', '--json']));
    expect(doc.versions.map((v) => v.version)).toEqual([4, 3, 2, 1]);
    expect((await owner.run(['secrets', 'rollback', 'API_KEY', ...P, '-e', 'prod'])).code).toBe(1);
    expect((await owner.run(['secrets', 'rollback', 'API_KEY', '--version', '99', ...P, '-e', 'prod'])).code).toBe(2);
  });

  it('a Member\'s production rollback becomes a change request; a Viewer sees history without values', async () => {
    const member = personInProcess(server, await join(server, server.token, 'hist-app', 'max@example.com', 'member'));
    const res = await member.run(['secrets', 'rollback', 'API_KEY', '--version', '2', ...P, '-e', 'prod', '--json']);
    expect(res.code).toBe(0);
    expect(json(res)).toMatchObject({ key: 'API_KEY', version: 2, changeRequest: { status: 'pending', changes: [{ key: 'API_KEY', action: 'set' }] } });
    expect((await owner.run(['get', 'API_KEY', ...P, '-e', 'prod'])).stdout).toBe('third\n');
    const viewer = personInProcess(server, await join(server, server.token, 'hist-app', 'val@example.com', 'viewer'));
    expect((await viewer.run(['secrets', 'history', 'API_KEY', ...P, '-e', 'prod'])).code).toBe(0);
    expect((await viewer.run(['secrets', 'history', 'API_KEY', ...P, '-e', 'prod', '--reveal'])).code).toBe(4);
  });
});
