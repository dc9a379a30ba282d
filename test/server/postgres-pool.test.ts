import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KryptDatabase } from '../../src/server/entry/index.js';
import type { TestPgDatabase } from '../helpers/pg.js';
import { openTestDatabase } from '../helpers/server.js';

// PostgreSQL statements that recur are sent as named prepared statements (src/server/store/
// postgres-pool.ts). A table that gains a column under a running server (another replica's
// migration in a rolling upgrade) must not break the statements this one has prepared.

describe('prepared statements on PostgreSQL', () => {
  let kdb: KryptDatabase;
  let pgDb: TestPgDatabase | undefined;

  beforeAll(async () => {
    ({ kdb, pgDb } = await openTestDatabase('postgres'));
  });
  afterAll(async () => {
    await kdb?.destroy();
    await pgDb?.drop();
  });

  const projects = () => kdb.db.selectFrom('projects').selectAll().execute();

  it('answers a prepared SELECT * after its table gains a column, outside and inside a transaction', async () => {
    // Enough times for every pool connection used to have prepared it.
    await Promise.all(Array.from({ length: 40 }, () => projects()));
    await sql`ALTER TABLE projects ADD COLUMN added_by_another_replica text`.execute(kdb.db);
    await expect(Promise.all(Array.from({ length: 40 }, () => projects()))).resolves.toHaveLength(40);

    await sql`ALTER TABLE projects DROP COLUMN added_by_another_replica`.execute(kdb.db);
    // Inside a transaction the failed statement aborts it; the transaction run again succeeds.
    const inTransaction = () => kdb.db.transaction().execute((trx) => trx.selectFrom('projects').selectAll().execute());
    const first = await Promise.allSettled(Array.from({ length: 20 }, () => inTransaction()));
    for (const r of first) if (r.status === 'rejected') expect(String(r.reason)).toMatch(/cached plan must not change result type/);
    await expect(Promise.all(Array.from({ length: 20 }, () => inTransaction()))).resolves.toHaveLength(20);
  });
});
