import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeSandbox } from '../helpers/cli.js';
import { kryptInProcess } from '../helpers/in-process.js';
import { killServerProcesses, startServerProcess } from '../helpers/server-process.js';
import { createTestPgDatabase } from '../helpers/pg.js';

// `krypt server verify-audit` on a real data directory written by a real server process, then
// tampered with directly in SQLite. The other commands run in process (test/helpers/in-process.ts).

afterEach(killServerProcesses);


describe('krypt server verify-audit', () => {
  it('reports an intact chain, then the first broken link after a row is edited and another deleted', async () => {
    const box = makeSandbox();
    const dataDir = join(box.home, 'data');
    const keyFile = join(box.home, 'master.key');
    const run = (args: string[]) => kryptInProcess(args, { cwd: box.cwd, env: box.env });
    const init = await run(['server', 'init', '--data-dir', dataDir, '--master-key-out', keyFile]);
    expect(init.code).toBe(0);
    const token = /^api-key: (krypt_\S+)$/m.exec(init.stdout)![1]!;
    const server = await startServerProcess(['--data-dir', dataDir, '--master-key-file', keyFile, '--port', '0'], box.env);
    expect((await kryptInProcess(['login', '--api-url', server.url, '--token-stdin'], { cwd: box.cwd, env: box.env, input: token })).code).toBe(0);
    expect((await run(['projects', 'create', 'chain'])).code).toBe(0);
    expect((await run(['set', '-p', 'chain', 'A=1', 'B=2'])).code).toBe(0);
    expect((await run(['set', '-p', 'chain', '-e', 'prod', 'A=3'])).code).toBe(0);
    expect((await run(['get', '-p', 'chain', 'A'])).code).toBe(0);
    expect(await server.stop()).toBe(0);
    const snapshot = new Database(join(dataDir, 'krypt.db'));
    const originals = snapshot.prepare('SELECT id, actor_email, prev_hash, hash FROM audit_log ORDER BY id').all() as Array<{ id: number; actor_email: string | null; prev_hash: string; hash: string }>;
    snapshot.close();

    const verify = (extra: string[] = []) => run(['server', 'verify-audit', '--data-dir', dataDir, '--master-key-file', keyFile, ...extra]);
    const intact = await verify();
    expect(intact.stderr).toMatch(/^Audit chain intact: (\d+) entries\n$/);
    expect(intact.code).toBe(0);
    const count = Number(/(\d+) entries/.exec(intact.stderr)![1]);
    expect(count).toBeGreaterThanOrEqual(4);
    expect(JSON.parse((await verify(['--json'])).stdout)).toEqual({ ok: true, entries: count, problems: [], keyed: true });
    // the key comes on stdin too; a wrong key is refused before anything is judged
    const viaStdin = await kryptInProcess(['server', 'verify-audit', '--data-dir', dataDir], { cwd: box.cwd, env: box.env, input: readFileSync(keyFile, 'utf8') });
    expect(viaStdin.code).toBe(0);
    const wrong = await kryptInProcess(['server', 'verify-audit', '--data-dir', dataDir], { cwd: box.cwd, env: box.env, input: 'ab'.repeat(32) });
    expect(wrong.stderr).toMatch(/^Error: the master key does not match this instance/);
    expect(wrong.code).toBe(1);

    // someone with write access to the database but not the master key edits an entry and
    // recomputes every later hash the way the unkeyed chain was computed: it must not verify
    const forge = new Database(join(dataDir, 'krypt.db'));
    const all = forge.prepare('SELECT * FROM audit_log ORDER BY id').all() as Array<Record<string, string | number | null>>;
    const columns = ['action', 'actor_email', 'actor_user_id', 'at', 'command', 'details', 'environment', 'id', 'ip', 'key_id', 'keys', 'project_id', 'project_slug', 'user_agent'];
    let prev = String(all[0]!.prev_hash);
    for (const row of all) {
      if (row.id === all[1]!.id) row.actor_email = 'cover-up@example.com';
      const fields = Object.fromEntries(columns.map((c) => [c, row[c] ?? null]));
      const hash = createHash('sha256').update(prev).update(JSON.stringify(fields)).digest('hex');
      forge.prepare('UPDATE audit_log SET actor_email = ?, prev_hash = ?, hash = ? WHERE id = ?').run(row.actor_email, prev, hash, row.id);
      prev = hash;
    }
    forge.prepare('UPDATE audit_head SET last_hash = ? WHERE id = 1').run(prev);
    forge.close();
    const forged = await verify();
    expect(forged.code).toBe(1);
    expect(forged.stderr).toMatch(/^Error: Audit chain broken at entry #1: /);
    const restore = new Database(join(dataDir, 'krypt.db'));
    for (const row of originals) restore.prepare('UPDATE audit_log SET actor_email = ?, prev_hash = ?, hash = ? WHERE id = ?').run(row.actor_email, row.prev_hash, row.hash, row.id);
    restore.prepare('UPDATE audit_head SET last_hash = ? WHERE id = 1').run(originals[originals.length - 1]!.hash);
    restore.close();
    expect((await verify()).code).toBe(0);

    const sqlite = new Database(join(dataDir, 'krypt.db'));
    const ids = (sqlite.prepare('SELECT id FROM audit_log ORDER BY id').all() as Array<{ id: number }>).map((r) => Number(r.id));
    const edited = ids[1]!;
    const deleted = ids[ids.length - 2]!;
    sqlite.prepare("UPDATE audit_log SET keys = '[\"EVIL\"]' WHERE id = ?").run(edited);
    sqlite.close();
    const broken = await verify();
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(new RegExp(`^Error: Audit chain broken at entry #${edited}: .+\\nHint: `));

    const again = new Database(join(dataDir, 'krypt.db'));
    again.prepare('DELETE FROM audit_log WHERE id = ?').run(deleted);
    again.close();
    const both = await verify(['--json']);
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
      expect((await kryptInProcess(['server', 'init', '--database-url', pg.url, '--master-key-out', join(box.home, 'k')], { cwd: box.cwd, env: box.env })).code).toBe(0);
      const res = await kryptInProcess(['server', 'verify-audit', '--database-url', pg.url, '--master-key-file', join(box.home, 'k')], { cwd: box.cwd, env: box.env });
      expect(res.stderr).toMatch(/^Audit chain intact: \d+ entries\n$/);
      expect(res.code).toBe(0);
    } finally {
      await pg.drop();
    }
    const none = await kryptInProcess(['server', 'verify-audit'], { cwd: box.cwd, env: box.env });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/Hint: pass --data-dir/);
    const missing = await kryptInProcess(['server', 'verify-audit', '--data-dir', join(box.home, 'nope')], { cwd: box.cwd, env: box.env });
    expect(missing.code).toBe(1);
  });
});
