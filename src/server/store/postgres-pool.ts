import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';

// Statement texts sent as named prepared statements, at most (per process; each connection
// prepares a name once, on first use), and how often a text must recur before it is named.
const NAMED_STATEMENTS_MAX = 500;
const NAMED_AFTER = 3;
const COUNTED_TEXTS_MAX = 10_000;
const TRANSACTION_STARTS = /^\s*(begin|start transaction)\b/i;
const TRANSACTION_ENDS = /^\s*(commit|rollback)\s*$/i;

const planChanged = (err: unknown): boolean =>
  (err as { code?: string }).code === '0A000' && /cached plan must not change result type/.test((err as Error).message);

/**
 * The pool as Kysely sees it, with statements that recur sent as named prepared statements:
 * PostgreSQL then parses and plans each once per connection instead of on every execution (a bulk
 * read's two lookups take half the time). A text is named the third time it is seen, and at most
 * NAMED_STATEMENTS_MAX texts are, so texts that vary (IN-lists of every length, multi-row
 * inserts) stay unnamed instead of filling every connection with statements used once.
 *
 * A prepared `SELECT *` fails once its table gains or loses a column ("cached plan must not change
 * result type"): in a rolling upgrade another replica's migration does that under a running one.
 * The text then gets a new name (so every connection prepares it afresh) and, outside a
 * transaction, the query is sent again at once; inside one, the transaction fails as it would on
 * any error, and its retry runs on the new plan.
 */
export function preparingRepeats(pool: pg.Pool): PostgresPool {
  const names = new Map<string, string>();
  const counts = new Map<string, number>();
  const nameOf = (text: string): string | undefined => {
    const named = names.get(text);
    if (named !== undefined || names.size >= NAMED_STATEMENTS_MAX) return named;
    const count = (counts.get(text) ?? 0) + 1;
    if (count < NAMED_AFTER) {
      if (counts.size >= COUNTED_TEXTS_MAX) counts.clear();
      counts.set(text, count);
      return undefined;
    }
    counts.delete(text);
    const name = `krypt_${++serial}`;
    names.set(text, name);
    return name;
  };
  let serial = 0;
  const replanned = (text: string, name: string): string => {
    if (names.get(text) === name) names.set(text, `krypt_${++serial}`);
    return names.get(text) as string;
  };
  // Kysely keeps per-client state in a WeakMap keyed by the client: one wrapper per client.
  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  return {
    async connect() {
      const client = await pool.connect();
      let wrapper = wrappers.get(client);
      if (!wrapper) {
        let inTransaction = false;
        const send = async (text: string, values: unknown[]) => {
          if (TRANSACTION_STARTS.test(text)) inTransaction = true;
          else if (TRANSACTION_ENDS.test(text)) inTransaction = false;
          const name = nameOf(text);
          if (name === undefined) return client.query(text, values);
          try {
            return await client.query({ name, text, values });
          } catch (err) {
            if (!planChanged(err)) throw err;
            const fresh = replanned(text, name);
            if (inTransaction) throw err;
            return client.query({ name: fresh, text, values });
          }
        };
        wrapper = {
          query: ((text: unknown, values?: unknown[]) =>
            typeof text === 'string' ? send(text, values ?? []) : client.query(text as pg.Submittable)) as unknown as PostgresPoolClient['query'],
          release: (destroy?: boolean) => client.release(destroy),
        };
        wrappers.set(client, wrapper);
      }
      return wrapper;
    },
    end: () => pool.end(),
  };
}
