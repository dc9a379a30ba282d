import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initInstance, openDatabase, parseMasterKey, startServer, type KryptDatabase } from '../../src/server/entry/index.js';
import { deriveKeys } from '../../src/server/crypto/value-crypto.js';
import { verifyAuditChain } from '../../src/server/services/audit-chain.js';
import { createAuditRecorder } from '../../src/server/services/audit-service.js';
import { auditEntriesAfter } from '../../src/server/store/audit-store.js';
import { callApi, openTestDatabase, startTestServer, type TestServer } from '../helpers/server.js';
import { auditEvent } from '../helpers/audit.js';
import type { TestPgDatabase } from '../helpers/pg.js';

// The read path at scale, on SQLite and PostgreSQL: a bulk read is recorded compactly and the
// entries of concurrent reads are committed together (group commit), still fail-closed: a request
// whose entry cannot be stored fails and hands out nothing. With two replicas on one PostgreSQL
// database, values decrypted and kept by one are never served once the other has written.

const ENV = '/v1/projects/shop/environments/development';

/** Makes every insert into the audit log fail, as a full disk or a broken store would. */
async function refuseAuditInserts(db: TestServer['db'], dialect: 'sqlite' | 'postgres'): Promise<() => Promise<void>> {
  if (dialect === 'sqlite') {
    await sql`CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit store refused the entry'); END`.execute(db);
    return async () => void (await sql`DROP TRIGGER refuse_audit`.execute(db));
  }
  await sql`CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit store refused the entry'; END $$`.execute(db);
  await sql`CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_audit()`.execute(db);
  return async () => {
    await sql`DROP TRIGGER refuse_audit ON audit_log`.execute(db);
    await sql`DROP FUNCTION refuse_audit()`.execute(db);
  };
}

