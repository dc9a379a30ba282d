import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { krypt, kryptOnTerminal, makeSandbox } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// `krypt pull` replaces a file: before it does, it works out what only the file has (keys the
// server lacks, comments, export prefixes, or a file it cannot read), asks on a terminal, refuses
// without one unless --force, and never empties a file silently. Key names only, never values.

const MARK = 'Zq9MARK'; // part of every local-only value: never printed
const HAND_WRITTEN = `# local settings\nexport A=old\nLOCAL_ONLY=${MARK}\n`;

describe('krypt pull over an existing file', () => {
  let server: TestServer;
  const box = makeSandbox();
  let env: Record<string, string>;
  const k = (args: string[]) => krypt(args, { cwd: box.cwd, env });
  const file = (name: string) => join(box.cwd, name);
  const read = (name: string) => readFileSync(file(name), 'utf8');

  beforeAll(async () => {
    server = await startTestServer({ dialect: 'sqlite' });
    env = { ...box.env, KRYPT_API_URL: server.url, KRYPT_TOKEN: server.token, KRYPT_PROJECT: 'keep' };
    expect((await server.call('POST', '/v1/projects', { body: { slug: 'keep' } })).status).toBe(201);
    expect((await server.call('PATCH', '/v1/projects/keep/environments/development/secrets', { body: { set: { A: 'remote-a', B: 'remote-b' } } })).status).toBe(200);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('replaces a file without asking when nothing would be lost, as before', async () => {
    writeFileSync(file('.env'), "A='stale'\n");
    const res = await k(['pull']);
    expect(res).toMatchObject({ code: 0, stdout: '' });
    expect(res.stderr).toBe('Wrote 2 keys from keep/development to .env (revision 1).\n');
    expect(read('.env')).toBe("A='remote-a'\nB='remote-b'\n");
    expect((await k(['pull'])).code).toBe(0); // its own output again
  });

  it('without a terminal refuses to drop local keys, comments and export prefixes, leaving the file untouched', async () => {
    writeFileSync(file('.env'), HAND_WRITTEN);
    const res = await k(['pull']);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(
      'Error: .env has what keep/development does not, and pulling would drop it: keys only in the file: LOCAL_ONLY; 1 comment; export prefixes: A\n' +
        'Hint: send the file\'s keys first with `krypt push --file .env`, or pass --force to replace .env anyway\n',
    );
    expect(read('.env')).toBe(HAND_WRITTEN);
    const json = await k(['pull', '--json']);
    expect(json.code).toBe(1);
    expect(json.stdout).toBe('');
    expect(JSON.parse(json.stderr).error.code).toBe('would_lose_local_data');
    expect(read('.env')).toBe(HAND_WRITTEN);
    for (const r of [res, json]) expect(r.stderr).not.toContain(MARK);
  });

  it('--force replaces it and says what was dropped', async () => {
    writeFileSync(file('.env'), HAND_WRITTEN);
    const res = await k(['pull', '--force', '--json']);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ keys: 2, dropped: { localOnlyKeys: ['LOCAL_ONLY'], comments: 1, exportPrefixes: ['A'] } });
    expect(res.stderr).toContain('Warning: replaced .env, dropping keys only in the file: LOCAL_ONLY; 1 comment; export prefixes: A\n');
    expect(read('.env')).toBe("A='remote-a'\nB='remote-b'\n");
    expect(statSync(file('.env')).mode & 0o777).toBe(0o600);
    expect(res.stderr).not.toContain(MARK);
  });

  it('on a terminal shows what would be dropped and asks: no leaves the file (exit 130), yes replaces it', async () => {
    writeFileSync(file('.env'), HAND_WRITTEN);
    const no = await kryptOnTerminal(['pull'], { cwd: box.cwd, env, prompt: 'Replace .env?', answer: 'n\r' });
    expect(no.output).toContain('Pulling keep/development over .env would drop (values not shown):\r\n  keys only in the file: LOCAL_ONLY\r\n  1 comment\r\n  export prefixes: A\r\n');
    expect(no.output).toContain('Error: pull cancelled; .env unchanged');
    expect(no.code).toBe(130);
    expect(read('.env')).toBe(HAND_WRITTEN);
    const yes = await kryptOnTerminal(['pull'], { cwd: box.cwd, env, prompt: 'Replace .env?', answer: 'y\r' });
    expect(yes.code).toBe(0);
    expect(yes.output).toContain('Wrote 2 keys from keep/development to .env');
    expect(read('.env')).toBe("A='remote-a'\nB='remote-b'\n");
    for (const r of [no, yes]) expect(r.output).not.toContain(MARK);
  });

  it('json and yaml: keys only in the local file, or a file that cannot be read in the format, count as lost', async () => {
    writeFileSync(file('c.json'), JSON.stringify({ A: 'x', LOCAL_JSON: MARK }));
    const json = await k(['pull', '--format', 'json', '--out', 'c.json']);
    expect(json.code).toBe(1);
    expect(json.stderr).toMatch(/^Error: c\.json has what keep\/development does not, and pulling would drop it: keys only in the file: LOCAL_JSON\n/);
    writeFileSync(file('c.yaml'), `A: x\nB: [${MARK}\n`);
    const yaml = await k(['pull', '--format', 'yaml', '--out', 'c.yaml']);
    expect(yaml.code).toBe(1);
    expect(yaml.stderr).toMatch(/^Error: c\.yaml has what .*: it cannot be read as yaml \(c\.yaml:\d+: not valid YAML\), so all of it\n/);
    writeFileSync(file('.env'), `A=1\nthis is not dotenv ${MARK}\n`);
    const env = await k(['pull']);
    expect(env.code).toBe(1);
    expect(env.stderr).toMatch(/^Error: \.env has what .*: it cannot be read as env \(\.env:2: not a KEY=VALUE line\), so all of it\n/);
    for (const r of [json, yaml, env]) expect(r.stderr).not.toContain(MARK);
    expect(read('c.json')).toContain(MARK);
    // A file holding only keys the server has is replaced as before.
    writeFileSync(file('c.json'), '{"A": "old"}');
    expect((await k(['pull', '--format', 'json', '--out', 'c.json'])).code).toBe(0);
    expect(JSON.parse(read('c.json'))).toEqual({ A: 'remote-a', B: 'remote-b' });
  });

  it('shell, docker and github-env files it wrote are replaced again; a hand-edited one is not', async () => {
    for (const format of ['shell', 'docker', 'github-env']) {
      const out = `again.${format}`;
      expect((await k(['pull', '--format', format, '--out', out])).code).toBe(0);
      expect((await k(['pull', '--format', format, '--out', out])).code).toBe(0);
      writeFileSync(file(out), `${read(out)}EXTRA=${MARK}\n`);
      const res = await k(['pull', '--format', format, '--out', out]);
      expect(res.code, format).toBe(1);
      expect(res.stderr).toMatch(format === 'shell' ? /it cannot be read as shell \(again\.shell:3: not a line `krypt pull --format shell` writes\)/ : /keys only in the file: EXTRA/);
      expect(res.stderr).not.toContain(MARK);
    }
  });

  it('never empties a file without saying so: an empty environment is refused, and warned about with --force', async () => {
    writeFileSync(file('.env'), `A=1\n`);
    const refused = await k(['pull', '--env', 'staging']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^Error: \.env has what keep\/staging does not, and pulling would drop it: keys only in the file: A\n/);
    expect(read('.env')).toBe('A=1\n');
    const forced = await k(['pull', '--env', 'staging', '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toContain('Warning: keep/staging has no keys: .env (4 bytes before) is now empty\n');
    expect(read('.env')).toBe('');
    // Nothing to lose (blank lines only), but still not silently emptied.
    writeFileSync(file('.env'), '\n\n');
    const blank = await k(['pull', '--env', 'staging']);
    expect(blank.code).toBe(0);
    expect(blank.stderr).toContain('Warning: keep/staging has no keys: .env (2 bytes before) is now empty\n');
  });

  it('--out into a directory that does not exist: a clear error naming it, and nothing written', async () => {
    const res = await k(['pull', '--out', 'config/staging.env']);
    expect(res).toMatchObject({ code: 1, stdout: '' });
    expect(res.stderr).toBe('Error: cannot write config/staging.env: its directory does not exist\nHint: create its directory first (mkdir -p config), or choose another --out\n');
  });

  it('--stdout and --check are unaffected', async () => {
    writeFileSync(file('.env'), HAND_WRITTEN);
    const stdout = await k(['pull', '--stdout']);
    expect(stdout).toMatchObject({ code: 0, stdout: "A='remote-a'\nB='remote-b'\n" });
    const check = await k(['pull', '--check']);
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(/differs from the server: 1 missing, 1 changed, 1 extra/);
    expect(read('.env')).toBe(HAND_WRITTEN);
  });
});
