import type { Compilable, CompiledQuery } from 'kysely';
import type { Executor } from './schema.js';

// How a placeholder starts; none may be left in the SQL text.
const MARK = '\u0000krypt-value-';

/**
 * A query whose shape never changes, built and compiled once per store (its SQL dialect) and then
 * run with new values: Kysely's builder and compiler cost ~30 µs a run for the key lookup with a
 * project's access (five joins, a dozen aliases), on the path of every read. `build` receives
 * placeholders in place of the values, and each must reach the query as a bound parameter (the
 * first compile checks): a value used as an identifier or in raw SQL would be caught, not baked in.
 */
export function compiledOnce<V extends readonly unknown[], R>(build: (db: Executor, ...values: V) => Compilable<R>): (db: Executor, ...values: V) => Promise<R[]> {
  const run = compiledOnceForList<R>((db, marks) => build(db, ...(marks as unknown as V)));
  return (db, ...values) => run(db, values);
}

/**
 * compiledOnce with the values as one array, for a statement with hundreds of them (a multi-row
 * insert): no spread of them per run, and none copied when they are bound in the order given.
 */
export function compiledOnceForList<R>(build: (db: Executor, marks: readonly string[]) => Compilable<R>): (db: Executor, values: readonly unknown[]) => Promise<R[]> {
  const compiled = new WeakMap<object, { query: CompiledQuery<R>; slots: number[] | null }>();
  return async (db, values) => {
    const adapter = db.getExecutor().adapter;
    let kept = compiled.get(adapter);
    if (!kept) {
      const marks = values.map((_, i) => `${MARK}${i}\u0000`);
      const query = build(db, marks).compile();
      // Linear, not quadratic: a 200-row insert has 3,200 marks.
      const index = new Map(marks.map((m, i) => [m, i]));
      const slots = query.parameters.map((p) => index.get(p as string) ?? -1);
      if (slots.some((i) => i < 0) || new Set(slots).size !== marks.length || query.sql.includes(MARK)) {
        throw new Error('compiledOnce: every value must be a bound parameter, and every parameter one of the values');
      }
      kept = { query, slots: slots.length === marks.length && slots.every((s, i) => s === i) ? null : slots };
      compiled.set(adapter, kept);
    }
    const { query, slots } = kept;
    return (await db.executeQuery<R>({ ...query, parameters: slots ? slots.map((i) => values[i]) : values })).rows;
  };
}
