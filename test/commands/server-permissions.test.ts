import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeSandbox } from '../helpers/cli.js';
import { kryptInProcess } from '../helpers/in-process.js';
import { killServerProcesses, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

// Who may read the SQLite store and the master key: `krypt server init` + `krypt server start` as
// real processes, in a data directory an operator made 0755 (so the files' own modes are all
// that keeps other users out). Needs `npm run build`.

afterEach(killServerProcesses);

const FILES = ['krypt.db', 'krypt.db-wal', 'krypt.db-shm'];
const modeOf = (file: string) => statSync(file).mode & 0o777;

/** A project with one secret, written through the running server (so the WAL and shared memory exist). */
async function writeSecret(server: ServerProcess, token: string, value: string): Promise<void> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  await fetch(`${server.url}/v1/projects`, { method: 'POST', headers, body: JSON.stringify({ slug: 'perm' }) });
  const res = await fetch(`${server.url}/v1/projects/perm/environments/development/secrets`, { method: 'PATCH', headers, body: JSON.stringify({ set: { K: value } }) });
  expect(res.status).toBe(200);
}

describe('krypt server: file permissions of the SQLite store and the master key', () => {
  function setUp() {
    const box = makeSandbox();
    const dataDir = join(box.home, 'data');
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o755);
    return { box, dataDir, keyFile: join(box.home, 'master.key') };
  }

  it('creates krypt.db, krypt.db-wal and krypt.db-shm 0600, and says nothing about them or a 0600 key file', async () => {
    const { box, dataDir, keyFile } = setUp();
    const init = await kryptInProcess(['server', 'init', '--data-dir', dataDir, '--master-key-out', keyFile], { cwd: box.cwd, env: box.env });
    expect(init.code).toBe(0);
    expect(modeOf(join(dataDir, 'krypt.db'))).toBe(0o600);
    const token = /^api-key: (krypt_\S+)$/m.exec(init.stdout)![1]!;

    const server = await startServerProcess(['--data-dir', dataDir, '--master-key-file', keyFile, '--port', '0'], box.env);
    await writeSecret(server, token, 'v1');
    for (const name of FILES) expect({ name, mode: modeOf(join(dataDir, name)).toString(8) }).toEqual({ name, mode: '600' });
    expect(modeOf(dataDir)).toBe(0o755);
    expect(server.stderr()).not.toMatch(/Warning/);
    expect(await server.stop()).toBe(0);
  });

  it('tightens a looser database file and its -wal/-shm to 0600 and says so; warns about a group/world-readable key file', async () => {
    const { box, dataDir, keyFile } = setUp();
    const init = await kryptInProcess(['server', 'init', '--data-dir', dataDir, '--master-key-out', keyFile], { cwd: box.cwd, env: box.env });
    expect(init.code).toBe(0);
    const token = /^api-key: (krypt_\S+)$/m.exec(init.stdout)![1]!;
    const first = await startServerProcess(['--data-dir', dataDir, '--master-key-file', keyFile, '--port', '0'], box.env);
    await writeSecret(first, token, 'kept-through-the-wal');
    // Killed, so the -wal and -shm files stay behind (a clean stop folds them back into krypt.db).
    first.child.kill('SIGKILL');
    await first.exited;
    for (const name of FILES) {
      expect(existsSync(join(dataDir, name))).toBe(true);
      chmodSync(join(dataDir, name), 0o644);
    }
    chmodSync(keyFile, 0o644);

    const server = await startServerProcess(['--data-dir', dataDir, '--master-key-file', keyFile, '--port', '0'], box.env);
    for (const name of FILES) expect({ name, mode: modeOf(join(dataDir, name)).toString(8) }).toEqual({ name, mode: '600' });
    const stderr = server.stderr();
    expect(stderr).toMatch(/^Warning: .*krypt\.db, krypt\.db-wal, krypt\.db-shm .*mode 0644.*0600/m);
    expect(stderr).toContain(` in ${dataDir} `);
    expect(stderr).toMatch(new RegExp(`^Warning: the master key file ${keyFile.replace(/[.]/g, '\\.')} is readable by group or others \\(mode 0644\\).*chmod 600 ${keyFile.replace(/[.]/g, '\\.')}`, 'm'));
    expect(modeOf(keyFile)).toBe(0o644);

    const get = await kryptInProcess(['get', '-p', 'perm', 'K', '--api-url', server.url], { cwd: box.cwd, env: { ...box.env, KRYPT_TOKEN: token } });
    expect(get).toMatchObject({ code: 0, stdout: 'kept-through-the-wal\n' });
    expect(await server.stop()).toBe(0);
  });
});
