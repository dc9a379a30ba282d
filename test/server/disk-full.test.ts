import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initInstance, openDatabase, parseMasterKey, startServer, type KryptDatabase, type RunningServer } from '../../src/server/entry/index.js';

// A full disk on SQLite. SQLITE_FULL rolls the whole transaction back inside SQLite; the error the
// operator sees must be that one ("database or disk is full"), not the ROLLBACK that follows it
// failing with "cannot rollback - no transaction is active". `PRAGMA max_page_count` on the
// server's own connection makes SQLite answer SQLITE_FULL deterministically, without root.

describe('SQLite: a write that fills the database', () => {
  let kdb: KryptDatabase;
  let server: RunningServer;
  let token: string;
  const lines: string[] = [];
  const secrets = '/v1/projects/full/environments/development/secrets';

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(server.url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, text, json: JSON.parse(text), requestId: res.headers.get('x-request-id') };
  };
  const pageCount = async () => Number((await sql<{ page_count: number }>`PRAGMA page_count`.execute(kdb.db)).rows[0]!.page_count);

  beforeAll(async () => {
    kdb = await openDatabase({ dataDir: join(mkdtempSync(join(tmpdir(), 'krypt-full-')), 'data') });
    const init = await initInstance({ database: kdb });
    token = init.token;
    server = await startServer({
      database: kdb,
      masterKey: parseMasterKey(init.masterKey),
      port: 0,
      logDestination: new Writable({
        write(chunk: Buffer, _enc, cb) {
          lines.push(...chunk.toString().split('\n').filter(Boolean));
          cb();
        },
      }),
    });
    expect((await call('POST', '/v1/projects', { slug: 'full' })).status).toBe(201);
    expect((await call('PATCH', secrets, { set: { A: 'kept' } })).json.revision).toBe(1);
  });
  afterAll(async () => {
    await server?.close();
    await kdb?.destroy();
  });

  // One key: the failing statement has no statement journal, so SQLite rolls the whole transaction
  // back. Two keys: a multi-row statement fails, SQLite undoes only it, and the ROLLBACK must still run.
  it.each([
    ['one key (SQLite itself rolls the transaction back)', ['A']],
    ['two keys (SQLite undoes the statement; the transaction is rolled back by the server)', ['A', 'B']],
  ])('%s: 500 internal without internals, SQLITE_FULL logged once, nothing stored', async (_what, keys) => {
    const before = await call('GET', secrets);
    expect(before.status).toBe(200);
    await sql.raw(`PRAGMA max_page_count = ${await pageCount()}`).execute(kdb.db);
    const big = randomBytes(24 * 1024).toString('hex');
    const from = lines.length;
    const r = await call('PATCH', secrets, { set: Object.fromEntries(keys.map((k) => [k, big])) });

    expect(r.status).toBe(500);
    expect(r.json).toEqual({ error: { code: 'internal', message: 'internal server error', requestId: r.requestId } });
    expect(r.text).not.toMatch(/SQLITE|full|rollback|transaction/i);
    const logged = lines.slice(from);
    const failed = logged.map((l) => JSON.parse(l)).filter((l) => l.reqId === r.requestId && l.level >= 50);
    expect(failed.map((l) => [l.msg, l.err?.code, l.err?.message])).toEqual([['request failed', 'SQLITE_FULL', 'database or disk is full']]);
    expect(logged.join('\n')).not.toMatch(/cannot rollback/);
    expect(logged.join('\n')).not.toContain(big.slice(0, 64));

    await sql.raw('PRAGMA max_page_count = 1073741823').execute(kdb.db);
    const after = await call('GET', secrets);
    expect(after.json).toEqual(before.json);
    // The connection is usable again once there is room.
    expect((await call('PATCH', secrets, { set: { C: keys.join('') } })).json.revision).toBe(before.json.revision + 1);
  });
});
