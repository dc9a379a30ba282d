#!/usr/bin/env node
// `npm run demo`: a dev server on a free port, a project, a pushed .env, and `krypt run` printing an
// injected value; then the server stops. Everything happens in a temporary directory.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'bin', 'run.js');
if (!existsSync(join(root, 'dist', 'commands'))) {
  console.error('demo: building first (npm run build)…');
  const built = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
}

const dir = mkdtempSync(join(tmpdir(), 'krypt-demo-'));
const server = spawn(process.execPath, [bin, 'server', 'start', '--dev', '--port', '0', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'inherit'] });
const exports = {};
for await (const line of createInterface({ input: server.stdout })) {
  const m = /^export (KRYPT_API_URL|KRYPT_TOKEN)=(.*)$/.exec(line);
  if (m) exports[m[1]] = m[2];
  if (exports.KRYPT_API_URL && exports.KRYPT_TOKEN) break;
}

const env = { ...process.env, ...exports, KRYPT_CONFIG_DIR: join(dir, 'krypt-config') };
function step(args, label = `krypt ${args.join(' ')}`) {
  console.error(`\n$ ${label}`);
  const res = spawnSync(process.execPath, [bin, ...args], { cwd: dir, env, stdio: 'inherit' });
  if (res.status !== 0) {
    server.kill('SIGTERM');
    process.exit(res.status ?? 1);
  }
}

let code = 0;
try {
  step(['projects', 'create', 'demo']);
  step(['init', '--project', 'demo']);
  writeFileSync(join(dir, '.env'), 'DATABASE_URL=postgres://demo:s3cret@localhost/demo\nGREETING="hello from krypt"\n');
  console.error(`\n(wrote ${join(dir, '.env')} with DATABASE_URL and GREETING)`);
  step(['push', '--yes']);
  step(['run', '--', 'node', '-e', 'console.log("GREETING is:", process.env.GREETING)'], `krypt run -- node -e 'console.log("GREETING is:", process.env.GREETING)'`);
} catch (err) {
  console.error(err);
  code = 1;
} finally {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
  console.error('\nDemo done; the dev server has stopped.');
}
process.exit(code);
