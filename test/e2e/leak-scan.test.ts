import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { krypt, makeSandbox, type CliResult } from '../helpers/cli.js';
import { createTestPgDatabase, type TestPgDatabase } from '../helpers/pg.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

// PRODUCT.md §2: secret values never appear in logs, error messages or debug output. One full flow
// with debug on everywhere — a real `krypt server start --log-level debug` process and every CLI run
// with KRYPT_DEBUG=1 — then every byte of stderr, the server's whole output and any log file in its
// data directory is searched for every secret value, API key, invite code and the master key.
// stdout is searched too, except for the commands whose job is to print a secret (`byDesign`).

const PEM = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCleakscan\nbm90IGEgcmVhbCBrZXk+/=Zq9leak\n-----END PRIVATE KEY-----';
const SECRETS: Record<string, string> = {
  PEM,
  QUOTES: `it's "quoted" leak-7f3a`,
  UNICODE: 'pässwörd-🚀-日本語-leak-91c2',
  DOLLAR: '$HOME_${PATH}_leak-55e1',
  PLAIN: 'sk_live_leakscan_0b4f9d7e2a',
  SPACES: '  padded leak-3d8e  ',
};
const DOTENV = [
  `PEM="${PEM}"`,
  'QUOTES=`it\'s "quoted" leak-7f3a`',
  'UNICODE=pässwörd-🚀-日本語-leak-91c2',
  "DOLLAR='$HOME_${PATH}_leak-55e1'",
  'PLAIN=sk_live_leakscan_0b4f9d7e2a',
  "SPACES='  padded leak-3d8e  '",
  '',
].join('\n');
const STDIN_VALUE = 'stdin-set-leak-\u00e9\u00e8-"q"-c0ffee\nsecond line leak-c0ffee';
const MEMBER_PROD = 'member-prod-leak-a11ce-✓';
const BAD_INPUT = 'bad-input-leak-dead01';
const WRONG_KEY = 'krypt_wrongkeyleakscan0123456789abcdefABCDEF';
const WRONG_MASTER = 'ab'.repeat(32);

interface Run extends CliResult {
  label: string;
  /** stdout holds secrets on purpose (get, pull --stdout, cr show --reveal, run's child, keys create...). */
  byDesign: boolean;
}


/** Every form a secret could take in text: itself, JSON-escaped, and each long line of a multi-line value. */
function forms(value: string): string[] {
  const out = new Set([value, JSON.stringify(value).slice(1, -1)]);
  for (const line of value.split('\n')) if (line.trim().length >= 8) out.add(line.trim());
  return [...out];
}

