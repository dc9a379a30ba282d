import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveKeys, encryptValue } from '../../src/server/crypto/value-crypto.js';
import { krypt, makeSandbox } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// What the CLI reads from users (a .env file, stdin) must be UTF-8 text an environment can hold:
// invalid UTF-8 and NUL characters are refused before anything reaches the server, naming the
// file, line and key but never the value. Values stored before those checks (a NUL) stop
// `krypt run` with the key's name instead of a spawn failure for the whole environment.

const PROJECT = 'enc';
const MARK = 'Zq9MARK'; // part of every refused value: it must never be printed

describe('invalid UTF-8, UTF-16 and NUL in what the CLI reads', () => {
  let server: TestServer;
  const box = makeSandbox();
  let env: Record<string, string>;
  const k = (args: string[], input?: string | Buffer) => krypt(args, { cwd: box.cwd, env, input });
  const revision = async (): Promise<number> => (await server.call('GET', `/v1/projects/${PROJECT}/environments/development/secrets`)).json.revision;
  const file = (name: string, bytes: Buffer | string) => writeFileSync(join(box.cwd, name), bytes);

  beforeAll(async () => {
    server = await startTestServer({ dialect: 'sqlite' });
    env = { ...box.env, KRYPT_API_URL: server.url, KRYPT_TOKEN: server.token, KRYPT_PROJECT: PROJECT };
    expect((await server.call('POST', '/v1/projects', { body: { slug: PROJECT } })).status).toBe(201);
    expect((await server.call('PATCH', `/v1/projects/${PROJECT}/environments/development/secrets`, { body: { set: { KEEP: 'kept' } } })).status).toBe(200);
  });
  afterAll(async () => {
    await server?.close();
  });

  const LATIN1 = Buffer.concat([Buffer.from('# settings\nPLAIN=ok\nNAME=caf'), Buffer.from([0xe9]), Buffer.from(`${MARK}\n`)]);
  const LATIN1_ERROR = 'Error: .env:3: not valid UTF-8 (in the value of NAME; the file looks like Latin-1/Windows-1252)\n';

  it('push refuses a Latin-1 .env naming file, line and key, and sends nothing', async () => {
    file('.env', LATIN1);
    const before = await revision();
    const res = await k(['push', '--yes']);
    expect(res.code).toBe(1);
    expect(res.stderr.startsWith(LATIN1_ERROR), res.stderr).toBe(true);
    expect(res.stderr).toContain('Hint: convert it: iconv -f latin1 -t utf-8 .env > .env.utf8');
    expect(res.stderr).not.toContain(MARK);
    expect(res.stdout).toBe('');
    expect(await revision()).toBe(before);
  });

  it('diff and pull --check refuse the same file the same way', async () => {
    file('.env', LATIN1);
    const diff = await k(['diff']);
    expect(diff.code).toBe(1);
    expect(diff.stderr.startsWith(LATIN1_ERROR), diff.stderr).toBe(true);
    const check = await k(['pull', '--check']);
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(/^Error: \S*\.env:3: not valid UTF-8 \(in the value of NAME; the file looks like Latin-1\/Windows-1252\)$/m);
    for (const res of [diff, check]) expect(res.stderr).not.toContain(MARK);
  });

  it('names Windows-1252 when the file has bytes only that code page defines', async () => {
    file('cp.env', Buffer.concat([Buffer.from('PRICE=5'), Buffer.from([0x80]), Buffer.from(`${MARK}\n`)]));
    const res = await k(['push', '--yes', '--file', 'cp.env', '--json']);
    expect(res.code).toBe(1);
    const { error } = JSON.parse(res.stderr);
    expect(error).toEqual({
      code: 'not_utf8',
      message: 'cp.env:1: not valid UTF-8 (in the value of PRICE; the file looks like Latin-1/Windows-1252)',
      hint: 'convert it: iconv -f windows-1252 -t utf-8 cp.env > cp.env.utf8',
    });
  });

  it.each([
    ['UTF-16 LE with a BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`A=${MARK}\n`, 'utf16le')]), 'little-endian', 'utf-16le'],
    ['UTF-16 BE with a BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(`A=${MARK}\n`, 'utf16le').swap16()]), 'big-endian', 'utf-16be'],
    ['UTF-16 LE without a BOM', Buffer.from(`A=${MARK}\nB=2\n`, 'utf16le'), 'little-endian', 'utf-16le'],
  ])('says a %s file is UTF-16 and how to save it as UTF-8', async (_name, bytes, order, iconv) => {
    file('wide.env', bytes);
    const before = await revision();
    const res = await k(['push', '--yes', '--file', 'wide.env']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`Error: wide.env: saved as UTF-16 (${order}), not UTF-8\n`);
    expect(res.stderr).toContain(`iconv -f ${iconv} -t utf-8 wide.env > wide.env.utf8`);
    expect(res.stderr).not.toMatch(/not a KEY=VALUE line/);
    expect(res.stderr).not.toContain(MARK);
    expect(await revision()).toBe(before);
  });

  it('accepts and strips a UTF-8 byte order mark', async () => {
    file('bom.env', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('BOM_FIRST=café\n')]));
    const res = await k(['push', '--yes', '--file', 'bom.env', '--json']);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout).diff.added).toEqual(['BOM_FIRST']);
    expect((await k(['get', 'BOM_FIRST'])).stdout).toBe('café\n');
    expect((await k(['diff', '--file', 'bom.env'])).stderr).not.toMatch(/BOM_FIRST/);
    // A JSON file saved with a BOM (Notepad does) is read too.
    const doc = (await k(['pull', '--stdout', '--format', 'json'])).stdout;
    file('bom.json', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(doc)]));
    const check = await k(['pull', '--check', '--format', 'json', '--out', 'bom.json']);
    expect(check.stderr).toMatch(/bom\.json matches enc\/development/);
    expect(check.code).toBe(0);
  });

  it('set --stdin refuses invalid UTF-8 naming the key, and sends nothing', async () => {
    const before = await revision();
    const res = await k(['set', 'FROM_STDIN', '--stdin'], Buffer.concat([Buffer.from(`line1 ${MARK}\nline2 caf`), Buffer.from([0xe9, 0x0a])]));
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^Error: stdin:2: not valid UTF-8 \(in the value of FROM_STDIN; .*Latin-1\/Windows-1252\)$/m);
    expect(res.stderr).toMatch(/^Hint: .*iconv -f latin1 -t utf-8 .*krypt set FROM_STDIN --stdin/m);
    expect(res.stderr).not.toContain(MARK);
    expect(await revision()).toBe(before);
  });

  it('refuses a NUL in a .env value (push, diff) and on stdin, naming the key, never the value', async () => {
    file('nul.env', `OK=1\n\nHAS_NUL="${MARK}\0tail"\n`);
    const before = await revision();
    const push = await k(['push', '--yes', '--file', 'nul.env']);
    expect(push.code).toBe(1);
    expect(push.stderr).toContain('Error: nul.env:3: the value of HAS_NUL contains a NUL character, which no program can receive in its environment\n');
    const diff = await k(['diff', '--file', 'nul.env']);
    expect(diff.code).toBe(1);
    expect(diff.stderr).toContain('Error: nul.env:3: the value of HAS_NUL contains a NUL character');
    const stdin = await k(['set', 'NUL_STDIN', '--stdin'], `${MARK}\0tail`);
    expect(stdin.code).toBe(1);
    expect(stdin.stderr).toContain('Error: the value of NUL_STDIN contains a NUL character, which no program can receive in its environment\n');
    for (const res of [push, diff, stdin]) expect(res.stderr).not.toContain(MARK);
    expect(await revision()).toBe(before);
  });
});

