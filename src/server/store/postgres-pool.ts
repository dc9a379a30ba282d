import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';

// Statement texts sent as named prepared statements, at most (per process; each connection
// prepares a name once, on first use), and how often a text must recur before it is named.
const NAMED_STATEMENTS_MAX = 500;
const NAMED_AFTER = 3;
const COUNTED_TEXTS_MAX = 10_000;

/**
 * The pool as Kysely sees it, with statements that recur sent as named prepared statements:
 * PostgreSQL then parses and plans each once per connection instead of on every execution (a bulk
 * read's two lookups take half the time). A text is named the third time it is seen, and at most
 * NAMED_STATEMENTS_MAX texts are, so texts that vary (IN-lists of every length, multi-row
 * inserts) stay unnamed instead of filling every connection with statements used once.
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
    const name = `krypt_${names.size + 1}`;
    names.set(text, name);
    return name;
  };
  // Kysely keeps per-client state in a WeakMap keyed by the client: one wrapper per client.
  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  return {
    async connect() {
      const client = await pool.connect();
      let wrapper = wrappers.get(client);
      if (!wrapper) {
        wrapper = {
          query: ((text: unknown, values?: unknown[]) => {
            if (typeof text !== 'string') return client.query(text as pg.Submittable);
            const name = nameOf(text);
            return name === undefined ? client.query(text, values) : client.query({ name, text, values: values ?? [] });
          }) as unknown as PostgresPoolClient['query'],
          release: (destroy?: boolean) => client.release(destroy),
        };
        wrappers.set(client, wrapper);
      }
      return wrapper;
    },
    end: () => pool.end(),
  };
}
