import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KryptDatabase } from '../../src/server/entry/index.js';
import { compiledOnce } from '../../src/server/store/compiled-once.js';
import type { TestPgDatabase } from '../helpers/pg.js';
import { openTestDatabase } from '../helpers/server.js';

// A query compiled once and run with new values must answer each run for its own values, on each
// store's SQL, and must refuse to be built from a value that is not a bound parameter.

describe.each(['sqlite', 'postgres'] as const)('compiledOnce on %s', (dialect) => {
  let kdb: KryptDatabase;
  let pgDb: TestPgDatabase | undefined;
  beforeAll(async () => {
    ({ kdb, pgDb } = await openTestDatabase(dialect));
    await kdb.db.insertInto('meta').values([{ key: 'compiled-a', value: 'one' }, { key: 'compiled-b', value: 'two' }]).execute();
  });
  afterAll(async () => {
    await kdb?.destroy();
    await pgDb?.drop();
  });

  it('answers every run for its own values, outside and inside a transaction', async () => {
    const byKey = compiledOnce((db, key: string) => db.selectFrom('meta').select('value').where('key', '=', key));
    expect(await byKey(kdb.db, 'compiled-a')).toEqual([{ value: 'one' }]);
    expect(await byKey(kdb.db, 'compiled-b')).toEqual([{ value: 'two' }]);
    expect(await byKey(kdb.db, "compiled-a' OR '1'='1")).toEqual([]);
    expect(await kdb.db.transaction().execute((trx) => byKey(trx, 'compiled-b'))).toEqual([{ value: 'two' }]);
  });

  it('refuses a value that would be written into the SQL instead of bound', async () => {
    const raw = compiledOnce((db, key: string) => db.selectFrom('meta').select('value').where(sql.raw<boolean>(`key = '${key}'`)));
    await expect(raw(kdb.db, 'compiled-a')).rejects.toThrow(/bound parameter/);
  });
});