describe.each(['sqlite', 'postgres'] as const)('read path on %s', (dialect) => {
  let srv: TestServer;
  const secrets = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`KEY_${String(i).padStart(3, '0')}`, `value-${i}-${'v'.repeat(30)}`]));

  beforeAll(async () => {
    srv = await startTestServer({ dialect });
    expect((await srv.call('POST', '/v1/projects', { body: { slug: 'shop' } })).status).toBe(201);
    expect((await srv.call('PATCH', `${ENV}/secrets`, { body: { set: secrets, delete: [] } })).status).toBe(200);
  });
  afterAll(async () => {
    await srv?.close();
  });

  async function readEntries() {
    return (await auditEntriesAfter(srv.db, 0, 1_000_000)).filter((r) => r.action === 'secrets.read');
  }

  it('records a bulk read as its revision and key count, not 200 key names', async () => {
    const res = await srv.call('GET', `${ENV}/secrets`);
    expect(res.status).toBe(200);
    expect(res.json.secrets).toEqual(secrets);
    const last = (await readEntries()).at(-1);
    expect(JSON.parse(last?.keys ?? 'null')).toEqual([]);
    expect(JSON.parse(last?.details ?? 'null')).toEqual({ keyCount: 200, revision: res.json.revision });
    expect(last?.details).not.toContain('KEY_');

    const revalidated = await srv.call('GET', `${ENV}/secrets`, { headers: { 'if-none-match': `"${res.json.revision}"` } });
    expect(revalidated.status).toBe(304);
    // No body, and no content-length but the 200's (RFC 9110 §8.6): strict parsers wait for the bytes announced.
    expect(revalidated.text).toBe('');
    expect(revalidated.headers.get('content-length')).toBeNull();
    expect(JSON.parse((await readEntries()).at(-1)?.details ?? 'null')).toEqual({ notModified: true, revision: res.json.revision });
  });

  it('commits the entries of concurrent reads together, each read answered and recorded, the chain intact', async () => {
    const before = (await readEntries()).length;
    const reads = await Promise.all(Array.from({ length: 40 }, () => srv.call('GET', `${ENV}/secrets`)));
    expect(reads.map((r) => r.status)).toEqual(Array(40).fill(200));
    for (const r of reads) expect(r.json.secrets).toEqual(secrets);
    const entries = (await readEntries()).slice(before);
    expect(entries).toHaveLength(40);
    // One group commit takes one time for all its entries: fewer distinct times than reads. (On
    // SQLite a read never yields while it runs, so reads from this one client rarely overlap; the
    // recorder's own test below shows the batching there.)
    if (dialect === 'postgres') expect(new Set(entries.map((e) => e.at)).size).toBeLessThan(40);
    const all = await auditEntriesAfter(srv.db, 0, 1_000_000);
    expect(all.map((r) => r.id)).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
    expect((await verifyAuditChain(srv.db, srv.auditKey)).ok).toBe(true);
  });

  it('appends entries queued together in one transaction, in order, beside entries recorded inside transactions', async () => {
    const batches: number[] = [];
    const recorder = createAuditRecorder({ db: srv.db, dialect, now: () => new Date(), auditKey: srv.auditKey, onBatch: (size) => batches.push(size) });
    const before = (await auditEntriesAfter(srv.db, 0, 1_000_000)).length;
    await Promise.all([
      ...Array.from({ length: 50 }, (_, i) => recorder.append(auditEvent({ keys: [`READ_${i}`] }))),
      ...Array.from({ length: 5 }, (_, i) => srv.db.transaction().execute((trx) => recorder.record(trx, auditEvent({ action: 'secrets.write', keys: [`WRITE_${i}`] })))),
    ]);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(50);
    expect(batches.length).toBeLessThan(5);
    const added = (await auditEntriesAfter(srv.db, 0, 1_000_000)).slice(before);
    expect(added).toHaveLength(55);
    const reads = added.filter((r) => r.action === 'secrets.read').map((r) => JSON.parse(r.keys)[0]);
    expect(reads).toEqual(Array.from({ length: 50 }, (_, i) => `READ_${i}`));
    expect((await verifyAuditChain(srv.db, srv.auditKey)).ok).toBe(true);
  });

  it('fails a read or a write whose audit entry cannot be stored, handing out no value and changing nothing', async () => {
    const allow = await refuseAuditInserts(srv.db, dialect);
    try {
      const bulk = await srv.call('GET', `${ENV}/secrets`);
      expect(bulk.status).toBe(500);
      expect(bulk.json.error.code).toBe('internal');
      expect(bulk.text).not.toContain('value-1-');
      const one = await srv.call('GET', `${ENV}/secrets/KEY_001`);
      expect(one.status).toBe(500);
      expect(one.text).not.toContain('value-1-');
      const write = await srv.call('PATCH', `${ENV}/secrets`, { body: { set: { KEY_001: 'changed' }, delete: [] } });
      expect(write.status).toBe(500);
    } finally {
      await allow();
    }
    const after = await srv.call('GET', `${ENV}/secrets/KEY_001`);
    expect(after.json.value).toBe(secrets.KEY_001);
    expect((await verifyAuditChain(srv.db, srv.auditKey)).ok).toBe(true);
  });

  it('answers a kept read with the bytes of a fresh one, and a recreated project at the same revision with its own values', async () => {
    const first = await srv.call('GET', `${ENV}/secrets`);
    const again = await srv.call('GET', `${ENV}/secrets`);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(again.headers.get('etag')).toBe(first.headers.get('etag'));

    // Same slug, environment and revision as the project deleted before it: only its values differ.
    const other = '/v1/projects/again/environments/development/secrets';
    for (const value of ['first-life', 'second-life']) {
      expect((await srv.call('POST', '/v1/projects', { body: { slug: 'again' } })).status).toBe(201);
      expect((await srv.call('PATCH', other, { body: { set: { ONLY: value }, delete: [] } })).status).toBe(200);
      for (let i = 0; i < 2; i++) {
        const read = await srv.call('GET', other);
        expect(read.json).toEqual({ project: 'again', environment: 'development', revision: 1, secrets: { ONLY: value } });
      }
      if (value === 'first-life') expect((await srv.call('DELETE', '/v1/projects/again')).status).toBe(204);
    }
  });

  it('serves a new value right after a write, never the kept decryption of the old revision', async () => {
    for (let i = 0; i < 5; i++) {
      await srv.call('GET', `${ENV}/secrets`);
      const write = await srv.call('PATCH', `${ENV}/secrets`, { body: { set: { KEY_005: `round-${i}` }, delete: [] } });
      expect(write.status).toBe(200);
      const read = await srv.call('GET', `${ENV}/secrets`);
      expect(read.json.revision).toBe(write.json.revision);
      expect(read.json.secrets.KEY_005).toBe(`round-${i}`);
    }
  });
});

