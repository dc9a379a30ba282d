import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, makeSandbox, sh } from '../helpers/cli.js';
import { kryptInProcess } from '../helpers/in-process.js';
import { createTestPgDatabase } from '../helpers/pg.js';
import { killServerProcesses, startServerProcess } from '../helpers/server-process.js';
import { until } from '../helpers/until.js';

// `krypt server init` and `krypt server start`: where the master key may and may not go. Servers
// that listen are real processes (their argv, environment and signals are under test); commands
// that finish run in process through the same pipeline (test/helpers/in-process.ts).

afterEach(killServerProcesses);


function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name));
}

describe('krypt server init / start (SQLite data dir)', () => {
  it('keeps the master key out of the data directory, the environment and argv; refuses a wrong or env key', async () => {
    const box = makeSandbox();
    const dataDir = join(box.home, 'data');
    const keyFile = join(box.home, 'master.key');
    const init = await kryptInProcess(['server', 'init', '--data-dir', dataDir, '--master-key-out', keyFile, '--email', 'ops@example.com'], { cwd: box.cwd, env: box.env });
    expect(init.stderr).toContain('Initialised');
    expect(init.code).toBe(0);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const keyHex = readFileSync(keyFile, 'utf8').trim();
    expect(keyHex).toMatch(/^[0-9a-f]{64}$/);
    expect(init.stdout).not.toContain(keyHex);
    const token = /^api-key: (krypt_\S+)$/m.exec(init.stdout)![1]!;

    const again = await kryptInProcess(['server', 'init', '--data-dir', dataDir], { cwd: box.cwd, env: box.env });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already initialised/);

    const server = await startServerProcess(['--data-dir', dataDir, '--master-key-file', keyFile, '--port', '0', '--session-max', '2h'], box.env);
    const login = await kryptInProcess(['login', '--api-url', server.url, '--token-stdin'], { cwd: box.cwd, env: box.env, input: token });
    expect(login.code).toBe(0);
    // --session-max sets a dashboard session's absolute lifetime (the cookie's Max-Age)
    const link = await kryptInProcess(['open', '--json'], { cwd: box.cwd, env: box.env });
    const code = new URLSearchParams(new URL((JSON.parse(link.stdout) as { url: string }).url).hash.slice(1)).get('code');
    const signIn = await fetch(`${server.url}/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
    expect(signIn.status).toBe(201);
    expect(signIn.headers.get('set-cookie')).toMatch(/; Max-Age=7200; /);
    expect((await kryptInProcess(['projects', 'create', 'svc'], { cwd: box.cwd, env: box.env })).code).toBe(0);
    expect((await kryptInProcess(['set', '-p', 'svc', 'DB_PASSWORD=hunter2-value'], { cwd: box.cwd, env: box.env })).code).toBe(0);

    const environ = readFileSync(`/proc/${server.child.pid}/environ`, 'latin1');
    const cmdline = readFileSync(`/proc/${server.child.pid}/cmdline`, 'latin1');
    const raw = Buffer.from(keyHex, 'hex');
    for (const text of [environ, cmdline]) {
      expect(text).not.toContain(keyHex);
      expect(text).not.toContain(keyHex.toUpperCase());
    }
    for (const file of filesUnder(dataDir)) {
      const bytes = readFileSync(file);
      expect(bytes.includes(Buffer.from(keyHex))).toBe(false);
      expect(bytes.includes(raw)).toBe(false);
      expect(bytes.includes(Buffer.from('hunter2-value'))).toBe(false);
    }

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.stderr()).toContain('stopped');

    const wrongFile = join(box.home, 'wrong.key');
    writeFileSync(wrongFile, randomBytes(32).toString('hex'));
    const wrong = await kryptInProcess(['server', 'start', '--data-dir', dataDir, '--master-key-file', wrongFile, '--port', '0'], { cwd: box.cwd, env: box.env });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^Error: the master key does not match this instance/m);

    const fromEnv = await kryptInProcess(['server', 'start', '--data-dir', dataDir, '--port', '0'], { cwd: box.cwd, env: { ...box.env, KRYPT_MASTER_KEY: keyHex } });
    expect(fromEnv.code).toBe(1);
    expect(fromEnv.stderr).toMatch(/KRYPT_MASTER_KEY/);
    expect(fromEnv.stderr).not.toContain(keyHex);

    const badIdle = await kryptInProcess(['server', 'start', '--data-dir', dataDir, '--master-key-file', keyFile, '--session-idle', '0m', '--port', '0'], { cwd: box.cwd, env: box.env });
    expect(badIdle.code).toBe(1);
    expect(badIdle.stderr).toMatch(/--session-idle must be longer than zero/);
    const longLink = await kryptInProcess(['server', 'start', '--data-dir', dataDir, '--master-key-file', keyFile, '--sign-in-link-ttl', '3m', '--port', '0'], { cwd: box.cwd, env: box.env });
    expect(longLink.code).toBe(1);
    expect(longLink.stderr).toMatch(/^Error: --sign-in-link-ttl may be at most 2m/m);
    const garbage = await kryptInProcess(['server', 'start', '--data-dir', dataDir, '--port', '0'], { cwd: box.cwd, env: box.env, input: 'not-a-key\n' });
    expect(garbage.code).toBe(1);
    expect(garbage.stderr).toMatch(/^Error: /);

    const viaStdin = await startServerProcess(['--data-dir', dataDir, '--port', '0'], box.env, { input: keyHex + '\n' });
    const get = await kryptInProcess(['get', '-p', 'svc', 'DB_PASSWORD', '--api-url', viaStdin.url], { cwd: box.cwd, env: box.env });
    expect(get.stdout).toBe('hunter2-value\n');
    viaStdin.child.kill('SIGINT');
    expect(await viaStdin.exited).toBe(0);
  });

  it('refuses a non-loopback address without TLS', async () => {
    const box = makeSandbox();
    const res = await kryptInProcess(['server', 'start', '--dev', '--host', '0.0.0.0', '--port', '0'], { cwd: box.cwd, env: box.env });
    const dataDir = join(box.home, 'data');
    await kryptInProcess(['server', 'init', '--data-dir', dataDir, '--master-key-out', join(box.home, 'k')], { cwd: box.cwd, env: box.env });
    const open = await kryptInProcess(['server', 'start', '--data-dir', dataDir, '--master-key-file', join(box.home, 'k'), '--host', '0.0.0.0', '--port', '0'], { cwd: box.cwd, env: box.env });
    expect(open.code).toBe(1);
    expect(open.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without TLS/);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/--dev listens on 127\.0\.0\.1 only/);
  });

  it('--dev prints exactly the two export lines on stdout, and everything else on stderr', async () => {
    const box = makeSandbox();
    const dev = await startServerProcess(['--dev', '--port', '0'], box.env);
    await until(() => /^export KRYPT_TOKEN=.*\n/m.test(dev.stdout()), { what: 'the export lines on stdout' });
    const lines = dev.stdout().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(`export KRYPT_API_URL=${dev.url}`);
    expect(lines[1]).toMatch(/^export KRYPT_TOKEN=krypt_[A-Za-z0-9_-]{43}$/);
    expect(lines[2]).toBe('');
    const token = lines[1]!.split('=')[1]!;
    const who = await kryptInProcess(['whoami', '--json'], { cwd: box.cwd, env: { ...box.env, KRYPT_API_URL: dev.url, KRYPT_TOKEN: token } });
    expect(JSON.parse(who.stdout).user.email).toBe('dev@krypt.local');
    dev.child.kill('SIGTERM');
    expect(await dev.exited).toBe(0);
    // Nothing else reached stdout before it shut down.
    expect(dev.stdout()).toBe(lines.join('\n'));
  });
});

describe('krypt server init --master-key-out', () => {
  it('creates the key file before the instance: an unwritable path fails (exit 1) and creates nothing', async () => {
    const box = makeSandbox();
    const dataDir = join(box.home, 'data');
    const missing = join(box.home, 'missing', 'master.key');
    for (const json of [false, true]) {
      const res = await kryptInProcess(['server', 'init', '--data-dir', dataDir, '--master-key-out', missing, ...(json ? ['--json'] : [])], { cwd: box.cwd, env: box.env });
      expect(res.code).toBe(1);
      expect(res.stdout).toBe('');
      const message = `cannot create the master key file ${missing}: its directory does not exist`;
      if (json) expect(JSON.parse(res.stderr).error).toMatchObject({ code: 'master_key_out_unwritable', message });
      else expect(res.stderr).toMatch(new RegExp(`^Error: ${message.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\nHint: `));
      expect(res.stderr).not.toMatch(/master key (written|instead)|Initialised/i);
      expect(existsSync(missing)).toBe(false);
    }
    // An existing file is never overwritten, and refused before the instance exists too.
    const taken = join(box.home, 'taken.key');
    writeFileSync(taken, 'keep me\n');
    const exists = await kryptInProcess(['server', 'init', '--data-dir', dataDir, '--master-key-out', taken], { cwd: box.cwd, env: box.env });
    expect(exists.code).toBe(1);
    expect(exists.stderr).toMatch(/^Error: cannot create the master key file .*taken\.key: it already exists/m);
    expect(readFileSync(taken, 'utf8')).toBe('keep me\n');

    // No instance was created: a second init on the same data directory works.
    const keyFile = join(box.home, 'master.key');
    const ok = await kryptInProcess(['server', 'init', '--data-dir', dataDir, '--master-key-out', keyFile, '--json'], { cwd: box.cwd, env: box.env });
    expect(ok.code).toBe(0);
    const result = JSON.parse(ok.stdout);
    expect(result).toMatchObject({ masterKeyFile: keyFile, token: expect.stringMatching(/^krypt_/) });
    expect(result.masterKey).toBeUndefined();
    expect(readFileSync(keyFile, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    // A failed init removes the file it created for the key.
    const other = join(box.home, 'other.key');
    const again = await kryptInProcess(['server', 'init', '--data-dir', dataDir, '--master-key-out', other], { cwd: box.cwd, env: box.env });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already initialised/);
    expect(existsSync(other)).toBe(false);
  });

  it('prints the key once, truthfully, when writing it fails after the instance exists', async () => {
    // ulimit -f 0: the key file can be created but not written (EFBIG). PostgreSQL storage, so the
    // instance itself needs no local file.
    for (const json of [true, false]) {
      const pg = await createTestPgDatabase();
      try {
        const box = makeSandbox();
        const keyFile = join(box.home, 'master.key');
        const res = await sh(`ulimit -f 0; exec '${process.execPath}' '${BIN}' server init --database-url '${pg.url}' --master-key-out '${keyFile}'${json ? ' --json' : ''}`, { cwd: box.cwd, env: box.env });
        expect(res.code, res.stderr).toBe(1);
        expect(res.stderr).toMatch(new RegExp(`could not write the master key to ${keyFile.replace(/[.]/g, '\\.')} \\(EFBIG\\)`));
        expect(res.stderr).not.toMatch(/Master key written/);
        expect(existsSync(keyFile)).toBe(false);
        let key: string;
        if (json) {
          const result = JSON.parse(res.stdout); // exactly one JSON document
          expect(result).toMatchObject({ masterKey: expect.stringMatching(/^[0-9a-f]{64}$/), masterKeyOutError: { file: keyFile, code: 'EFBIG' }, token: expect.stringMatching(/^krypt_/) });
          expect(result.masterKeyFile).toBeUndefined();
          key = result.masterKey;
          expect(res.stderr).not.toContain(key);
        } else {
          const keys = [...res.stdout.matchAll(/^master-key: ([0-9a-f]{64})$/gm)];
          expect(keys).toHaveLength(1);
          expect(res.stdout).toMatch(/^api-key: krypt_\S+$/m);
          key = keys[0]![1]!;
          expect(res.stderr).not.toContain(key);
        }
        // The printed key is the instance's key: a wrong one is refused at start-up.
        const server = await startServerProcess(['--database-url', pg.url, '--port', '0'], box.env, { input: key + '\n' });
        expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
        await server.stop();
      } finally {
        await pg.drop();
      }
    }
  });
});
