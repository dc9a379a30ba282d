import { krypt, makeSandbox, type CliResult } from '../helpers/cli.js';
import { kryptInProcess } from '../helpers/in-process.js';
import type { TestServer } from '../helpers/server.js';
import { createApiClient, type AssignableRole } from '../../src/lib/api/client.js';

// Arrangement for the team command tests: people join through the real invite API (the CLI side
// of inviting and redeeming has its own tests), and each person runs the real binary in their own
// KRYPT_CONFIG_DIR.

export type Krypt = (args: string[], opts?: { input?: string; env?: Record<string, string | undefined> }) => Promise<CliResult>;

/** A person at a terminal: their own sandbox, logged in with `token`, running the real binary. */
export function person(server: TestServer, token: string): { run: Krypt; cwd: string; home: string; token: string } {
  return personWith(krypt, server, token);
}

/**
 * The same person, but each command runs inside the test process through the same pipeline
 * (test/helpers/in-process.ts): for commands where a separate process adds nothing.
 */
export function personInProcess(server: TestServer, token: string): { run: Krypt; cwd: string; home: string; token: string } {
  return personWith(kryptInProcess, server, token);
}

function personWith(runner: typeof krypt, server: TestServer, token: string) {
  const box = makeSandbox();
  const base = { ...box.env, KRYPT_API_URL: server.url, KRYPT_TOKEN: token };
  const run: Krypt = (args, opts = {}) => runner(args, { cwd: box.cwd, env: { ...base, ...opts.env }, input: opts.input });
  return { run, cwd: box.cwd, home: box.home, token };
}

/** The typed API client, for arranging state without going through the command under test. */
export function api(server: TestServer, token: string) {
  return createApiClient({ apiUrl: server.url, token, command: 'test' });
}

/** Invites `email` to `project` with `role` as `ownerToken`, redeems the code, and returns the new member's API key. */
export async function join(server: TestServer, ownerToken: string, project: string, email: string, role: AssignableRole): Promise<string> {
  const { code } = await api(server, ownerToken).createInvite(project, { email, role });
  const redeemed = await createApiClient({ apiUrl: server.url }).redeemInvite(code);
  return redeemed.token;
}

/** Parses the one JSON document a `--json` run printed, with a readable failure. */
export function json<T = Record<string, unknown>>(res: CliResult): T {
  try {
    return JSON.parse(res.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${res.code}): ${res.stdout}\nstderr: ${res.stderr}`);
  }
}
