// The server's entry points, loaded only when a server command runs: the command registry (every
// command, loaded at each dispatch) must not pull in Fastify, Kysely, pg and better-sqlite3.

/** The server entry module (src/server/entry/index.ts). */
export const serverEntry = () => import('../../server/entry/index.js');
export type ServerEntry = Awaited<ReturnType<typeof serverEntry>>;
