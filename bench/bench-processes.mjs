// The child processes of the server benches (server-throughput.mjs, soak.mjs): a scratch
// directory, `node ...` children that announce `listening on URL`, `krypt ...` runs, the
// PostgreSQL admin connection for a throw-away database, and clean-up of all of it on any way out
// (normal end, error, Ctrl-C: children stopped, the database dropped, the directory removed).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';

const bin = join(resolve(import.meta.dirname, '..'), 'bin', 'run.js');
export const PG_ADMIN_URL = process.env.KRYPT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const log = (line) => process.stderr.write(`${line}\n`);

/** The scratch directory `krypt-NAME-*` and the helpers that start, run and stop children in it. */
export function benchProcesses(name) {
  const scratch = mkdtempSync(join(tmpdir(), `krypt-${name}-`));
  // What the children see: nothing that could point them at a user's real config.
  const childEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: scratch, NO_COLOR: '1' };
  const children = new Set();
  let dropDatabase;
  let cleaning;

  /** Stops every child, drops the database (if one was made) and removes the scratch directory. */
  function cleanup() {
    cleaning ??= (async () => {
      await Promise.all([...children].map((c) => stopChild(c)));
      if (dropDatabase) await dropDatabase().catch((err) => log(`could not drop the ${name} database: ${err.message}`));
      rmSync(scratch, { recursive: true, force: true });
    })();
    return cleaning;
  }
  process.on('exit', () => {
    for (const c of children) c.kill('SIGKILL');
    rmSync(scratch, { recursive: true, force: true });
  });
  process.once('SIGINT', () => {
    log('interrupted: cleaning up');
    void cleanup().finally(() => process.exit(130));
  });

  /** SIGTERM, SIGKILL after 5 s; resolves with how it exited (code or signal). */
  function stopChild(child) {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode ?? child.signalCode);
    return new Promise((res) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', (code, signal) => (clearTimeout(timer), res(code ?? signal)));
      child.kill('SIGTERM');
    });
  }

  /** Spawns `node ARGS` and resolves with { label, child, url, stderr } once it prints `listening on URL` on stderr. */
  function startListening(label, args) {
    const child = spawn(process.execPath, args, { env: childEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    children.add(child);
    const proc = { label, child, url: undefined, stderr: '' };
    child.on('exit', () => children.delete(child));
    return new Promise((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`${label} did not listen within 20 s: ${proc.stderr}`)), 20_000);
      child.stderr.on('data', (c) => {
        // Everything it says after the ready line is a warning or worse (--log-level warn): kept for the report.
        proc.stderr += c;
        const m = !proc.url && /listening on (http:\/\/\S+)/.exec(proc.stderr);
        if (m) {
          proc.url = m[1];
          proc.stderr = proc.stderr.slice(proc.stderr.indexOf(m[0]) + m[0].length).replace(/^\n/, '');
          clearTimeout(timer);
          res(proc);
        }
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        rej(new Error(`${label} exited (${code ?? signal}) before listening: ${proc.stderr}`));
      });
    });
  }

  /** Runs `krypt ARGS`; resolves with code, output and wall time in ms (never rejects on a non-zero exit). */
  function krypt(args, { cwd = scratch, env = {} } = {}) {
    return new Promise((res, rej) => {
      const t0 = performance.now();
      const child = spawn(process.execPath, [bin, ...args], { cwd, env: { ...childEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      children.add(child);
      let out = '';
      let err = '';
      child.stdout.on('data', (c) => (out += c));
      child.stderr.on('data', (c) => (err += c));
      child.on('error', rej);
      child.on('close', (code) => {
        children.delete(child);
        res({ code, stdout: out, stderr: err, ms: performance.now() - t0 });
      });
    });
  }

  return {
    bin,
    scratch,
    cleanup,
    stopChild,
    startListening,
    krypt,
    /** Remembers how to drop the bench's database at clean-up. */
    dropDatabaseOnCleanup: (fn) => (dropDatabase = fn),
  };
}

/** Runs `fn(client)` on a connection to PostgreSQL's admin database (to create or drop a bench database). */
export async function withAdmin(fn) {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
