import { sql } from 'kysely';
import type { Executor } from './schema.js';

// Failed-credential counters shared by replicas (PostgreSQL only): one row per client address and
// fixed window, `count` failures recorded in it. The rate-limit service decides; this runs its SQL.

export interface FailureWindow {
  /** Start of the current window (ms since the epoch, a multiple of the window's length). */
  start: number;
  /** Start of the window before it. */
  previousStart: number;
  /** How much of the previous window's count still weighs (1 at the current window's start, 0 at its end). */
  previousWeight: number;
}

export interface CountedFailure {
  /** The current window's count including this failure, or null when it was refused (not recorded). */
  recorded: number | null;
  /** The previous window's count (0 when none). */
  previous: number;
  /** The current window's count before this failure, as this statement's snapshot saw it (0 when none). */
  current: number;
}

/**
 * Records one failure of `address` in the current window if the estimate
 * `floor(previous × previousWeight) + current + 1` stays within `maxFailures`. One statement, one round
 * trip; the increment is atomic (ON CONFLICT DO UPDATE re-checks its WHERE on the latest row
 * version, under the row lock), so concurrent failures on any replicas never overshoot.
 */
export async function countFailure(db: Executor, address: string, window: FailureWindow, maxFailures: number): Promise<CountedFailure> {
  const { rows } = await sql<{ recorded: number | null; previous: number | null; current: number | null }>`
    WITH prev AS (
      SELECT count FROM auth_failures WHERE address = ${address} AND window_start = ${window.previousStart}
    ), budget AS (
      SELECT ${maxFailures} - floor(coalesce((SELECT count FROM prev), 0) * CAST(${window.previousWeight} AS double precision)) AS allowed
    ), recorded AS (
      INSERT INTO auth_failures AS f (address, window_start, count)
      SELECT ${address}, ${window.start}, 1 FROM budget WHERE allowed >= 1
      ON CONFLICT (address, window_start) DO UPDATE SET count = f.count + 1
        WHERE f.count + 1 <= (SELECT allowed FROM budget)
      RETURNING f.count
    )
    SELECT (SELECT count FROM recorded) AS recorded,
           (SELECT count FROM prev) AS previous,
           (SELECT count FROM auth_failures WHERE address = ${address} AND window_start = ${window.start}) AS current`.execute(db);
  const row = rows[0];
  return { recorded: row?.recorded ?? null, previous: row?.previous ?? 0, current: row?.current ?? 0 };
}

/** Forgets windows that started before `start` (they no longer weigh on any estimate). */
export async function deleteFailuresBefore(db: Executor, start: number): Promise<void> {
  await db.deleteFrom('auth_failures').where('window_start', '<', start).execute();
}