describe('NUL characters on the server and in stored values', () => {
  let server: TestServer;
  const box = makeSandbox();
  let env: Record<string, string>;
  const path = `/v1/projects/${PROJECT}/environments/development/secrets`;

  beforeAll(async () => {
    server = await startTestServer({ dialect: 'sqlite' });
    env = { ...box.env, KRYPT_API_URL: server.url, KRYPT_TOKEN: server.token, KRYPT_PROJECT: PROJECT };
    expect((await server.call('POST', '/v1/projects', { body: { slug: PROJECT } })).status).toBe(201);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('the API refuses a NUL in a value with 400 naming the key, and stores nothing', async () => {
    const res = await server.call('PATCH', path, { body: { set: { FINE: 'ok', BAD_NUL: `${MARK}\u0000x` } } });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('validation');
    expect(res.json.error.message).toContain('set.BAD_NUL');
    expect(res.json.error.message).toMatch(/NUL/);
    expect(res.text).not.toContain(MARK);
    expect((await server.call('GET', path)).json).toMatchObject({ revision: 0, secrets: {} });
  });

  it('run refuses a stored NUL value before spawning, naming the key; --only OTHER still works', async () => {
    expect((await server.call('PATCH', path, { body: { set: { BAD: 'placeholder', OTHER: 'fine' } } })).status).toBe(200);
    // A value stored before the API refused NUL: re-encrypted in place with the server's own crypto.
    const row = await server.db
      .selectFrom('secrets')
      .innerJoin('environments', 'environments.id', 'secrets.environment_id')
      .select(['secrets.version', 'secrets.environment_id', 'environments.project_id'])
      .where('environments.name', '=', 'development')
      .where('secrets.key', '=', 'BAD')
      .executeTakeFirstOrThrow();
    const keys = deriveKeys(Buffer.from(server.masterKey, 'hex'));
    const stored = encryptValue(keys, { projectId: row.project_id, environment: 'development', key: 'BAD', version: row.version }, `${MARK}\0tail`);
    await server.db.updateTable('secrets').set(stored).where('environment_id', '=', row.environment_id).where('key', '=', 'BAD').execute();
    expect((await server.call('GET', `${path}/BAD`)).json.value).toBe(`${MARK}\0tail`);

    const marker = join(box.home, 'spawned');
    const run = await krypt(['run', '--', 'sh', '-c', `touch '${marker}'`], { cwd: box.cwd, env });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'Error: the value of BAD contains a NUL character, which no program can receive in its environment\n' +
        'Hint: replace it: run `krypt set BAD --stdin` with a value without NUL, or leave it out with --only\n',
    );
    expect(existsSync(marker)).toBe(false);
    const shell = await krypt(['run', '--command', `touch '${marker}'`], { cwd: box.cwd, env });
    expect(shell.code).toBe(1);
    expect(shell.stderr).toMatch(/^Error: the value of BAD contains a NUL character/);

    const only = await krypt(['run', '--only', 'OTHER', '--', 'sh', '-c', 'printf %s "$OTHER"'], { cwd: box.cwd, env });
    expect(only).toMatchObject({ code: 0, stdout: 'fine' });
    for (const res of [run, shell, only]) expect(res.stderr).not.toContain(MARK);
  });
});
