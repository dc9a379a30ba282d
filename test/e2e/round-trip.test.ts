import { chmodSync, cpSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import dotenv from 'dotenv';
import YAML from 'yaml';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { krypt, kryptShell, makeSandbox, sh, type CliResult } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { startPythonDotenv } from '../fixtures/envfile/readers.js';

// The daily loop through the real binary against a real server on 127.0.0.1:0, in a temporary
// KRYPT_CONFIG_DIR and working directory, on both storage engines. Each test arranges its own
// workspace (a logged-in config dir, a project of its own, values written through the API), so
// any one of them runs alone; after each, its stderr and the server's log are searched for values.

const PEM = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nbm90IGEgcmVhbCBrZXk+/=\n-----END PRIVATE KEY-----';
const HARD: Record<string, string> = {
  PEM,
  SINGLE_QUOTE: "it's mine",
  DOUBLE_QUOTE: 'say "hi" loudly',
  BOTH_QUOTES: `it's "both"`,
  DOLLAR: '$HOME and ${PATH} stay literal',
  HASH: 'abc#def # not a comment',
  EQUALS: 'a=b==c',
  UNICODE: 'héllo wörld 🚀 日本語',
  EMPTY: '',
  SPACES: '  padded both sides  ',
  BACKSLASH: 'C:\\temp\\new',
};
// python-dotenv expands ${PATH} however it is quoted, so `--format env` refuses DOLLAR: the rest
// is what an env pull must carry to npm dotenv and python-dotenv alike.
const ENV_HARD = Object.fromEntries(Object.entries(HARD).filter(([key]) => key !== 'DOLLAR'));
// A .env as a person writes it; dotenv.parse of it gives HARD exactly.
const DOTENV = [
  '# hard values',
  `PEM="${PEM}"`,
  `SINGLE_QUOTE="it's mine"`,
  `DOUBLE_QUOTE='say "hi" loudly'`,
  'BOTH_QUOTES=`it\'s "both"`',
  "DOLLAR='$HOME and ${PATH} stay literal'",
  "HASH='abc#def # not a comment'",
  'EQUALS=a=b==c',
  'UNICODE=héllo wörld 🚀 日本語',
  'EMPTY=',
  "SPACES='  padded both sides  '",
  "BACKSLASH='C:\\temp\\new'",
  '',
].join('\n');

/** Mirrors GitHub's $GITHUB_ENV reader: NAME=value lines and NAME<<DELIM heredocs. */
function parseGithubEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const body: string[] = [];
      while (lines[++i] !== heredoc[2]) body.push(lines[i]!);
      out[heredoc[1]!] = body.join('\n');
    } else {
      const eq = line.indexOf('=');
      out[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  return out;
}

describe.each(['sqlite', 'postgres'] as const)('round trip through bin/run.js (%s)', (dialect) => {
  let server: TestServer;
  /** A config dir logged in once by `krypt login`; every workspace starts from a copy of it. */
  let loggedIn: string;
  let runs: CliResult[] = [];
  let projects = 0;
  const python = startPythonDotenv();

  type Run = (args: string[], opts?: { input?: string; env?: Record<string, string | undefined> }) => Promise<CliResult>;
  const runner =
    (box: ReturnType<typeof makeSandbox>): Run =>
    async (args, opts = {}) => {
      const res = await krypt(args, { cwd: box.cwd, env: { ...box.env, ...opts.env }, input: opts.input });
      runs.push(res);
      return res;
    };

  /** A logged-in sandbox; with `values`, bound to a new project whose development holds them. */
  async function workspace(values?: Record<string, string>) {
    const box = makeSandbox();
    cpSync(loggedIn, box.configDir, { recursive: true });
    const project = `app-${++projects}`;
    if (values) {
      expect((await server.call('POST', '/v1/projects', { body: { slug: project } })).status).toBe(201);
      expect((await server.call('PATCH', `/v1/projects/${project}/environments/development/secrets`, { body: { set: values } })).status).toBe(200);
      writeFileSync(join(box.cwd, '.krypt'), JSON.stringify({ project, environment: 'development' }) + '\n');
    }
    return { box, project, k: runner(box) };
  }

  beforeAll(async () => {
    server = await startTestServer({ dialect });
    expect(dotenv.parse(DOTENV)).toEqual(HARD);
    const box = makeSandbox();
    const login = await krypt(['login', '--api-url', server.url, '--token-stdin'], { cwd: box.cwd, env: box.env, input: server.token + '\n' });
    expect(login.code, login.stderr).toBe(0);
    loggedIn = box.configDir;
  });
  afterAll(async () => {
    python.close();
    await server?.close();
  });
  beforeEach(() => {
    runs = [];
  });
  afterEach(() => {
    // PRODUCT.md §2: no secret value (nor the API key) in the CLI's stderr or the server's log.
    const values = Object.values(HARD).filter((v) => v.trim().length >= 6);
    const stderr = runs.map((r) => r.stderr).join('\n');
    const logs = server.logs();
    expect(logs.length).toBeGreaterThan(0);
    for (const value of [...values, server.token]) {
      expect(stderr).not.toContain(value);
      expect(logs).not.toContain(value);
    }
  });

  it('logs in with --token-stdin, verified against the server, into a 0700 dir and 0600 file', async () => {
    const box = makeSandbox();
    const k = runner(box);
    const res = await k(['login', '--api-url', server.url, '--token-stdin'], { input: server.token + '\n' });
    expect(res.stderr).toContain('Logged in to');
    expect(res.code).toBe(0);
    expect(statSync(box.configDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(box.configDir, 'config.json')).mode & 0o777).toBe(0o600);
    const bad = await k(['login', '--api-url', server.url, '--token-stdin'], { input: 'krypt_wrong\n' });
    expect(bad.code).toBe(4);
    expect(JSON.parse(readFileSync(join(box.configDir, 'config.json'), 'utf8')).token).toBe(server.token);
  });

  it('tightens a config file and directory that are too open, and says so', async () => {
    const { box, k } = await workspace();
    chmodSync(join(box.configDir, 'config.json'), 0o644);
    chmodSync(box.configDir, 0o755);
    const res = await k(['whoami']);
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/tightened to 0600/);
    expect(res.stderr).toMatch(/tightened to 0700/);
    expect(statSync(join(box.configDir, 'config.json')).mode & 0o777).toBe(0o600);
    expect(statSync(box.configDir).mode & 0o777).toBe(0o700);
  });

  it('creates a project, binds the directory and pushes hard values: the server holds them exactly', async () => {
    const { box, k } = await workspace();
    expect((await k(['projects', 'create', 'my-app'])).code).toBe(0);
    expect((await k(['init', '--project', 'my-app'])).code).toBe(0);
    expect(JSON.parse(readFileSync(join(box.cwd, '.krypt'), 'utf8'))).toEqual({ project: 'my-app', environment: 'development' });
    expect(readFileSync(join(box.cwd, '.gitignore'), 'utf8')).toContain('.krypt\n');
    writeFileSync(join(box.cwd, '.env'), DOTENV);
    const refused = await k(['push']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/--yes/);
    const pushed = await k(['push', '--yes']);
    expect(pushed.code).toBe(0);
    expect(pushed.stderr).toContain('+ PEM');
    expect((await server.call('GET', '/v1/projects/my-app/environments/development/secrets')).json.secrets).toEqual(HARD);
    const again = await k(['push', '--yes', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ applied: false, diff: { added: [], changed: [], removed: [] } });
  });

  it('pulls byte-identical values in every format it can represent them in', async () => {
    const { box, k } = await workspace(HARD);
    const refused = await k(['pull', '--out', 'pulled.env']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^Error: value of DOLLAR cannot be written in env format: python-dotenv cannot read it back/m);
    expect(refused.stderr).toMatch(/^Hint: use --format json or --format yaml/m);
    const envBox = await workspace(ENV_HARD);
    const env = await envBox.k(['pull', '--out', 'pulled.env']);
    expect(env.code).toBe(0);
    const pulled = join(envBox.box.cwd, 'pulled.env');
    expect(statSync(pulled).mode & 0o777).toBe(0o600);
    expect(dotenv.parse(readFileSync(pulled, 'utf8'))).toEqual(ENV_HARD);
    expect((await python.read([readFileSync(pulled, 'utf8')]))[0]).toEqual(ENV_HARD);

    const json = await k(['pull', '--stdout', '--format', 'json']);
    expect(JSON.parse(json.stdout)).toEqual(HARD);
    const yaml = await k(['pull', '--stdout', '--format', 'yaml']);
    expect(YAML.parse(yaml.stdout)).toEqual(HARD);

    const shell = await k(['pull', '--format', 'shell', '--out', 'env.sh']);
    expect(shell.code).toBe(0);
    const sourced = spawnSync('sh', ['-c', `. ./env.sh && node -e 'const o={};for(const k of JSON.parse(process.argv[1]))o[k]=process.env[k];process.stdout.write(JSON.stringify(o))' '${JSON.stringify(Object.keys(HARD))}'`], { cwd: box.cwd, encoding: 'utf8', env: { PATH: box.env.PATH } });
    expect(JSON.parse(sourced.stdout)).toEqual(HARD);

    const gh = await k(['pull', '--stdout', '--format', 'github-env']);
    expect(parseGithubEnv(gh.stdout)).toEqual(HARD);

    const docker = await k(['pull', '--stdout', '--format', 'docker']);
    expect(docker.code).toBe(1);
    expect(docker.stdout).toBe('');
    expect(docker.stderr).toMatch(/PEM/);
    const dockerOnly = await k(['pull', '--stdout', '--format', 'docker', '--env', 'staging']);
    expect(dockerOnly.code).toBe(0);
  });

  it('pull --check exits 0 when the file matches, 1 when it differs, and writes nothing', async () => {
    const { box, k } = await workspace(ENV_HARD);
    expect((await k(['pull', '--out', 'pulled.env'])).code).toBe(0);
    expect((await k(['pull', '--check', '--out', 'pulled.env'])).code).toBe(0);
    writeFileSync(join(box.cwd, 'stale.env'), 'PEM=old\n');
    const res = await k(['pull', '--check', '--out', 'stale.env']);
    expect(res.code).toBe(1);
    expect(readFileSync(join(box.cwd, 'stale.env'), 'utf8')).toBe('PEM=old\n');
  });

  it('run hands the child every value exactly, without KRYPT_TOKEN', async () => {
    const { box, k } = await workspace(HARD);
    const res = await k(['run', '--', 'node', '-e', 'process.stdout.write(JSON.stringify(process.env))'], {
      env: { KRYPT_TOKEN: server.token, KRYPT_API_URL: server.url },
    });
    expect(res.code).toBe(0);
    const childEnv = JSON.parse(res.stdout) as Record<string, string>;
    for (const [key, value] of Object.entries(HARD)) expect(childEnv[key]).toBe(value);
    expect(childEnv.KRYPT_TOKEN).toBeUndefined();
    expect(childEnv.HOME).toBe(box.home);
  });

  it('run passes the exit code through, and 128+n for a signal', async () => {
    const { k } = await workspace(HARD);
    expect((await k(['run', '--', 'sh', '-c', 'exit 42'])).code).toBe(42);
    expect((await k(['run', '--', 'sh', '-c', 'kill -TERM $$'])).code).toBe(143);
    expect((await k(['run', '--command', 'test "$EQUALS" = "a=b==c"'])).code).toBe(0);
    const both = await k(['run', '--command', 'true', '--', 'true']);
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/^Error: /);
  });

  it('get prints raw values for $(krypt get KEY), and nothing for a missing key', async () => {
    const { box, k } = await workspace(HARD);
    const sub = await sh(`v="$(${kryptShell(['get', 'PEM'])})"; printf '%s' "$v"`, { cwd: box.cwd, env: box.env });
    expect(sub.stdout).toBe(PEM);
    const one = await k(['get', 'SPACES']);
    expect(one.stdout).toBe(HARD.SPACES + '\n');
    expect((await k(['get', '-n', 'UNICODE'])).stdout).toBe(HARD.UNICODE);
    expect((await k(['get', 'EQUALS', 'HASH'])).stdout).toBe(`${HARD.EQUALS}\n${HARD.HASH}\n`);
    expect(JSON.parse((await k(['get', 'EMPTY', 'DOLLAR', '--json'])).stdout)).toEqual({ EMPTY: '', DOLLAR: HARD.DOLLAR });
    const missing = await k(['get', 'MISSING']);
    expect(missing.stdout).toBe('');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^Error: MISSING not set/);
    const missingJson = await k(['get', 'MISSING', '--json']);
    expect(missingJson.stdout).toBe('');
    expect(missingJson.code).toBe(2);
    expect(JSON.parse(missingJson.stderr).error.code).toBe('secret_not_found');
  });

  it('set, unset and secrets list', async () => {
    const { k } = await workspace({});
    expect((await k(['set', 'NEW_ONE=1', 'NEW_TWO=two words'])).code).toBe(0);
    expect((await k(['set', 'MULTI', '--stdin'], { input: 'line1\nline2\n' })).code).toBe(0);
    expect((await k(['get', '-n', 'MULTI'])).stdout).toBe('line1\nline2\n');
    const list = await k(['secrets', 'list']);
    expect(list.stdout).toMatch(/^MULTI\t1\t/m);
    expect(list.stdout).not.toContain('line1');
    expect((await k(['unset', 'NEW_ONE'])).code).toBe(0);
    expect((await k(['get', 'NEW_ONE'])).code).toBe(2);
    const again = await k(['unset', 'NEW_ONE']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^Error: NEW_ONE not set in /);
  });

  it('refuses bad input clearly and changes nothing', async () => {
    const { box, k } = await workspace(HARD);
    const before = JSON.parse((await k(['secrets', 'list', '--json'])).stdout).revision as number;
    writeFileSync(join(box.cwd, 'bad.env'), 'GOOD=1\nthis line is garbage sk_live_123\n');
    const malformed = await k(['push', '--file', 'bad.env', '--yes']);
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toMatch(/bad\.env:2/);
    expect(malformed.stderr).not.toContain('sk_live_123');
    const badKey = await k(['set', '1BAD=x']);
    expect(badKey.code).toBe(1);
    expect(badKey.stderr).toMatch(/^Error: key "1BAD" is not a valid name/);
    const big = await k(['set', 'BIG', '--stdin'], { input: 'x'.repeat(64 * 1024 + 1) });
    expect(big.code).toBe(1);
    const unknown = await k(['get', 'PEM', '--project', 'no-such-project']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^Error: /);
    expect(unknown.stderr).toMatch(/Hint: /);
    const badEnv = await k(['get', 'PEM', '--env', 'qa']);
    expect(badEnv.code).toBe(1);
    expect(JSON.parse((await k(['secrets', 'list', '--json'])).stdout).revision).toBe(before);
  });
});