describe.each(['sqlite', 'postgres'] as const)('leak scan: debug output and logs never hold a secret (%s, real server process)', (dialect) => {
  const ownerBox = makeSandbox();
  const memberBox = makeSandbox();
  const dataDir = join(ownerBox.home, 'data');
  const keyFile = join(ownerBox.home, 'master.key');
  const runs: Run[] = [];
  const needles = new Map<string, string>();
  const errorBodies: Array<{ what: string; status: number; text: string }> = [];
  const debugEnv = { KRYPT_DEBUG: '1' };
  let server: ServerProcess;
  const serverOutputs: Array<{ label: string; text: string }> = [];
  let pgDb: TestPgDatabase | undefined;
  const storage = () => (pgDb ? ['--database-url', pgDb.url] : ['--data-dir', dataDir]);

  const run = async (label: string, args: string[], opts: { member?: boolean; input?: string; env?: Record<string, string>; byDesign?: boolean } = {}) => {
    const box = opts.member ? memberBox : ownerBox;
    const res = await krypt(args, { cwd: box.cwd, env: { ...box.env, ...debugEnv, ...opts.env }, input: opts.input });
    runs.push({ ...res, label, byDesign: opts.byDesign ?? false });
    return res;
  };
  const remember = (what: string, secret: string) => {
    for (const f of forms(secret)) needles.set(f, what);
  };

  beforeAll(async () => {
    for (const [k, v] of Object.entries(SECRETS)) remember(`secret ${k}`, v);
    remember('secret set --stdin', STDIN_VALUE);
    remember('member production value', MEMBER_PROD);
    remember('value given with a bad key name', BAD_INPUT);
    remember('wrong API key', WRONG_KEY);
    remember('wrong master key', WRONG_MASTER);

    if (dialect === 'postgres') pgDb = await createTestPgDatabase();
    const init = await run('server init', ['server', 'init', ...storage(), '--master-key-out', keyFile], { byDesign: true });
    expect(init.code, init.stderr).toBe(0);
    const masterKey = readFileSync(keyFile, 'utf8').trim();
    expect(masterKey).toMatch(/^[0-9a-f]{64}$/);
    remember('master key', masterKey);
    const token = /^api-key: (\S+)$/m.exec(init.stdout)![1]!;
    remember('initial API key', token);

    const wrongKeyFile = join(ownerBox.home, 'wrong.key');
    writeFileSync(wrongKeyFile, WRONG_MASTER + '\n', { mode: 0o600 });
    const refused = await startServerProcess([...storage(), '--master-key-file', wrongKeyFile, '--port', '0', '--log-level', 'debug'], { ...ownerBox.env, ...debugEnv }, { cwd: ownerBox.cwd }).then(
      (s) => s.stop().then(() => 'started'),
      (err: Error) => err.message,
    );
    expect(refused).toMatch(/^server exited 1: /);
    serverOutputs.push({ label: 'server start (wrong master key)', text: refused });

    server = await startServerProcess([...storage(), '--master-key-file', keyFile, '--port', '0', '--log-level', 'debug'], { ...ownerBox.env, ...debugEnv }, { cwd: ownerBox.cwd });
    const login = await run('login', ['login', '--api-url', server.url, '--token-stdin'], { input: token + '\n' });
    expect(login.code, login.stderr).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await pgDb?.drop();
  });

  it('creates, pushes and pulls in every format with KRYPT_DEBUG=1 and --log-level debug', async () => {
    expect((await run('projects create', ['projects', 'create', 'leak'])).code).toBe(0);
    expect((await run('init', ['init', '--project', 'leak'])).code).toBe(0);
    writeFileSync(join(ownerBox.cwd, '.env'), DOTENV);
    const pushed = await run('push', ['push', '--yes']);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stderr).toMatch(/^krypt\[debug\] http PATCH \/v1\/projects\/leak\/environments\/development\/secrets -> 200 in /m);

    for (const format of ['json', 'yaml', 'shell', 'github-env']) {
      const res = await run(`pull ${format}`, ['pull', '--format', format, '--out', `pulled.${format}`]);
      expect(res.code, res.stderr).toBe(0);
    }
    // DOLLAR holds ${PATH}, which python-dotenv would expand whatever the quoting: the env format
    // refuses it, naming the key (never the value; the scan checks that too).
    const env = await run('pull env (refused: ${...})', ['pull', '--format', 'env', '--out', 'pulled.env']);
    expect([env.code, env.stderr]).toEqual([1, expect.stringContaining('DOLLAR')]);
    expect(JSON.parse(readFileSync(join(ownerBox.cwd, 'pulled.json'), 'utf8'))).toEqual(SECRETS);
    expect((await run('pull --stdout', ['pull', '--stdout', '--format', 'json'], { byDesign: true })).code).toBe(0);
    const docker = await run('pull docker (refused: multi-line)', ['pull', '--stdout', '--format', 'docker']);
    expect(docker.code).toBe(1);
  });

  it('reads, runs and sets with KRYPT_DEBUG=1 (get, run --command/--mask, set --stdin)', async () => {
    const get = await run('get', ['get', 'PEM', 'UNICODE'], { byDesign: true });
    expect(get.stdout).toBe(`${PEM}\n${SECRETS.UNICODE}\n`);
    expect(get.stderr).toMatch(/^krypt\[debug\] 304: offline copy revision \d+ is current$/m);
    expect((await run('get --json', ['get', 'QUOTES', '--json'], { byDesign: true })).code).toBe(0);

    const child = await run('run', ['run', '--', process.execPath, '-e', 'process.stdout.write(String(Object.keys(process.env).includes("PLAIN")))'], { byDesign: true });
    expect(child.stdout).toBe('true');
    expect(child.stderr).toMatch(/^krypt\[debug\] spawn .*node with 2 args and \d+ variables$/m);
    expect((await run('run --command', ['run', '--command', 'test -n "$PEM"'])).code).toBe(0);
    expect((await run('run --mask', ['run', '--mask', '--', 'sh', '-c', 'echo "$PLAIN"'])).stdout).toBe('*****\n');

    const set = await run('set --stdin', ['set', 'FROM_STDIN', '--stdin'], { input: STDIN_VALUE });
    expect(set.code, set.stderr).toBe(0);
    expect((await run('get stdin', ['get', '-n', 'FROM_STDIN'], { byDesign: true })).stdout).toBe(STDIN_VALUE);
    expect((await run('secrets list', ['secrets', 'list'])).code).toBe(0);
    expect((await run('set prod', ['set', '-e', 'prod', 'PLAIN=sk_live_leakscan_0b4f9d7e2a'])).code).toBe(0);
  });

  it('invites a member who proposes a production change; the owner reviews it', async () => {
    const invite = await run('members invite', ['members', 'invite', 'mia@example.com', '--role', 'member', '-p', 'leak'], { byDesign: true });
    expect(invite.code, invite.stderr).toBe(0);
    const argv = invite.stdout.trim().split(' ');
    const code = argv[argv.indexOf('--invite') + 1]!;
    remember('invite code', code);
    const joined = await run('login --invite', argv.slice(1), { member: true });
    expect(joined.code, joined.stderr).toBe(0);
    remember('member API key', JSON.parse(readFileSync(join(memberBox.configDir, 'config.json'), 'utf8')).token);
    const reused = await run('login --invite (used twice)', argv.slice(1), { member: true });
    expect(reused.code).toBe(2);

    writeFileSync(join(memberBox.cwd, '.env'), `PLAIN=${MEMBER_PROD}\n`);
    const proposed = await run('member push production', ['push', '-p', 'leak', '--env', 'production', '--yes'], { member: true });
    expect(proposed.stderr).toContain('Change request #1 created');
    expect((await run('cr list', ['cr', 'list', '-p', 'leak'])).code).toBe(0);
    const masked = await run('cr show', ['cr', 'show', '1', '-p', 'leak']);
    expect(masked.code).toBe(0);
    const revealed = await run('cr show --reveal', ['cr', 'show', '1', '-p', 'leak', '--reveal'], { byDesign: true });
    expect(revealed.stdout).toContain(MEMBER_PROD);
  });

  it('creates keys and a service token, and refuses wrong keys', async () => {
    const personal = await run('keys create', ['keys', 'create', '--name', 'laptop'], { byDesign: true });
    expect(personal.code, personal.stderr).toBe(0);
    remember('personal API key', personal.stdout.trim());
    const service = await run('keys create --service', ['keys', 'create', '--service', '-p', 'leak', '-e', 'development'], { byDesign: true });
    remember('service token', service.stdout.trim());
    const ci = { KRYPT_TOKEN: service.stdout.trim(), KRYPT_API_URL: server.url };
    expect((await run('service run', ['run', '-p', 'leak', '-e', 'dev', '--', 'true'], { env: ci })).code).toBe(0);
    expect((await run('service set (refused)', ['set', '-p', 'leak', 'PLAIN=' + BAD_INPUT], { env: ci })).code).toBe(4);
    expect((await run('keys list', ['keys', 'list'])).code).toBe(0);

    const wrong = await run('login wrong key', ['login', '--api-url', server.url, '--token-stdin'], { input: WRONG_KEY + '\n', member: true });
    expect(wrong.code).toBe(4);
    expect((await run('get wrong KRYPT_TOKEN', ['get', 'PLAIN', '-p', 'leak'], { env: { KRYPT_TOKEN: WRONG_KEY } })).code).toBe(4);
    expect((await run('whoami wrong KRYPT_TOKEN', ['whoami'], { env: { KRYPT_TOKEN: WRONG_KEY } })).code).toBe(4);
  });

  it('refuses bad input without echoing it', async () => {
    expect((await run('set bad key', ['set', `1BAD=${BAD_INPUT}`])).code).toBe(1);
    writeFileSync(join(ownerBox.cwd, 'bad.env'), `GOOD=1\nthis line is garbage ${BAD_INPUT}\n`);
    expect((await run('push malformed', ['push', '--file', 'bad.env', '--yes'])).code).toBe(1);
    expect((await run('set too big', ['set', 'BIG', '--stdin'], { input: BAD_INPUT.repeat(5000) })).code).toBe(1);
    expect((await run('get unknown project', ['get', 'PLAIN', '--project', 'no-such'])).code).toBe(2);
    expect((await run('get bad env', ['get', 'PLAIN', '--env', 'qa'])).code).toBe(1);
  });

  /** Gives development's PLAIN the ciphertext of QUOTES: well-formed, but its HMAC no longer matches. */
  async function tamper(): Promise<void> {
    const select = "SELECT s.key, s.value FROM secrets s JOIN environments e ON e.id = s.environment_id WHERE e.name = 'development' AND s.key IN ('PLAIN', 'QUOTES') ORDER BY s.key";
    const update = "UPDATE secrets SET value = $new WHERE key = 'PLAIN' AND value = $old";
    if (pgDb) {
      const client = new pg.Client({ connectionString: pgDb.url });
      await client.connect();
      const rows = (await client.query<{ value: string }>(select)).rows;
      await client.query(update.replace('$new', '$1').replace('$old', '$2'), [rows[1]!.value, rows[0]!.value]);
      await client.end();
      return;
    }
    const db = new Database(join(dataDir, 'krypt.db'));
    db.pragma('busy_timeout = 5000');
    const rows = db.prepare(select).all() as Array<{ value: string }>;
    db.prepare(update.replace('$new', '?').replace('$old', '?')).run(rows[1]!.value, rows[0]!.value);
    db.close();
  }

  it('error responses carry no SQL, stack trace or file path (a tampered value forces a 500)', async () => {
    const token = JSON.parse(readFileSync(join(ownerBox.configDir, 'config.json'), 'utf8')).token as string;
    const call = async (what: string, method: string, path: string, body?: string, auth: string | null = token) => {
      const headers: Record<string, string> = {};
      if (auth) headers.authorization = `Bearer ${auth}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(server.url + path, { method, headers, ...(body !== undefined ? { body } : {}) });
      const text = await res.text();
      errorBodies.push({ what, status: res.status, text });
      return res.status;
    };
    const env = '/v1/projects/leak/environments/development/secrets';
    expect(await call('no auth', 'GET', env, undefined, null)).toBe(401);
    expect(await call('wrong key', 'GET', env, undefined, WRONG_KEY)).toBe(401);
    expect(await call('bad key name', 'PATCH', env, JSON.stringify({ set: { '1BAD': BAD_INPUT } }))).toBe(400);
    expect(await call('value too long', 'PATCH', env, JSON.stringify({ set: { OK: BAD_INPUT.repeat(5000) } }))).toBeGreaterThanOrEqual(400);
    expect(await call('broken JSON', 'PATCH', env, `{"set":{"OK":"${BAD_INPUT}"`)).toBe(400);
    expect(await call('unknown field', 'PATCH', env, JSON.stringify({ set: {}, value: BAD_INPUT }))).toBe(400);
    expect(await call('invite redeem bad code', 'POST', '/v1/invites/redeem', JSON.stringify({ code: WRONG_KEY }), null)).toBeGreaterThanOrEqual(400);
    expect(await call('no route', 'GET', '/v1/nope')).toBe(404);

    await tamper();
    // A damaged row fails its own read (the bulk read leaves it out and names it: 200 + damaged).
    expect(await call('tampered value', 'GET', `${env}/PLAIN`)).toBe(500);
    // The server keeps the values it decrypted and authenticated for this revision and serves those
    // to bulk reads (the authentic value, never the tampered one); a write moves the revision, and
    // the next bulk read decrypts the stored rows again and finds the damage.
    const moved = await fetch(server.url + env, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ set: { MOVED_ON: 'x' } }),
    });
    expect(moved.status).toBe(200);
    // The offline copy is current (the revision did not move), so a held copy would answer with a 304.
    expect((await run('cache clear', ['cache', 'clear'])).code).toBe(0);
    const cli = await run('get tampered', ['get', 'PLAIN', '--no-fallback']);
    expect(cli.code).toBe(2);

    for (const { what, status, text } of errorBodies) {
      const where = `${what} (HTTP ${status}): ${text}`;
      expect(JSON.parse(text).error.code, where).toEqual(expect.any(String));
      expect(text, where).not.toMatch(/\bSELECT\b|\bINSERT\b|\bUPDATE\b|\bFROM\b|sqlite|SQLITE_|postgres|constraint/i);
      expect(text, where).not.toContain('    at ');
      expect(text, where).not.toMatch(/\/(work|home|tmp|usr|node_modules|src|dist)\/|\.(ts|js):\d+/);
    }
  });

  it('finds no secret, key, invite code or master key in any stderr, log or non-data stdout', async () => {
    await server.stop();
    serverOutputs.push({ label: 'server start --log-level debug', text: server.stdout() + server.stderr() });
    const haystacks: Array<{ where: string; text: string }> = [];
    for (const [i, r] of runs.entries()) {
      haystacks.push({ where: `#${i} ${r.label}: stderr`, text: r.stderr });
      if (!r.byDesign) haystacks.push({ where: `#${i} ${r.label}: stdout`, text: r.stdout });
    }
    for (const s of serverOutputs) haystacks.push({ where: s.label, text: s.text });
    for (const name of pgDb ? [] : readdirSync(dataDir)) {
      const file = join(dataDir, name);
      if (/^krypt\.db(-wal|-shm|-journal)?$/.test(name) || !statSync(file).isFile()) continue;
      haystacks.push({ where: `data dir file ${name}`, text: readFileSync(file, 'utf8') });
    }

    const serverLog = serverOutputs.at(-1)!.text;
    expect(serverLog).toMatch(/"msg":"request handled"/);
    expect(serverLog).toMatch(/"route":"\/v1\/projects\/:slug\/environments\/:env\/secrets","status":200/);
    expect(serverLog).toMatch(/"keysSetCount":\d+/);
    expect(runs.map((r) => r.stderr).join('')).toMatch(/krypt\[debug\] config dir /);
    expect(needles.size).toBeGreaterThan(15);

    const hits: string[] = [];
    for (const { where, text } of haystacks) {
      for (const [needle, what] of needles) {
        if (text.includes(needle)) hits.push(`${what} (${JSON.stringify(needle.slice(0, 24))}…) found in ${where}`);
      }
    }
    expect(hits, hits.join('\n')).toEqual([]);
  });
});
