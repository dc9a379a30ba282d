import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { krypt, makeSandbox } from '../helpers/cli.js';
import { killServerProcesses, startServerProcess } from '../helpers/server-process.js';
import { createTestPgDatabase } from '../helpers/pg.js';

// `krypt server verify-audit` on a real data directory written by a real server process, then
// tampered with directly in SQLite.

afterEach(killServerProcesses);


describe('krypt server verify-audit', () => {
  it('reports an intact chain, then the first broken link after a row is edited and another deleted', async () => {
    const box = makeSandbox();
    const dataDir = join(box.home, 'data');
    const keyFile = join(box.home, 'master.key');
    const run = (args: string[]) => krypt(args, { cwd: box.cwd, env: box.env });
    const init = await run(['server', 'init', '--data-dir', dataDir, '--master-key-out', keyFile]);
    expect(init.code).toBe(0);
    const token = /^api-key: (krypt_\S+)$/m.exec(init.stdout)![1]!;
    const server = await startServerProcess(['--data-dir', dataDir, '--master-key-file', keyFile, '--port', '0'], box.env);
    expect((await krypt(['login', '--api-url', server.url, '--token-stdin'], { cwd: box.cwd, env: box.env, input: token })).code).toBe(0);
    expect((await run(['projects', 'create', 'chain'])).code).toBe(0);
    expect((await run(['set', '-p', 'chain', 'A=1', 'B=2'])).code).toBe(0);
    expect((await run(['set', '-p', 'chain', '-e', 'prod', 'A=3'])).code).toBe(0);
    expect((await run(['get', '-p', 'chain', 'A'])).code).toBe(0);
    expect(await server.stop()).toBe(0);

    const intact = await run(['server', 'verify-audit', '--data-dir', dataDir]);
    expect(intact.stderr).toMatch(/^Audit chain intact: (\d+) entries\n$/);
    expect(intact.code).toBe(0);
    const count = Number(/(\d+) entries/.exec(intact.stderr)![1]);
    expect(count).toBeGreaterThanOrEqual(4);
    expect(JSON.parse((await run(['server', 'verify-audit', '--data-dir', dataDir, '--json'])).stdout)).toEqual({ ok: true, entries: count, problems: [] });

    const sqlite = new Database(join(dataDir, 'krypt.db'));
    const ids = (sqlite.prepare('SELECT id FROM audit_log ORDER BY id').all() as Array<{ id: number }>).map((r) => Number(r.id));
    const edited = ids[1]!;
    const deleted = ids[ids.length - 2]!;
    sqlite.prepare("UPDATE audit_log SET keys = '[\"EVIL\"]' WHERE id = ?").run(edited);
    sqlite.close();
    const broken = await run(['server', 'verify-audit', '--data-dir', dataDir]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(new RegExp(`^Error: Audit chain broken at entry #${edited}: .+\\nHint: `));

    const again = new Database(join(dataDir, 'krypt.db'));
    again.prepare('DELETE FROM audit_log WHERE id = ?').run(deleted);
    again.close();
    const both = await run(['server', 'verify-audit', '--data-dir', dataDir, '--json']);
    expect(both.code).toBe(1);
    const report = JSON.parse(both.stdout) as { ok: boolean; problems: Array<{ id: number; kind: string }> };
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatchObject({ id: edited, kind: 'edited' });
    expect(report.problems.some((p) => p.kind === 'deleted')).toBe(true);
    expect(JSON.parse(both.stderr)).toMatchObject({ error: { code: 'audit_chain_broken', message: expect.stringMatching(/\(\+\d+ more problems?\)$/) } });
  });

  it('reads PostgreSQL through --database-url and refuses a missing store (exit 1)', async () => {
    const box = makeSandbox();
    const pg = await createTestPgDatabase();
    try {
      expect((await krypt(['server', 'init', '--database-url', pg.url, '--master-key-out', join(box.home, 'k')], { cwd: box.cwd, env: box.env })).code).toBe(0);
      const res = await krypt(['server', 'verify-audit', '--database-url', pg.url], { cwd: box.cwd, env: box.env });
      expect(res.stderr).toMatch(/^Audit chain intact: \d+ entries\n$/);
      expect(res.code).toBe(0);
    } finally {
      await pg.drop();
    }
    const none = await krypt(['server', 'verify-audit'], { cwd: box.cwd, env: box.env });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/Hint: pass --data-dir/);
    const missing = await krypt(['server', 'verify-audit', '--data-dir', join(box.home, 'nope')], { cwd: box.cwd, env: box.env });
    expect(missing.code).toBe(1);
  });
});
