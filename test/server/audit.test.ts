import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateApiToken } from '../../src/server/crypto/api-token.js';
import { Writable } from 'node:stream';
import { initInstance, openDatabase, parseMasterKey, startServer, verifyAudit, type KryptDatabase } from '../../src/server/entry/index.js';
import { deriveKeys } from '../../src/server/crypto/value-crypto.js';
import { GENESIS_HASH, keyedHasher, legacyHasher, verifyAuditChain } from '../../src/server/services/audit-chain.js';
import { requireProjectScope } from '../../src/server/services/access.js';
import { createAuditRecorder } from '../../src/server/services/audit-service.js';
import { ServiceError } from '../../src/server/services/service-error.js';
import { auditEntriesAfter, type AuditRow } from '../../src/server/store/audit-store.js';
import { appendAuditEvents, auditEvent } from '../helpers/audit.js';
import type { TestPgDatabase } from '../helpers/pg.js';
import { openTestDatabase, startTestServer, type TestServer } from '../helpers/server.js';

// The hash-chained audit log on SQLite and PostgreSQL: appends, tamper detection, concurrency,
// and GET /v1/projects/:slug/audit.

describe.each(['sqlite', 'postgres'] as const)('audit log on %s', (dialect) => {
  let srv: TestServer;

  async function rows(): Promise<AuditRow[]> {
    return auditEntriesAfter(srv.db, 0, 1_000_000);
  }
  async function row(id: number): Promise<AuditRow> {
    const found = (await rows()).find((r) => r.id === id);
    if (!found) throw new Error(`no audit entry ${id}`);
    return found;
  }
  /** Puts tampered rows back as they were; the chain then verifies again. */
  async function restore(...originals: AuditRow[]): Promise<void> {
    for (const original of originals) {
      const { id, ...rest } = original;
      const exists = (await srv.db.selectFrom('audit_log').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
      if (exists) await srv.db.updateTable('audit_log').set(rest).where('id', '=', id).execute();
      else await srv.db.insertInto('audit_log').values(original).execute();
    }
    expect((await verifyAuditChain(srv.db, srv.auditKey)).ok).toBe(true);
  }
  async function call(path: string, token = srv.token) {
    const res = await fetch(srv.url + path, { headers: { authorization: `Bearer ${token}` } });
    const text = await res.text();
    return { status: res.status, text, json: text ? JSON.parse(text) : undefined };
  }

  beforeAll(async () => {
    srv = await startTestServer({ dialect });
  });
  afterAll(async () => {
    await srv?.close();
  });

  describe('chain', () => {
    // Every test here may tamper with entries 2 to 7 (and puts them back): they exist from the start.
    beforeAll(async () => {
      await appendAuditEvents(srv.db, dialect, srv.auditKey, Array.from({ length: 8 }, (_, i) => ({ action: 'secrets.write' as const, keys: [`FIXTURE_${i}`] })));
    });

    it('starts empty and valid', async () => {
      // An instance of its own: the shared server's chain holds what the other tests appended.
      const fresh = await startTestServer({ dialect });
      try {
        expect(await verifyAuditChain(fresh.db, fresh.auditKey)).toEqual({ ok: true, entries: 0, problems: [], keyed: true });
      } finally {
        await fresh.close();
      }
    });

    it('appends linked entries: ids 1..n, genesis first, each hash over its predecessor', async () => {
      const before = (await rows()).length;
      await appendAuditEvents(
        srv.db,
        dialect,
        srv.auditKey,
        Array.from({ length: 8 }, (_, i) => ({ action: 'secret.read' as const, keys: [`KEY_${i}`], details: { n: i } })),
      );
      const all = await rows();
      expect(all.map((r) => r.id)).toEqual(Array.from({ length: before + 8 }, (_, i) => i + 1));
      expect(all[0]?.prev_hash).toBe(GENESIS_HASH);
      for (let i = 1; i < all.length; i++) expect(all[i]?.prev_hash).toBe(all[i - 1]?.hash);
      for (const r of all) {
        expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
        expect(keyedHasher(srv.auditKey)(r)).toBe(r.hash);
      }
      expect(JSON.parse(all[before + 2]?.keys ?? '')).toEqual(['KEY_2']);
      expect(await verifyAuditChain(srv.db, srv.auditKey)).toEqual({ ok: true, entries: before + 8, problems: [], keyed: true });
    });

    it('records with the root handle (its own transaction) and rolls back with the caller', async () => {
      const recorder = createAuditRecorder({ db: srv.db, dialect, now: () => new Date(), auditKey: srv.auditKey });
      await recorder.record(srv.db, auditEvent({ action: 'key.create' }));
      const before = (await rows()).length;
      await expect(
        srv.db.transaction().execute(async (trx) => {
          await recorder.record(trx, auditEvent({ action: 'key.revoke' }));
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect((await rows()).length).toBe(before);
      expect((await verifyAuditChain(srv.db, srv.auditKey)).ok).toBe(true);
    });

    it('detects an edited row at its id', async () => {
      const original = await row(3);
      await srv.db.updateTable('audit_log').set({ keys: '["SOMETHING_ELSE"]' }).where('id', '=', 3).execute();
      const result = await verifyAuditChain(srv.db, srv.auditKey);
      expect(result.ok).toBe(false);
      expect(result.problems).toEqual([{ id: 3, kind: 'edited', message: expect.stringContaining('entry 3') }]);
      await restore(original);

      await srv.db.updateTable('audit_log').set({ action: original.action === 'secrets.write' ? 'secret.read' : 'secrets.write' }).where('id', '=', 3).execute();
      expect((await verifyAuditChain(srv.db, srv.auditKey)).problems).toEqual([expect.objectContaining({ id: 3, kind: 'edited' })]);
      await restore(original);
    });

    it('detects an edited row whose hash was recomputed, through the next link', async () => {
      const original = await row(4);
      const forged = { ...original, actor_email: 'someone-else@example.com' };
      forged.hash = keyedHasher(srv.auditKey)(forged);
      await srv.db.updateTable('audit_log').set({ actor_email: forged.actor_email, hash: forged.hash }).where('id', '=', 4).execute();
      expect((await verifyAuditChain(srv.db, srv.auditKey)).problems).toEqual([expect.objectContaining({ id: 4, kind: 'edited' })]);
      await restore(original);
    });

    it('does not verify a chain re-computed without the master key (edited entry, every later hash recomputed)', async () => {
      const originals = await rows();
      // What someone with write access to the database but not the master key can do.
      for (const forgeWith of [legacyHasher, keyedHasher(Buffer.alloc(32, 7))]) {
        let prev = originals[1]!.hash;
        for (const r of originals.slice(2)) {
          const { hash: _h, ...rest } = r;
          const forged = { ...rest, prev_hash: prev, ...(r.id === 3 ? { actor_email: 'cover-up@example.com' } : {}) };
          prev = forgeWith(forged);
          await srv.db.updateTable('audit_log').set({ actor_email: forged.actor_email, prev_hash: forged.prev_hash, hash: prev }).where('id', '=', r.id).execute();
        }
        await srv.db.updateTable('audit_head').set({ last_hash: prev }).where('id', '=', 1).execute();
        const result = await verifyAuditChain(srv.db, srv.auditKey);
        expect(result.ok).toBe(false);
        expect(result.problems[0]).toMatchObject({ id: 3, kind: 'edited' });
        await srv.db.updateTable('audit_head').set({ last_hash: originals[originals.length - 1]!.hash }).where('id', '=', 1).execute();
        await restore(...originals);
      }
    });

    it('detects a deleted row at the gap', async () => {
      const original = await row(5);
      await srv.db.deleteFrom('audit_log').where('id', '=', 5).execute();
      const result = await verifyAuditChain(srv.db, srv.auditKey);
      expect(result.ok).toBe(false);
      expect(result.entries).toBe((await rows()).length);
      expect(result.problems).toEqual([{ id: 5, kind: 'deleted', message: 'entry 5 is missing: deleted from the log' }]);
      await restore(original);
    });

    it('detects one edited and another deleted row together, first break first', async () => {
      const edited = await row(2);
      const deleted = [await row(6), await row(7)];
      await srv.db.updateTable('audit_log').set({ keys: '[]' }).where('id', '=', 2).execute();
      await srv.db.deleteFrom('audit_log').where('id', 'in', [6, 7]).execute();
      const result = await verifyAuditChain(srv.db, srv.auditKey);
      expect(result.ok).toBe(false);
      expect(result.problems).toEqual([
        expect.objectContaining({ id: 2, kind: 'edited' }),
        { id: 6, kind: 'deleted', message: 'entries 6–7 are missing: deleted from the log' },
      ]);
      await restore(edited, ...deleted);
    });

    it('detects deletion of the last row as a head mismatch', async () => {
      const all = await rows();
      const last = all[all.length - 1] as AuditRow;
      await srv.db.deleteFrom('audit_log').where('id', '=', last.id).execute();
      const result = await verifyAuditChain(srv.db, srv.auditKey);
      expect(result.ok).toBe(false);
      expect(result.problems).toEqual([
        { id: last.id, kind: 'head-mismatch', message: `the chain head ends at entry ${last.id}: entry ${last.id} was deleted` },
      ]);
      await restore(last);
    });

    it('detects the last row rewritten with a recomputed hash as a head mismatch', async () => {
      const all = await rows();
      const last = all[all.length - 1] as AuditRow;
      const forged = { ...last, ip: '10.9.9.9' };
      forged.hash = keyedHasher(srv.auditKey)(forged);
      await srv.db.updateTable('audit_log').set({ ip: forged.ip, hash: forged.hash }).where('id', '=', last.id).execute();
      expect((await verifyAuditChain(srv.db, srv.auditKey)).problems).toEqual([expect.objectContaining({ id: last.id, kind: 'head-mismatch' })]);
      await restore(last);
    });

    it('detects an entry relinked to an earlier one as reordered', async () => {
      const six = await row(6);
      const four = await row(4);
      const forged = { ...six, prev_hash: four.hash };
      forged.hash = keyedHasher(srv.auditKey)(forged);
      await srv.db.updateTable('audit_log').set({ prev_hash: forged.prev_hash, hash: forged.hash }).where('id', '=', 6).execute();
      const { problems } = await verifyAuditChain(srv.db, srv.auditKey);
      expect(problems[0]).toEqual(expect.objectContaining({ id: 6, kind: 'reordered' }));
      await restore(six);
    });

    it('survives concurrent appends in separate transactions', async () => {
      const before = (await rows()).length;
      const recorder = createAuditRecorder({ db: srv.db, dialect, now: () => new Date(), auditKey: srv.auditKey });
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          srv.db.transaction().execute(async (trx) => {
            // Something else in the transaction first, so the appends really overlap.
            await trx.selectFrom('users').select('id').execute();
            await recorder.record(trx, auditEvent({ action: 'secrets.write', keys: [`C_${i}`] }));
          }),
        ),
      );
      const all = await rows();
      expect(all.length).toBe(before + 20);
      expect(all.map((r) => r.id)).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
      expect(await verifyAuditChain(srv.db, srv.auditKey)).toEqual({ ok: true, entries: before + 20, problems: [], keyed: true });
    });

    it.runIf(dialect === 'postgres')('refuses to record inside a REPEATABLE READ transaction', async () => {
      const recorder = createAuditRecorder({ db: srv.db, dialect, now: () => new Date(), auditKey: srv.auditKey });
      await expect(
        srv.db
          .transaction()
          .setIsolationLevel('repeatable read')
          .execute((trx) => recorder.record(trx, auditEvent())),
      ).rejects.toThrow(/READ COMMITTED/);
      expect((await verifyAuditChain(srv.db, srv.auditKey)).ok).toBe(true);
    });
  });

  describe('GET /v1/projects/:slug/audit', () => {
    const slug = `audit-${dialect}`;
    let project: { id: string; slug: string };
    const owner = { userId: 'u-owner', email: 'owner@example.com', keyId: 'k-owner' };
    const alice = { userId: 'u-alice', email: 'alice@example.com', keyId: 'k-alice' };

    beforeAll(async () => {
      const created = await fetch(`${srv.url}/v1/projects`, {
        method: 'POST',
        headers: { authorization: `Bearer ${srv.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ slug }),
      });
      expect(created.status).toBe(201);
      const row = await srv.db.selectFrom('projects').select(['id', 'slug']).where('slug', '=', slug).executeTakeFirstOrThrow();
      project = row;
      const other = { id: 'other-project', slug: 'other' };
      await appendAuditEvents(srv.db, dialect, srv.auditKey, [
        { at: '2030-01-01T00:00:00.000Z', action: 'secrets.write', actor: owner, project, environment: 'development', keys: ['B', 'A'] },
        { at: '2030-01-02T00:00:00.000Z', action: 'secrets.read', actor: alice, project, environment: 'staging', keys: ['A'] },
        { at: '2030-01-03T00:00:00.000Z', action: 'member.invite', actor: owner, project, environment: null, details: { email: 'bob@example.com', role: 'viewer' } },
        { at: '2030-01-04T00:00:00.000Z', action: 'secret.read', actor: alice, project, environment: 'production', keys: ['DB_URL'] },
        { at: '2030-01-05T00:00:00.000Z', action: 'secrets.read', actor: owner, project: other, environment: 'development' },
        { at: '2030-01-06T00:00:00.000Z', action: 'member.join', actor: null, project, environment: null, details: { email: 'bob@example.com' } },
      ]);
    });

    it('lists the project only, newest first, with every recorded field', async () => {
      // since= leaves out what the services themselves recorded (project.create, at the real time).
      const r = await call(`/v1/projects/${slug}/audit?since=2030-01-01T00:00:00Z`);
      expect(r.status).toBe(200);
      const entries = r.json.entries as Array<Record<string, unknown>>;
      expect(entries.map((e) => e.action)).toEqual(['member.join', 'secret.read', 'member.invite', 'secrets.read', 'secrets.write']);
      expect(entries.every((e) => e.project === slug)).toBe(true);
      expect(entries[4]).toEqual({
        id: expect.any(Number),
        at: '2030-01-01T00:00:00.000Z',
        actor: 'owner@example.com',
        keyId: 'k-owner',
        action: 'secrets.write',
        project: slug,
        environment: 'development',
        keys: ['A', 'B'],
        details: {},
        ip: '127.0.0.1',
        userAgent: 'vitest',
        command: 'pull',
      });
      expect(entries[0]).toEqual(expect.objectContaining({ actor: null, keyId: null, details: { email: 'bob@example.com' } }));
      expect(entries[2]?.details).toEqual({ email: 'bob@example.com', role: 'viewer' });
    });

    it('filters by environment, actor (case-insensitive), since (any offset) and limit', async () => {
      const actions = async (q: string) =>
        ((await call(`/v1/projects/${slug}/audit?${q}`)).json.entries as Array<{ action: string }>).map((e) => e.action);
      // Other tests of this block record entries at the real time; the fixture's are all in 2030.
      const fixture = 'since=2030-01-01T00:00:00Z';
      expect(await actions(`environment=staging&${fixture}`)).toEqual(['secrets.read']);
      expect(await actions(`actor=ALICE@example.com&${fixture}`)).toEqual(['secret.read', 'secrets.read']);
      expect(await actions('since=2030-01-03T00:00:00Z')).toEqual(['member.join', 'secret.read', 'member.invite']);
      // 01:00+02:00 on the 4th is 23:00Z on the 3rd: after the invite.
      expect(await actions('since=2030-01-04T01:00:00%2B02:00')).toEqual(['member.join', 'secret.read']);
      expect(await actions(`limit=2&${fixture}`)).toEqual(['member.join', 'secret.read']);
      expect(await actions(`actor=owner@example.com&environment=development&limit=1&${fixture}`)).toEqual(['secrets.write']);
    });

    it('filters by action and until, and pages with before/next through every entry exactly once', async () => {
      const page = async (q: string) => (await call(`/v1/projects/${slug}/audit?since=2030-01-01T00:00:00Z&${q}`)).json as { entries: Array<{ id: number; action: string }>; next: number | null };
      expect((await page('action=secrets.read')).entries.map((e) => e.action)).toEqual(['secrets.read']);
      expect((await page('action=member.join')).entries.map((e) => e.action)).toEqual(['member.join']);
      // Before 00:00Z on the 4th: the entries of the 1st to the 3rd.
      expect((await page('until=2030-01-04T00:00:00Z')).entries.map((e) => e.action)).toEqual(['member.invite', 'secrets.read', 'secrets.write']);
      expect((await page('')).next).toBeNull();
      const seen: string[] = [];
      let before: number | null = null;
      let pages = 0;
      do {
        const r = await page(`limit=2${before === null ? '' : `&before=${before}`}`);
        expect(r.entries.length).toBeLessThanOrEqual(2);
        seen.push(...r.entries.map((e) => e.action));
        before = r.next;
        if (before !== null) expect(before).toBe(r.entries.at(-1)?.id);
        pages++;
      } while (before !== null && pages < 10);
      expect(pages).toBe(3);
      expect(seen).toEqual(['member.join', 'secret.read', 'member.invite', 'secrets.read', 'secrets.write']);
      // An exact fit: the last page says there is none after it.
      expect((await page('limit=5')).next).toBeNull();
      expect((await page('limit=4')).next).not.toBeNull();
    });

    it('refuses a malformed query with 400', async () => {
      for (const q of ['limit=0', 'limit=1001', 'since=yesterday', 'until=soon', 'before=0', 'before=x', 'action=secret.steal', 'environment=prod', 'actor=nope', 'colour=red']) {
        const r = await call(`/v1/projects/${slug}/audit?${q}`);
        expect(r.status, q).toBe(400);
        expect(r.json.error.code).toBe('validation');
      }
    });

    it('never carries secret values', async () => {
      const value = `audit-leak-check-${dialect}-7f3a`;
      const w = await fetch(`${srv.url}/v1/projects/${slug}/environments/development/secrets`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${srv.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ set: { LEAK_CHECK: value } }),
      });
      expect(w.status).toBe(200);
      const r = await call(`/v1/projects/${slug}/audit?limit=1000`);
      expect(r.status).toBe(200);
      expect(r.text).not.toContain(value);
      const stored = JSON.stringify(await rows());
      expect(stored).not.toContain(value);
    });

    it('is readable by a viewer, 404 for a non-member, 403 for a service token', async () => {
      const viewerToken = await srv.createUser(`viewer-${dialect}@example.com`);
      const strangerToken = await srv.createUser(`stranger-${dialect}@example.com`);
      const viewer = await srv.db
        .selectFrom('users')
        .select('id')
        .where('email', '=', `viewer-${dialect}@example.com`)
        .executeTakeFirstOrThrow();
      await srv.db
        .insertInto('memberships')
        .values({ project_id: project.id, user_id: viewer.id, role: 'viewer', created_at: new Date().toISOString() })
        .execute();
      const asViewer = await call(`/v1/projects/${slug}/audit`, viewerToken);
      expect(asViewer.status).toBe(200);
      expect(asViewer.json.entries.length).toBeGreaterThanOrEqual(5);

      const asStranger = await call(`/v1/projects/${slug}/audit`, strangerToken);
      expect(asStranger.status).toBe(404);
      expect(asStranger.json.error.code).toBe('not_found');

      // A read-only service token of the owner, scoped to this project's development environment.
      const owner = await srv.db.selectFrom('users').select('id').where('email', '=', 'admin@krypt.local').executeTakeFirstOrThrow();
      const service = generateApiToken();
      await srv.db
        .insertInto('api_keys')
        .values({
          id: `svc-${dialect}`,
          user_id: owner.id,
          name: 'ci',
          prefix: service.prefix,
          hash: service.hash,
          created_at: new Date().toISOString(),
          expires_at: null,
          revoked_at: null,
          last_used_at: null,
          service_project_id: project.id,
          service_environment: 'development',
        })
        .execute();
      const asService = await call(`/v1/projects/${slug}/audit`, service.token);
      expect(asService.status).toBe(403);
      expect(asService.json.error.code).toBe('forbidden');
    });

    it("refuses a service token for this project another project's audit log, and the resolver refuses it on its own", async () => {
      // Project B, owned by the same user who makes the token: a refusal is not a membership 404.
      const other = `audit-b-${dialect}`;
      expect((await srv.call('POST', '/v1/projects', { body: { slug: other } })).status).toBe(201);
      const made = await srv.call('POST', '/v1/keys', { body: { name: `ci-${dialect}`, service: { project: slug, environment: 'development' } } });
      expect(made.status).toBe(201);
      const refusal = { code: 'forbidden', message: `service tokens are read-only and limited to ${slug}/development` };

      const asServiceOnB = await call(`/v1/projects/${other}/audit`, made.json.token);
      expect(asServiceOnB.status).toBe(403);
      expect(asServiceOnB.json.error).toMatchObject(refusal);
      expect(asServiceOnB.text).not.toContain(other);
      // The audit log asks for a personal key first (requirePersonalKey), so the token's own project is refused alike.
      const asServiceOnA = await call(`/v1/projects/${slug}/audit`, made.json.token);
      expect(asServiceOnA.status).toBe(403);
      expect(asServiceOnA.json.error).toMatchObject(refusal);
      expect((await call(`/v1/projects/${other}/audit`)).status).toBe(200);

      // Behind that check, the one project resolver (services/access.ts) refuses B for A's token without looking B up.
      const user = await srv.db.selectFrom('users').select(['id', 'email', 'name']).where('email', '=', 'admin@krypt.local').executeTakeFirstOrThrow();
      const auth = {
        user,
        keyId: 'k-service',
        keyExpiresAt: null,
        session: null,
        service: { projectId: project.id, projectSlug: slug, environment: 'development' as const },
        client: { ip: null, userAgent: null, command: null },
      };
      const refused = await requireProjectScope(srv.db, auth, other).then(() => undefined, (e: unknown) => e);
      expect(refused).toBeInstanceOf(ServiceError);
      expect(refused).toMatchObject(refusal);
      expect((await requireProjectScope(srv.db, { ...auth, service: null }, other)).project.slug).toBe(other);
      expect((await requireProjectScope(srv.db, auth, slug)).role).toBe('owner');
    });

    it('is in the OpenAPI document', async () => {
      const r = await call('/v1/openapi.json');
      expect(r.json.paths['/v1/projects/{slug}/audit']?.get).toBeDefined();
    });

    it('leaves a chain that verifies', async () => {
      const result = await verifyAuditChain(srv.db, srv.auditKey);
      expect(result.ok).toBe(true);
      expect(result.problems).toEqual([]);
    });
  });
});

describe('verifyAudit (the verify-audit command entry point)', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'krypt-audit-'));
  });
  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('opens a data directory, checks the key, verifies, closes; reports tampering', async () => {
    const kdb = await openDatabase({ dataDir });
    const init = await initInstance({ database: kdb });
    const masterKey = parseMasterKey(init.masterKey);
    await appendAuditEvents(kdb.db, 'sqlite', deriveKeys(masterKey).auditKey, [{}, {}, {}]);
    await kdb.destroy();
    expect(await verifyAudit({ dataDir }, masterKey)).toEqual({ ok: true, entries: 3, problems: [], keyed: true });
    await expect(verifyAudit({ dataDir }, Buffer.alloc(32, 1))).rejects.toMatchObject({ code: 'master_key_mismatch' });

    const again = await openDatabase({ dataDir });
    await again.db.updateTable('audit_log').set({ environment: 'production' }).where('id', '=', 2).execute();
    await again.destroy();
    expect(await verifyAudit({ dataDir }, masterKey)).toEqual({
      ok: false,
      entries: 3,
      keyed: true,
      problems: [expect.objectContaining({ id: 2, kind: 'edited' })],
    });
  });

  it('refuses a directory holding no instance, without creating one', async () => {
    const missing = join(dataDir, 'typo');
    await expect(verifyAudit({ dataDir: missing }, Buffer.alloc(32))).rejects.toMatchObject({ code: 'not_initialised' });
    expect(existsSync(missing)).toBe(false);
    const kdb = await openDatabase({ dataDir });
    await kdb.destroy();
    await expect(verifyAudit({ dataDir }, Buffer.alloc(32))).rejects.toMatchObject({ code: 'not_initialised' });
  });
});

describe.each(['sqlite', 'postgres'] as const)('a chain written before keying, on %s', (dialect) => {
  let pgDb: TestPgDatabase | undefined;
  afterEach(async () => {
    await pgDb?.drop();
    pgDb = undefined;
  });

  /** An initialised instance whose chain was written the old way: plain SHA-256, no audit_chain meta. */
  async function legacyInstance(events: number) {
    const opened = await openTestDatabase(dialect);
    const kdb = opened.kdb;
    pgDb = opened.pgDb;
    const init = await initInstance({ database: kdb });
    const masterKey = parseMasterKey(init.masterKey);
    await appendAuditEvents(kdb.db, dialect, deriveKeys(masterKey).auditKey, Array.from({ length: events }, () => ({})));
    // rehash the chain the old way (plain SHA-256)
    let link = GENESIS_HASH;
    for (const r of await auditEntriesAfter(kdb.db, 0, 1000)) {
      const { hash: _h, ...rest } = r;
      const hash = legacyHasher({ ...rest, prev_hash: link });
      await kdb.db.updateTable('audit_log').set({ prev_hash: link, hash }).where('id', '=', r.id).execute();
      link = hash;
    }
    await kdb.db.updateTable('audit_head').set({ last_hash: link }).where('id', '=', 1).execute();
    await kdb.db.deleteFrom('meta').where('key', '=', 'audit_chain').execute();
    return { kdb, masterKey, auditKey: deriveKeys(masterKey).auditKey };
  }

  async function start(kdb: KryptDatabase, masterKey: Buffer) {
    const logs: string[] = [];
    const logDestination = new Writable({ write: (c: Buffer, _e, cb) => (logs.push(c.toString()), cb()) });
    const server = await startServer({ database: kdb, masterKey, port: 0, logDestination });
    return { server, logs };
  }

  it('is verified unkeyed, then keyed at the first start with the master key, once', async () => {
    const { kdb, masterKey, auditKey } = await legacyInstance(4);
    expect(await verifyAuditChain(kdb.db, auditKey)).toEqual({ ok: true, entries: 4, problems: [], keyed: false });
    const { server, logs } = await start(kdb, masterKey);
    await server.close();
    const after = await verifyAuditChain(kdb.db, auditKey);
    expect(after).toEqual({ ok: true, entries: 5, problems: [], keyed: true });
    const last = (await auditEntriesAfter(kdb.db, 4, 10))[0];
    expect(last).toMatchObject({ action: 'audit.chain_keyed', actor_email: null, project_id: null });
    expect(JSON.parse(last!.details)).toEqual({ entries: 4, previousChainIntact: true });
    expect(logs.join('')).toContain('audit chain keyed with the master key');
    // a forgery with the old, unkeyed hash no longer passes
    const [two] = await auditEntriesAfter(kdb.db, 1, 1);
    const forged = { ...two!, actor_email: 'cover-up@example.com' };
    await kdb.db.updateTable('audit_log').set({ actor_email: forged.actor_email, hash: legacyHasher(forged) }).where('id', '=', 2).execute();
    expect((await verifyAuditChain(kdb.db, auditKey)).problems[0]).toMatchObject({ id: 2, kind: 'edited' });
    // a second start does not key (or record) it again
    await kdb.db.updateTable('audit_log').set({ actor_email: two!.actor_email, hash: two!.hash }).where('id', '=', 2).execute();
    const second = await start(kdb, masterKey);
    await second.server.close();
    expect((await verifyAuditChain(kdb.db, auditKey)).entries).toBe(5);
    await kdb.destroy();
  });

  it('a legacy chain already broken is keyed anyway, and the entry and the log say where it broke', async () => {
    const { kdb, masterKey, auditKey } = await legacyInstance(3);
    await kdb.db.updateTable('audit_log').set({ keys: '["EDITED"]' }).where('id', '=', 2).execute();
    const { server, logs } = await start(kdb, masterKey);
    await server.close();
    expect((await verifyAuditChain(kdb.db, auditKey)).ok).toBe(true);
    const last = (await auditEntriesAfter(kdb.db, 3, 10))[0];
    expect(JSON.parse(last!.details)).toEqual({ entries: 3, previousChainIntact: false, firstProblem: expect.stringContaining('entry 2') });
    expect(logs.join('')).toMatch(/"level":40.*it was already broken before: entry 2/);
    await kdb.destroy();
  });
});