describe('two replicas on one PostgreSQL database', () => {
  let kdbs: KryptDatabase[] = [];
  let pgDb: TestPgDatabase | undefined;
  let servers: { url: string; close(): Promise<void> }[] = [];
  let token: string;
  let auditKey: Buffer;

  beforeAll(async () => {
    const opened = await openTestDatabase('postgres');
    pgDb = opened.pgDb;
    const init = await initInstance({ database: opened.kdb });
    token = init.token;
    auditKey = deriveKeys(parseMasterKey(init.masterKey)).auditKey;
    kdbs = [opened.kdb, await openDatabase({ databaseUrl: pgDb!.url })];
    servers = await Promise.all(kdbs.map((database) => startServer({ database, masterKey: parseMasterKey(init.masterKey), host: '127.0.0.1', port: 0, logLevel: 'warn' })));
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    for (const k of kdbs) await k.destroy();
    await pgDb?.drop();
  });

  const call = (i: number, method: string, path: string, body?: unknown) => callApi(servers[i]!.url, token, method, path, body === undefined ? {} : { body });

  it('a replica that kept an environment serves the other replica\'s write at once, and concurrent reads on both keep one chain', async () => {
    expect((await call(0, 'POST', '/v1/projects', { slug: 'shop' })).status).toBe(201);
    expect((await call(0, 'PATCH', `${ENV}/secrets`, { set: { A: 'a1', B: 'b1' }, delete: [] })).status).toBe(200);
    for (let i = 0; i < 5; i++) {
      expect((await call(0, 'GET', `${ENV}/secrets`)).json.secrets.A).toBe(i === 0 ? 'a1' : `a-from-b-${i - 1}`);
      const write = await call(1, 'PATCH', `${ENV}/secrets`, { set: { A: `a-from-b-${i}` }, delete: [] });
      expect(write.status).toBe(200);
      const read = await call(0, 'GET', `${ENV}/secrets`);
      expect(read.json).toMatchObject({ revision: write.json.revision, secrets: { A: `a-from-b-${i}`, B: 'b1' } });
    }
    const reads = await Promise.all(Array.from({ length: 40 }, (_, i) => call(i % 2, 'GET', `${ENV}/secrets`)));
    expect(reads.every((r) => r.status === 200)).toBe(true);
    const db = kdbs[0]!.db;
    const all = await auditEntriesAfter(db, 0, 1_000_000);
    expect(all.map((r) => r.id)).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
    expect(await verifyAuditChain(db, auditKey)).toMatchObject({ ok: true, problems: [] });
  });

  it('group commits of two replicas racing for the chain head, with writes recording in between, lose nothing and keep one chain', async () => {
    const [a, b] = kdbs.map((k) => createAuditRecorder({ db: k.db, groupCommitDb: k.db, dialect: 'postgres', now: () => new Date(), auditKey }));
    const db = kdbs[0]!.db;
    const before = (await auditEntriesAfter(db, 0, 1_000_000)).length;
    const rounds = 6;
    for (let round = 0; round < rounds; round++) {
      await Promise.all([
        ...Array.from({ length: 30 }, (_, i) => a!.append(auditEvent({ keys: [`A_${round}_${i}`] }))),
        ...Array.from({ length: 30 }, (_, i) => b!.append(auditEvent({ keys: [`B_${round}_${i}`] }))),
        ...Array.from({ length: 3 }, (_, i) => db.transaction().execute((trx) => a!.record(trx, auditEvent({ action: 'secrets.write', keys: [`W_${round}_${i}`] })))),
      ]);
    }
    const added = (await auditEntriesAfter(db, 0, 1_000_000)).slice(before);
    expect(added).toHaveLength(rounds * 63);
    const keysOf = (prefix: string) => added.map((r) => JSON.parse(r.keys)[0] as string).filter((k) => k.startsWith(prefix));
    // Each replica's entries in the order they were appended; every one stored once.
    for (const prefix of ['A_', 'B_']) {
      expect(keysOf(prefix)).toEqual(Array.from({ length: rounds }, (_, r) => Array.from({ length: 30 }, (_, i) => `${prefix}${r}_${i}`)).flat());
    }
    const all = await auditEntriesAfter(db, 0, 1_000_000);
    expect(all.map((r) => r.id)).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
    expect(await verifyAuditChain(db, auditKey)).toMatchObject({ ok: true, problems: [] });
  });
});
