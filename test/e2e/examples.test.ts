import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_INS } from '../../src/cli/help.js';
import { TREE } from '../../src/commands/tree.js';
import { createApiClient, isPendingWrite } from '../../src/lib/api/client.js';
import { api } from '../commands/team-fixture.js';
import { krypt, kryptShell, makeSandbox, shellQuote } from '../helpers/cli.js';
import { createTestPgDatabase, type TestPgDatabase } from '../helpers/pg.js';
import { callApi, startTestServer, type TestServer } from '../helpers/server.js';
import { createTestPki, type TestPki } from '../helpers/tls.js';
import { until } from '../helpers/until.js';

// Every example the CLI's help shows (the `examples` of each command definition, and of the
// built-ins completion/help/version), run for real, literally, with `bash -c` and a `krypt` on
// PATH: a broken example fails here. They run as one story in which each is meaningful: you log
// in and set up my-app, work with .env files, invite ana, who proposes production changes that you
// review, operators set up and run instances (SQLite, PostgreSQL, a dev server). Before an example
// runs, only the substitutions written next to it are applied (hosts and paths that don't exist
// here, placeholders for values made earlier); files an example reads are provided instead.
// Each person logs in as the examples show (no KRYPT_TOKEN in their environment), so the login and
// logout examples change something real. One in-process server serves the daily commands; the
// server examples start their own instances, as operators would.
// The last test checks that the examples run here are exactly the examples in the help.

const ALL_EXAMPLES = new Set([
  ...Object.values(TREE.registry).flatMap((c) => c.examples ?? []),
  ...Object.values(BUILT_INS).flatMap((b) => b.examples),
]);
const covered = new Set<string>();

type Sub = [from: string, to: string];

interface Person {
  name: string;
  home: string;
  cwd: string;
  env: Record<string, string>;
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Step {
  /** Replacements applied to the example before it runs (each must occur in it). */
  subs?: Sub[];
  /** Appended to the example's command line (only `--port 0` for servers). */
  append?: string;
  /** Shell lines run after the example, in the same shell, to see what it did (a variable it set); the example's exit code is kept. */
  then?: string;
  env?: Record<string, string>;
  input?: string;
  /** The exit code the example documents (default 0). */
  code?: number;
  /** Run on a pseudo-terminal and type `answer` once `prompt` appears (stdout and stderr are then one stream, in `stdout`). */
  terminal?: { prompt: string; answer: string };
}

const temporary: string[] = [];
/** Server processes still running: SIGKILLed after the tests should one fail before stopping it. */
const running = new Set<ChildProcess>();
const runningPids = new Set<number>();
let shimDir: string;

function person(name: string): Person {
  const box = makeSandbox();
  temporary.push(box.home);
  // npm (under `krypt run -- npm start`) would otherwise look for a newer npm on the network.
  return { name, home: box.home, cwd: box.cwd, env: { ...box.env, PATH: `${shimDir}:${box.env.PATH}`, npm_config_update_notifier: 'false' } };
}

/** The example's text with the step's substitutions applied; records it as covered. */
function prepare(text: string, step: Step): string {
  expect(ALL_EXAMPLES.has(text), `"${text}" is not an example in the help`).toBe(true);
  covered.add(text);
  let script = text;
  for (const [from, to] of step.subs ?? []) {
    expect(script, `substitution of "${from}"`).toContain(from);
    script = script.replaceAll(from, to);
  }
  if (step.append) script += step.append;
  return script;
}

function collect(child: ChildProcess): Promise<Ran> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (c: Buffer) => out.push(c));
  child.stderr?.on('data', (c: Buffer) => err.push(c));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

/** `bash -c SCRIPT` in the person's directory and environment (asynchronous: the test server runs in this process). */
function bash(who: Person, script: string, opts: { env?: Record<string, string>; input?: string } = {}): Promise<Ran> {
  const child = spawn('bash', ['-c', script], { cwd: who.cwd, env: { ...who.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.on('error', () => undefined);
  child.stdin.end(opts.input ?? '');
  return collect(child);
}

/** `bash -c SCRIPT` on a pseudo-terminal (util-linux `script`), typing `answer` once `prompt` appears. */
function bashOnTerminal(who: Person, script: string, terminal: { prompt: string; answer: string }, env: Record<string, string> = {}): Promise<Ran> {
  const child = spawn('script', ['-qec', `bash -c ${shellQuote(script)}`, '/dev/null'], { cwd: who.cwd, env: { ...who.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let answered = false;
  child.stdout.on('data', (c: Buffer) => {
    output += c.toString('utf8');
    if (!answered && output.includes(terminal.prompt)) {
      answered = true;
      child.stdin.write(terminal.answer);
    }
  });
  return collect(child).then((ran) => ({ ...ran, stdout: output }));
}

/** Runs one example to completion and checks its exit code. */
async function example(who: Person, text: string, step: Step = {}): Promise<Ran> {
  let script = prepare(text, step);
  if (step.then) script = `${script}\n__example_code=$?\n${step.then}\nexit $__example_code`;
  const ran = step.terminal ? await bashOnTerminal(who, script, step.terminal, step.env) : await bash(who, script, { env: step.env, input: step.input });
  expect(ran.code, `${who.name}$ ${script}\n--- stdout\n${ran.stdout}\n--- stderr\n${ran.stderr}`).toBe(step.code ?? 0);
  return ran;
}

interface Server {
  url: string;
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then its exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts a long-running example (`krypt server start ...`) and resolves once it prints its
 * `listening on URL` line. bash runs a lone command in place (exec), so the signal reaches the server.
 */
function startExample(who: Person, text: string, step: Step = {}): Promise<Server> {
  const script = prepare(text, step);
  const child = spawn('bash', ['-c', script], { cwd: who.cwd, env: { ...who.env, ...step.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => (running.delete(child), resolve(code))));
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
      const m = /listening on (https?:\/\/\S+)/.exec(err);
      if (m) resolve({ url: m[1]!, stdout: () => out, stderr: () => err, stop: () => (child.kill('SIGTERM'), exited) });
    });
    void exited.then((code) => reject(new Error(`${who.name}$ ${script}\nexited ${code} before listening:\n${err}`)));
  });
}

const portOf = (url: string) => new URL(url).port;
const rows = (tsv: string) => tsv.trimEnd().split('\n').map((line) => line.split('\t'));
const readConfig = (who: Person) => JSON.parse(readFileSync(join(who.home, '.krypt', 'config.json'), 'utf8')) as { apiUrl?: string; token?: string; caFile?: string };
/** The invite code in the `krypt login --invite CODE --api-url URL` line that `members invite` prints. */
const inviteCode = (stdout: string) => /^krypt login --invite (kinv_\S+) --api-url \S+$/m.exec(stdout)![1]!;

describe('every example in the CLI help, run as written', () => {
  let server: TestServer;
  let pki: TestPki;
  let pg: TestPgDatabase;
  let you: Person;
  let ana: Person;
  let anaToken: string;
  const owner = () => api(server, server.token);

  // The examples' servers (krypt.example.com, 127.0.0.1:8080) do not exist here: the test server
  // (in process, SQLite, on a free port) stands in for each.
  const host = (from: string): Sub => [from, server.url];

  beforeAll(async () => {
    shimDir = mkdtempSync(join(tmpdir(), 'krypt-shim-'));
    temporary.push(shimDir);
    // `krypt` on PATH, as installed: the CLI under test (node bin/run.js, or KRYPT_BIN's binary,
    // which carries the client only: `krypt server ...` stays on Node).
    const onNode = kryptShell(['server']).replace(/ 'server'$/, '');
    writeFileSync(join(shimDir, 'krypt'), `#!/bin/sh\nif [ "$1" = server ]; then exec ${onNode} "$@"; fi\nexec ${kryptShell()} "$@"\n`, { mode: 0o755 });
    // Webhooks may reach this machine's receiver (127.0.0.1) here, as with --webhooks-allow-private.
    [server, pg] = await Promise.all([startTestServer({ dialect: 'sqlite', notifications: { allowPrivateWebhooks: true, pollMs: 50 } }), createTestPgDatabase()]);
    pki = createTestPki();
    temporary.push(pki.dir);
    you = person('you');
    ana = person('ana');
  });

  afterAll(async () => {
    for (const child of running) child.kill('SIGKILL');
    for (const pid of runningPids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await server?.close();
    await pg?.drop();
    for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
  });

  it('you log in, create my-app and manage its secrets', async () => {
    // Asks for the API key on a terminal.
    const login = await example(you, 'krypt login --api-url https://krypt.example.com', {
      subs: [host('https://krypt.example.com')],
      terminal: { prompt: 'API key:', answer: server.token + '\r' },
    });
    expect(login.stdout).toContain(`Logged in to ${server.url} as admin@krypt.local`);
    expect(readConfig(you)).toMatchObject({ apiUrl: server.url, token: server.token });

    const who = await example(you, 'krypt whoami');
    expect(who.stdout).toMatch(/^user\tadmin@krypt\.local\t/m);
    expect(who.stdout).toContain(`api url\t${server.url}\tconfig file`);
    expect(JSON.parse((await example(you, 'krypt whoami --json')).stdout)).toMatchObject({ user: { email: 'admin@krypt.local' }, verified: true });

    expect((await example(you, 'krypt projects create my-app')).stderr).toContain('Created project my-app; you are its owner.');
    expect((await example(you, 'krypt list')).stdout).toMatch(/^my-app\towner\t/m);
    expect(JSON.parse((await example(you, 'krypt list --json')).stdout).projects).toMatchObject([{ slug: 'my-app', role: 'owner' }]);
    expect((await example(you, 'krypt init --project my-app')).stderr).toContain('to my-app (development). Added .krypt and .env to .gitignore.');
    expect(JSON.parse(readFileSync(join(you.cwd, '.krypt'), 'utf8'))).toEqual({ project: 'my-app', environment: 'development' });

    const set = await example(you, 'krypt set API_URL=https://api.example.com LOG_LEVEL=debug');
    expect(set.stderr).toContain('Set API_URL, LOG_LEVEL in my-app/development');
    copyFileSync(pki.keyFile, join(you.cwd, 'key.pem'));
    expect((await example(you, 'krypt set TLS_KEY --stdin < key.pem')).stderr).toContain('Set TLS_KEY in my-app/development');
    expect((await owner().getSecrets('my-app', 'development')).secrets.TLS_KEY).toBe(readFileSync(pki.keyFile, 'utf8'));

    // The keys the other examples name, written as teammates would have: DATABASE_URL four times
    // (for history and rollback --version 3), API_KEY twice in production.
    for (let v = 1; v <= 4; v++) await owner().writeSecrets('my-app', 'development', { set: { DATABASE_URL: `postgres://app:pw${v}@db.internal/app` } });
    await owner().writeSecrets('my-app', 'development', { set: { API_KEY: 'sk_test_dev_4eC39Hq', OLD_FLAG: 'true', A: 'alpha', B: 'beta' } });
    await owner().writeSecrets('my-app', 'staging', { set: { API_URL: 'https://staging-api.example.com', LOG_LEVEL: 'info', A: 'alpha', B: 'beta' } });
    await owner().writeSecrets('my-app', 'production', { set: { API_URL: 'https://prod-api.example.com', LOG_LEVEL: 'warn', API_KEY: 'sk_live_first', DATABASE_URL: 'postgres://app@db.prod/app' } });
    await owner().writeSecrets('my-app', 'production', { set: { API_KEY: 'sk_live_second' } });

    const get = await example(you, 'DATABASE_URL=$(krypt get DATABASE_URL)', { then: 'printf "%s\\n" "$DATABASE_URL"' });
    expect(get.stdout).toBe('postgres://app:pw4@db.internal/app\n');
    // No clipboard here: cat shows what pbcopy would be given.
    expect((await example(you, 'krypt get -n API_KEY | pbcopy', { subs: [['| pbcopy', '| cat']] })).stdout).toBe('sk_test_dev_4eC39Hq');
    expect(JSON.parse((await example(you, 'krypt get A B --json')).stdout)).toEqual({ A: 'alpha', B: 'beta' });

    const list = await example(you, 'krypt secrets list');
    expect(rows(list.stdout).map((r) => r[0])).toEqual(['A', 'API_KEY', 'API_URL', 'B', 'DATABASE_URL', 'LOG_LEVEL', 'OLD_FLAG', 'TLS_KEY']);
    expect(list.stdout).not.toContain('sk_test');
    const prod = JSON.parse((await example(you, 'krypt secrets list --env production --json')).stdout);
    expect(prod).toMatchObject({ project: 'my-app', environment: 'production' });
    expect(prod.secrets.map((s: { key: string }) => s.key)).toEqual(['API_KEY', 'API_URL', 'DATABASE_URL', 'LOG_LEVEL']);
    expect(JSON.stringify(prod)).not.toContain('sk_live');

    // Shown by both `secrets history` and `secrets rollback`: the versions to choose from.
    const history = await example(you, 'krypt secrets history DATABASE_URL');
    expect(rows(history.stdout).map((r) => [r[0], r[3], r[4]])).toEqual([4, 3, 2, 1].map((v) => [String(v), 'admin@krypt.local', 'set']));
    expect(history.stdout).not.toContain('pw');
    const rollback = await example(you, 'krypt secrets rollback DATABASE_URL --version 3');
    expect(rollback.stderr).toContain('DATABASE_URL in my-app/development restored to version 3');
    expect((await owner().getSecrets('my-app', 'development')).secrets.DATABASE_URL).toBe('postgres://app:pw3@db.internal/app');
    const reveal = await example(you, 'krypt secrets history API_KEY --env prod --reveal');
    expect(rows(reveal.stdout).map((r) => [r[0], r[4]])).toEqual([['2', '"sk_live_second"'], ['1', '"sk_live_first"']]);

    expect((await example(you, 'krypt unset OLD_FLAG')).stderr).toContain('Deleted OLD_FLAG from my-app/development');
    expect((await example(you, 'krypt unset A B --env staging')).stderr).toContain('Deleted A, B from my-app/staging');
    expect(Object.keys((await owner().getSecrets('my-app', 'staging')).secrets).sort()).toEqual(['API_URL', 'LOG_LEVEL']);
  });

  it('you work with .env files and run programs with the secrets', async () => {
    const pull = await example(you, 'krypt pull');
    expect(pull.stderr).toContain('Wrote 7 keys from my-app/development to .env');
    const env = join(you.cwd, '.env');
    expect(readFileSync(env, 'utf8')).toContain("API_URL='https://api.example.com'\n");

    // You edit .env: a new PORT, and LOG_LEVEL no longer there.
    writeFileSync(env, readFileSync(env, 'utf8').replace(/^LOG_LEVEL=.*\n/m, '') + 'PORT=3000\n');
    const diff = await example(you, 'krypt diff', { code: 1 });
    expect(diff.stdout).toBe('+ PORT\n- LOG_LEVEL\n');
    expect(diff.stderr).toContain('my-app/development and .env differ: 1 added, 0 changed, 1 removed');

    const dry = await example(you, 'krypt push --prune --dry-run');
    expect(dry.stderr).toContain('Changes to my-app/development (values hidden):\n+ PORT\n- LOG_LEVEL\n');
    expect(Object.keys((await owner().getSecrets('my-app', 'development')).secrets)).toContain('LOG_LEVEL');
    // Asks to confirm on a terminal.
    const push = await example(you, 'krypt push', { terminal: { prompt: 'Apply these changes to my-app/development?', answer: 'y\r' } });
    expect(push.stdout).toContain('1 key(s) on the server are not in .env; kept (use --prune to delete them).');
    expect(push.stdout).toContain('Pushed to my-app/development: 1 added, 0 changed, 0 deleted');
    expect((await owner().getSecrets('my-app', 'development')).secrets).toMatchObject({ PORT: '3000', LOG_LEVEL: 'debug' });

    // A key only in the file: pull would drop it, so it needs --force.
    appendFileSync(env, 'LOCAL_DEBUG=1\n');
    const force = await example(you, 'krypt pull --force');
    expect(force.stderr).toMatch(/Warning: replaced \.env, dropping .*LOCAL_DEBUG/);
    expect(readFileSync(env, 'utf8')).toContain("LOG_LEVEL='debug'\n");
    expect(readFileSync(env, 'utf8')).not.toContain('LOCAL_DEBUG');
    expect((await example(you, 'krypt pull --check')).stderr).toMatch(/\.env matches my-app\/development \(revision \d+\)/);

    expect((await example(you, "krypt run --command 'echo $PORT'")).stdout).toBe('3000\n');
    writeFileSync(join(you.cwd, 'package.json'), JSON.stringify({ name: 'my-app', private: true, scripts: { start: 'node server.js' } }) + '\n');
    writeFileSync(join(you.cwd, 'server.js'), 'console.log(`my-app on port ${process.env.PORT ?? 8080} with ${process.env.API_URL}`);\n');
    expect((await example(you, 'krypt run -- npm start')).stdout).toContain('my-app on port 3000 with https://api.example.com\n');
    expect((await example(you, 'krypt run --env production -- node server.js')).stdout).toBe('my-app on port 8080 with https://prod-api.example.com\n');
    writeFileSync(join(you.cwd, 'migrate.sh'), '#!/bin/sh\necho "migrating $DATABASE_URL"\necho "API_URL is ${API_URL:-not set}"\n', { mode: 0o755 });
    const migrate = await example(you, 'krypt run --mask --only DATABASE_URL -- ./migrate.sh');
    expect(migrate.stdout).toBe('migrating *****\nAPI_URL is not set\n');

    writeFileSync(join(you.cwd, '.env.staging'), 'API_URL=https://staging-api.example.com\nLOG_LEVEL=info\nFEATURE_X=on\n');
    const staged = await example(you, 'krypt diff --file .env.staging --env staging', { code: 1 });
    expect(staged.stdout).toBe('+ FEATURE_X\n');
    expect((await example(you, 'krypt push --file .env.staging --env staging --yes')).stderr).toContain('Pushed to my-app/staging: 1 added, 0 changed, 0 deleted');
    // The app keeps its settings in config/.
    mkdirSync(join(you.cwd, 'config'));
    const json = await example(you, 'krypt pull --env staging --format json --out config/staging.json');
    expect(json.stderr).toContain('Wrote 3 keys from my-app/staging to config/staging.json');
    expect(JSON.parse(readFileSync(join(you.cwd, 'config/staging.json'), 'utf8'))).toEqual({ API_URL: 'https://staging-api.example.com', LOG_LEVEL: 'info', FEATURE_X: 'on' });
    expect(statSync(join(you.cwd, 'config/staging.json')).mode & 0o777).toBe(0o600);

    const envs = await example(you, 'krypt diff staging prod --json', { code: 1 });
    expect(JSON.parse(envs.stdout)).toEqual({ equal: false, from: 'my-app/staging', to: 'my-app/production', added: ['API_KEY', 'DATABASE_URL'], removed: ['FEATURE_X'], changed: ['API_URL', 'LOG_LEVEL'] });
  });

  it('you open the dashboard and manage API keys; a second machine logs in and out', async () => {
    // No display here (as on a server or in CI): the link is printed, and it signs in once.
    const open = await example(you, 'krypt open');
    expect(open.stderr).toContain('Could not open a browser: no display');
    const link = new URL(open.stdout.trim());
    expect(link.origin + link.pathname).toBe(`${server.url}/sign-in`);
    const code = new URLSearchParams(link.hash.slice(1)).get('code');
    expect((await callApi(server.url, '', 'POST', '/v1/sessions', { token: null, body: { code } })).status).toBe(201);
    expect((await example(you, 'krypt open -p my-app')).stdout).toMatch(new RegExp(`^${server.url}/sign-in#code=ksign_[\\w-]+&next=%2Fprojects%2Fmy-app\\n$`));
    expect((await example(you, 'krypt open /projects/my-app --print')).stdout).toMatch(/#code=ksign_[\w-]+&next=%2Fprojects%2Fmy-app\n$/);

    const created = await example(you, 'krypt keys create --name laptop --expires 90d');
    expect(created.stderr).toMatch(/Created personal key "laptop" \(krypt_[\w-]+…, expires \d{4}-/);
    const laptopKey = created.stdout.trim();
    expect(laptopKey).toMatch(/^krypt_[\w-]{43}$/);

    // On the laptop, the key is piped in.
    const laptop = person('laptop');
    const piped = await example(laptop, 'echo "$KEY" | krypt login --api-url http://127.0.0.1:8080 --token-stdin', { subs: [host('http://127.0.0.1:8080')], env: { KEY: laptopKey } });
    expect(piped.stderr).toContain(`Logged in to ${server.url} as admin@krypt.local (key "laptop"`);
    expect(readConfig(laptop).token).toBe(laptopKey);
    expect((await example(laptop, 'krypt logout')).stderr).toContain('Logged out (the key still works elsewhere; use --revoke to disable it).');
    expect(readConfig(laptop).token).toBeUndefined();

    const keys = await example(you, 'krypt keys list');
    const row = rows(keys.stdout).find((r) => r[2] === 'laptop')!;
    expect(row.slice(2, 4)).toEqual(['laptop', 'personal']);
    expect(laptopKey.startsWith(row[1]!.replace(/…$/, ''))).toBe(true);
    expect(row[4]).toMatch(/^\d{4}-/); // expires
    expect(row[5]).toMatch(/^\d{4}-/); // last used: by the laptop's login
    // The id is the first column of `krypt keys list`.
    expect((await example(you, 'krypt keys revoke KEY_ID', { subs: [['KEY_ID', row[0]!]] })).stderr).toContain(`Revoked key ${row[0]}.`);
    await expect(api(server, laptopKey).me()).rejects.toThrow();

    const service = await example(you, 'KRYPT_TOKEN=$(krypt keys create --service --project my-app --env staging --expires 30d)', { then: 'printf "%s\\n" "$KRYPT_TOKEN"' });
    expect(service.stderr).toContain('Created read-only service token for my-app/staging');
    const ci = { KRYPT_API_URL: server.url, KRYPT_TOKEN: service.stdout.trim() };
    const ciRun = await krypt(['run', '-p', 'my-app', '-e', 'staging', '--command', 'echo "$FEATURE_X"'], { cwd: laptop.cwd, env: { ...laptop.env, ...ci } });
    expect(ciRun.stdout).toBe('on\n');
    expect((await krypt(['get', 'API_KEY', '-p', 'my-app', '-e', 'production'], { cwd: laptop.cwd, env: { ...laptop.env, ...ci } })).code).toBe(4);
  });

  it('you add a webhook, test it, read its delivery log and remove it', async () => {
    // https://ci.example.com/hooks/krypt is a receiver on this machine that records each POST.
    const received: { type: string; signature: string }[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ type: (JSON.parse(body) as { type: string }).type, signature: String(req.headers['webhook-signature']) });
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/krypt`;
      const added = await example(you, 'krypt webhooks add https://ci.example.com/hooks/krypt --events secrets.changed,change_request.decided', { subs: [['https://ci.example.com/hooks/krypt', hookUrl]] });
      expect(added.stderr).toMatch(/^Added webhook [0-9a-f-]{36} to my-app for change_request.decided, secrets.changed\. Its signing secret, shown once:\n$/);
      expect(added.stdout).toMatch(/^whsec_[A-Za-z0-9+/]{32}\n$/);
      const id = /Added webhook (\S+)/.exec(added.stderr)![1]!;
      const listed = rows((await example(you, 'krypt webhooks list')).stdout);
      expect(listed.find((r) => r[0] === id)?.slice(1, 3)).toEqual([hookUrl, 'change_request.decided,secrets.changed']);
      expect(JSON.parse((await example(you, 'krypt webhooks list -p my-app --json')).stdout).webhooks.map((w: { id: string }) => w.id)).toContain(id);
      const asId: Sub = ['3f0c2a9e-1d2b-4c5d-8e9f-0a1b2c3d4e5f', id];
      expect((await example(you, 'krypt webhooks test 3f0c2a9e-1d2b-4c5d-8e9f-0a1b2c3d4e5f', { subs: [asId] })).stderr).toMatch(/^Queued test delivery /);
      await until(() => received.length >= 1, { what: 'the test delivery' });
      expect(received[0]).toMatchObject({ type: 'webhook.test', signature: expect.stringMatching(/^v1,/) as unknown as string });
      await until(async () => (await api(server, server.token).listWebhookDeliveries('my-app', id)).deliveries[0]?.status === 'sent', { what: 'the delivery logged as sent' });
      const log = rows((await example(you, 'krypt webhooks deliveries 3f0c2a9e-1d2b-4c5d-8e9f-0a1b2c3d4e5f', { subs: [asId] })).stdout);
      expect(log.map((r) => r.slice(1, 5))).toEqual([['webhook.test', 'sent', '1', '200']]);
      expect((await example(you, 'krypt webhooks remove 3f0c2a9e-1d2b-4c5d-8e9f-0a1b2c3d4e5f --yes', { subs: [asId] })).stderr).toContain(`Removed webhook ${id} from my-app.`);
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  it('you invite ana, who joins, proposes production changes you review, and takes over ownership', async () => {
    const invited = await example(you, 'krypt members invite ana@example.com --role member');
    expect(invited.stderr).toContain('Invited ana@example.com to my-app as member');
    const firstCode = inviteCode(invited.stdout);
    const ciOwner = await example(you, 'krypt members invite ci-owner@example.com --role admin --expires 1d');
    const until1d = Date.parse(/as admin; the code works once, until (\S+)\./.exec(ciOwner.stderr)![1]!) - Date.now();
    expect(until1d).toBeGreaterThan(23 * 3600_000);
    expect(until1d).toBeLessThanOrEqual(24 * 3600_000);
    const invites = rows((await example(you, 'krypt members invites')).stdout);
    expect(invites.map((r) => [r[1], r[2], r[3]])).toEqual(expect.arrayContaining([['ana@example.com', 'member', 'admin@krypt.local'], ['ci-owner@example.com', 'admin', 'admin@krypt.local']]));
    const members = (await example(you, 'krypt members list')).stdout;
    expect(members).toMatch(/^admin@krypt\.local\t[^\t]*\towner\tmember\t/m);
    expect(members).toMatch(/^ana@example\.com\t\tmember\tinvited until /m);
    expect((await example(you, 'krypt members revoke-invite ana@example.com')).stderr).toContain('Revoked the invite of ana@example.com (member) to my-app.');
    await expect(createApiClient({ apiUrl: server.url }).redeemInvite(firstCode)).rejects.toThrow();

    // ana joins with a new invite: CODE is its code.
    const { code: joinCode } = await owner().createInvite('my-app', { email: 'ana@example.com', role: 'member' });
    const joined = await example(ana, 'krypt login --invite CODE --api-url https://krypt.example.com', { subs: [['CODE', joinCode], host('https://krypt.example.com')] });
    expect(joined.stderr).toContain('Created a new Krypt account for ana@example.com.');
    expect(joined.stderr).toContain(`Logged in to ${server.url} as ana@example.com; you joined my-app as member.`);
    anaToken = readConfig(ana).token!;
    expect((await example(ana, 'krypt init -p my-app -e staging')).stderr).toContain('to my-app (staging).');
    expect(JSON.parse(readFileSync(join(ana.cwd, '.krypt'), 'utf8'))).toEqual({ project: 'my-app', environment: 'staging' });
    const json = JSON.parse((await example(you, 'krypt members list -p my-app --json')).stdout);
    expect(json.members).toEqual(expect.arrayContaining([expect.objectContaining({ email: 'ana@example.com', role: 'member' })]));

    // ana, a Member, proposes production changes: each becomes a change request, one for each example.
    const propose = async (set: Record<string, string>) => {
      const written = await api(server, anaToken).writeSecrets('my-app', 'production', { set });
      if (!isPendingWrite(written)) throw new Error('a Member\'s production write was applied');
      return written.changeRequest.id;
    };
    const forShow = await propose({ API_URL: 'https://api-v2.example.com' });
    const forReveal = await propose({ LOG_LEVEL: 'error' });
    const forApprove = await propose({ RATE_LIMIT: '100' });
    const forForce = await propose({ API_KEY: 'sk_live_from_ana' });
    const forReject = await propose({ WEBHOOK_URL: 'https://hooks.example.com/prod' });
    const forCancel = await propose({ CACHE_TTL: '60' });
    const ids = [forShow, forReveal, forApprove, forForce, forReject, forCancel];
    // The examples' request #3 becomes the request made for each.
    const cr = (id: number): Sub => [' 3', ` ${id}`];

    const all = rows((await example(you, 'krypt cr list')).stdout);
    expect(all.map((r) => r.slice(0, 4))).toEqual([...ids].reverse().map((id) => [`#${id}`, 'production', 'pending', 'ana@example.com']));
    const shown = await example(you, 'krypt cr show 3', { subs: [cr(forShow)] });
    expect(shown.stdout).toContain(`Change request #${forShow} to my-app/production: pending\nRequested by ana@example.com at `);
    expect(shown.stdout).toMatch(/\n~ API_URL\n$/);
    expect(shown.stdout).not.toContain('api-v2');
    expect((await example(you, 'krypt cr show 3 --reveal', { subs: [cr(forReveal)] })).stdout).toMatch(/\n~ LOG_LEVEL: "warn" -> "error"\n$/);

    const approved = await example(you, 'krypt cr approve 3', { subs: [cr(forApprove)] });
    expect(approved.stderr).toContain(`Approved change request #${forApprove}: 1 change(s) applied to my-app/production`);
    // You rotate API_KEY meanwhile: approving ana's older proposal for it is refused, unless --force.
    await owner().writeSecrets('my-app', 'production', { set: { API_KEY: 'sk_live_rotated' } });
    expect((await krypt(['cr', 'approve', String(forForce)], { cwd: you.cwd, env: you.env })).stderr).toContain('API_KEY changed since it was made');
    expect((await example(you, 'krypt cr approve 3 --force', { subs: [cr(forForce)] })).stderr).toContain(`Approved change request #${forForce}`);
    expect((await owner().getSecrets('my-app', 'production')).secrets).toMatchObject({ RATE_LIMIT: '100', API_KEY: 'sk_live_from_ana', API_URL: 'https://prod-api.example.com' });
    expect((await example(you, 'krypt cr reject 3 --reason "use the staging URL"', { subs: [cr(forReject)] })).stderr).toContain(`Rejected change request #${forReject}; nothing was applied.`);
    expect((await api(server, anaToken).getChangeRequest('my-app', forReject)).changeRequest).toMatchObject({ status: 'rejected', reason: 'use the staging URL' });
    // ana withdraws her own request.
    expect((await example(ana, 'krypt cr cancel 3', { subs: [cr(forCancel)] })).stderr).toContain(`Cancelled change request #${forCancel}.`);
    const pending = rows((await example(you, 'krypt change-requests list --status pending')).stdout);
    expect(pending.map((r) => r[0])).toEqual([`#${forReveal}`, `#${forShow}`]);

    // ana reveals one value in the dashboard (an audited secret.read).
    expect((await callApi(server.url, anaToken, 'GET', '/v1/projects/my-app/environments/development/secrets/API_KEY')).status).toBe(200);
    const audit = rows((await example(you, 'krypt audit --since 24h')).stdout);
    expect(audit.map((r) => r[3])).toEqual(expect.arrayContaining(['project.create', 'member.join', 'change_request.approve', 'change_request.reject', 'change_request.cancel']));
    const byAna = rows((await example(you, 'krypt audit --env prod --actor ana@example.com --limit 20')).stdout);
    expect(new Set(byAna.map((r) => `${r[2]} ${r[4]}`))).toEqual(new Set(['ana@example.com production']));
    expect(byAna.filter((r) => r[3] === 'change_request.create')).toHaveLength(6);
    const reads = rows((await example(you, 'krypt audit --action secret.read --since 7d')).stdout);
    expect(reads.map((r) => [r[2], r[3], r[4], r[5]])).toEqual([['ana@example.com', 'secret.read', 'development', 'API_KEY']]);
    const auditJson = JSON.parse((await example(you, 'krypt audit --json')).stdout);
    expect(auditJson.project).toBe('my-app');
    expect(auditJson.entries[0]).toMatchObject({ action: 'secret.read', actor: 'ana@example.com' });

    expect((await example(you, 'krypt members set-role ana@example.com admin')).stderr).toContain('ana@example.com is now admin of my-app.');
    expect((await example(you, 'krypt members remove ana@example.com --yes')).stderr).toContain('Removed ana@example.com from my-app.');
    expect((await owner().listMembers('my-app')).members.map((m) => m.email)).toEqual(['admin@krypt.local']);
    // ana, who has an account now, accepts a new invite while logged in: kinv_... is its code.
    const { code: backCode } = await owner().createInvite('my-app', { email: 'ana@example.com', role: 'member' });
    expect((await example(ana, 'krypt invites accept kinv_...', { subs: [['kinv_...', backCode]] })).stderr).toContain('Accepted the invite as ana@example.com: you joined my-app as member.');
    // Asks to confirm on a terminal.
    const transfer = await example(you, 'krypt members transfer-ownership ana@example.com', { terminal: { prompt: 'Make ana@example.com the Owner of my-app?', answer: 'y\r' } });
    expect(transfer.stdout).toContain('ana@example.com is now the Owner of my-app; admin@krypt.local is admin.');
  });

  it('you delete an old project, clear the offline copies and set up your shells; ana logs out for good', async () => {
    await owner().createProject('old-app');
    expect((await example(you, 'krypt projects delete old-app --confirm old-app')).stderr).toContain('Deleted project old-app.');
    expect((await owner().listProjects()).projects.map((p) => p.slug)).toEqual(['my-app']);
    expect((await example(you, 'krypt cache clear')).stderr).toMatch(/^Deleted [1-9]\d* offline cop(y|ies) from /m);

    expect((await example(ana, 'krypt logout --revoke')).stderr).toContain('Revoked the API key and logged out.');
    await expect(api(server, anaToken).me()).rejects.toThrow();

    await example(you, "echo 'source <(krypt completion bash)' >> ~/.bashrc");
    expect(readFileSync(join(you.home, '.bashrc'), 'utf8')).toBe('source <(krypt completion bash)\n');
    const completes = await bash(you, 'source ~/.bashrc && COMP_WORDS=(krypt members inv) COMP_CWORD=2 && _krypt && printf "%s\\n" "${COMPREPLY[@]}"');
    expect(completes.stdout).toBe('invite\ninvites\n');
    // zsh is not installed here, so bash runs the line, and bash has no $fpath: ${fpath[1]}, zsh's
    // first function directory, becomes one made for it.
    mkdirSync(join(you.home, '.zfunc'));
    await example(you, 'krypt completion zsh > "${fpath[1]}/_krypt"', { subs: [['${fpath[1]}', '$HOME/.zfunc']] });
    expect(readFileSync(join(you.home, '.zfunc/_krypt'), 'utf8')).toMatch(/^#compdef krypt\n/);
    // The directory fish creates for completions.
    mkdirSync(join(you.home, '.config/fish/completions'), { recursive: true });
    await example(you, 'krypt completion fish > ~/.config/fish/completions/krypt.fish');
    expect(readFileSync(join(you.home, '.config/fish/completions/krypt.fish'), 'utf8')).toContain("complete -c krypt -f -a '(__krypt_complete)'");
    // PowerShell is not installed here: cat shows the script Invoke-Expression would run.
    const ps = await example(you, 'krypt completion powershell | Out-String | Invoke-Expression', { subs: [['| Out-String | Invoke-Expression', '| cat']] });
    expect(ps.stdout).toContain('Register-ArgumentCompleter -Native -CommandName krypt');

    const help = await example(you, 'krypt help');
    expect(help.stdout).toContain('USAGE');
    expect(help.stdout).toMatch(/^ {2}members\s/m);
    expect((await example(you, 'krypt help members invite')).stdout).toContain('$ krypt members invite ana@example.com --role member');
    expect((await example(you, 'krypt version')).stdout).toMatch(/^krypt\/0\.1\.0 /);
  });

  // One operator's instance, step by step: each step starts where the one before left the data
  // directory (and fails if that step did), so no single test waits on ten processes in a row.
  describe('an operator runs a SQLite instance', () => {
    let ops: Person;
    // A host's absolute paths become the same paths under a temporary root.
    let root: string;
    const under = (...paths: string[]): Sub[] => paths.map((p) => [p, root + p]);
    let masterKeyFile: string;
    let apiKey: string;
    // No port in these examples: the default 8420 may be taken here; 0 picks a free one.
    const port0 = ' --port 0';

    beforeAll(() => {
      ops = person('ops');
      root = mkdtempSync(join(tmpdir(), 'krypt-root-'));
      temporary.push(root);
      mkdirSync(join(root, 'run/secrets'), { recursive: true });
      mkdirSync(join(root, 'backups'));
      masterKeyFile = join(root, 'run/secrets/krypt-master-key');
    });

    it('init, start, a secret, a backup while it runs', async () => {
      const init = await example(ops, 'krypt server init --data-dir /var/lib/krypt --master-key-out /run/secrets/krypt-master-key --email you@example.com', { subs: under('/var/lib/krypt', '/run/secrets') });
      expect(init.stderr).toContain('Initialised. First user: you@example.com.');
      apiKey = /^api-key: (krypt_\S+)$/m.exec(init.stdout)![1]!;
      expect(readFileSync(masterKeyFile, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
      expect(statSync(masterKeyFile).mode & 0o777).toBe(0o600);

      const plain = await startExample(ops, 'krypt server start --data-dir /var/lib/krypt --master-key-file /run/secrets/krypt-master-key', { subs: under('/var/lib/krypt', '/run/secrets'), append: port0 });
      expect(plain.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      // The instance gets a project and a secret (and its audit log entries).
      const client = createApiClient({ apiUrl: plain.url, token: apiKey });
      expect((await client.me()).user.email).toBe('you@example.com');
      await client.createProject('my-app');
      await client.writeSecrets('my-app', 'production', { set: { API_KEY: 'sk_live_on_sqlite' } });
      // A snapshot while the server keeps running.
      const backup = await example(ops, 'krypt server backup --data-dir /var/lib/krypt --out /backups/krypt-$(date +%F).db', { subs: under('/var/lib/krypt', '/backups') });
      expect(backup.stderr).toMatch(/^Backed up 1 secrets and 1 history versions \(\d+ bytes\) to .*krypt-\d{4}-\d\d-\d\d\.db \(mode 0600\)/m);
      const [snapshot] = readdirSync(join(root, 'backups'));
      expect(snapshot).toMatch(/^krypt-\d{4}-\d\d-\d\d\.db$/);
      expect(statSync(join(root, 'backups', snapshot!)).mode & 0o777).toBe(0o600);
      expect((await fetch(`${plain.url}/healthz`)).status).toBe(200);
      expect(await plain.stop()).toBe(0);
      expect(plain.stderr()).toContain('Krypt server stopped.');
    });

    it('start with TLS, and log in to it with the CA file', async () => {
      expect(apiKey, 'the step before initialised the instance').toBeDefined();
      // The files the next examples name: the master key as key.txt, the certificate and its key.
      copyFileSync(masterKeyFile, join(ops.cwd, 'key.txt'));
      copyFileSync(pki.certFile, join(ops.cwd, 'cert.pem'));
      copyFileSync(pki.keyFile, join(ops.cwd, 'key.pem'));
      const tls = await startExample(ops, 'krypt server start --host 0.0.0.0 --tls-cert cert.pem --tls-key key.pem --data-dir /var/lib/krypt --master-key-file key.txt', { subs: under('/var/lib/krypt'), append: port0 });
      expect(tls.url).toMatch(/^https:\/\/0\.0\.0\.0:\d+$/);
      // krypt.internal:8420 is this server, whose certificate is for 127.0.0.1; /etc/krypt/ca.pem is
      // the test CA that signed it. Asks for the API key on a terminal.
      const ca = await example(ops, 'krypt login --api-url https://krypt.internal:8420 --ca-file /etc/krypt/ca.pem', {
        subs: [['https://krypt.internal:8420', `https://127.0.0.1:${portOf(tls.url)}`], ['/etc/krypt/ca.pem', pki.caFile]],
        terminal: { prompt: 'API key:', answer: apiKey + '\r' },
      });
      expect(ca.stdout).toContain(`Logged in to https://127.0.0.1:${portOf(tls.url)} as you@example.com`);
      expect(readConfig(ops)).toMatchObject({ apiUrl: `https://127.0.0.1:${portOf(tls.url)}`, caFile: pki.caFile });
      expect(await tls.stop()).toBe(0);
    });

    it('start behind a TLS proxy, and with metrics on their own listener', async () => {
      expect(existsSync(join(ops.cwd, 'key.txt')), 'the step before wrote key.txt').toBe(true);
      const proxied = await startExample(ops, 'krypt server start --host 0.0.0.0 --behind-tls-proxy --trusted-proxy 10.0.0.5 --data-dir /var/lib/krypt --master-key-file key.txt', { subs: under('/var/lib/krypt'), append: port0 });
      expect(proxied.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
      expect((await fetch(`http://127.0.0.1:${portOf(proxied.url)}/healthz`)).status).toBe(200);
      expect(await proxied.stop()).toBe(0);

      // Metrics on their own listener (port 0 here: a free one), named on stderr after the ready line.
      const metered = await startExample(ops, 'krypt server start --data-dir /var/lib/krypt --master-key-file key.txt --metrics-port 9464', {
        subs: [...under('/var/lib/krypt'), ['--metrics-port 9464', '--metrics-port 0']],
        append: port0,
      });
      expect((await fetch(`${metered.url}/healthz`)).status).toBe(200);
      const metricsUrl = /Krypt metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(metered.stderr())?.[1];
      expect(metricsUrl, metered.stderr()).toBeDefined();
      expect(await (await fetch(metricsUrl!)).text()).toContain('krypt_http_requests_total{route="/healthz",method="GET",status="200"} 1');
      expect(await metered.stop()).toBe(0);
    });

    it('verify-audit, then rotate-key, and the chain checks under the new key', async () => {
      expect(apiKey, 'the first step initialised the instance').toBeDefined();
      // No email was configured: the outbox is empty.
    expect((await example(ops, 'krypt server outbox --data-dir /var/lib/krypt', { subs: under('/var/lib/krypt') })).stderr).toBe('Outbox: 0 pending, 0 failed, 0 sent.\n');
    expect((await example(ops, 'krypt server outbox --data-dir /var/lib/krypt --retry-failed', { subs: under('/var/lib/krypt') })).stderr).toContain('Put 0 failed deliveries back in line.');
    const verify = await example(ops, 'krypt server verify-audit --data-dir /var/lib/krypt --master-key-file /run/secrets/krypt-master-key', { subs: under('/var/lib/krypt', '/run/secrets') });
      expect(verify.stderr).toMatch(/^Audit chain intact: [1-9]\d* entries\n/m);
      const rotate = await example(ops, 'krypt server rotate-key --data-dir /var/lib/krypt --master-key-file /run/secrets/krypt-master-key --new-master-key-out /run/secrets/krypt-master-key.new', { subs: under('/var/lib/krypt', '/run/secrets') });
      expect(rotate.stderr).toContain(`New master key written to ${masterKeyFile}.new (mode 0600).`);
      const newKey = readFileSync(masterKeyFile + '.new', 'utf8');
      expect(newKey).toMatch(/^[0-9a-f]{64}\n$/);
      expect(newKey).not.toBe(readFileSync(masterKeyFile, 'utf8'));
      const check = await krypt(['server', 'verify-audit', '--data-dir', join(root, 'var/lib/krypt')], { cwd: ops.cwd, env: ops.env, input: newKey });
      expect(check.code, check.stderr).toBe(0);
    });
  });

  it('an operator runs a PostgreSQL instance: start, verify-audit, rotate-key', async () => {
    const ops = person('pg-ops');
    // postgres://krypt@db/krypt is this test's fresh PostgreSQL database.
    const db: Sub = ['postgres://krypt@db/krypt', pg.url];
    const init = await krypt(['server', 'init', '--database-url', pg.url, '--master-key-out', 'key.txt'], { cwd: ops.cwd, env: ops.env });
    expect(init.code, init.stderr).toBe(0);

    // No port in the example: the default 8420 may be taken here; 0 picks a free one.
    const started = await startExample(ops, 'krypt server start --database-url postgres://krypt@db/krypt --master-key-file key.txt', { subs: [db], append: ' --port 0' });
    const client = createApiClient({ apiUrl: started.url, token: /^api-key: (krypt_\S+)$/m.exec(init.stdout)![1]! });
    await client.createProject('my-app');
    await client.writeSecrets('my-app', 'production', { set: { API_KEY: 'sk_live_on_pg' } });
    expect((await client.getSecrets('my-app', 'production')).secrets).toEqual({ API_KEY: 'sk_live_on_pg' });
    expect(await started.stop()).toBe(0);

    const verify = await example(ops, 'KRYPT_DATABASE_URL=postgres://krypt@db/krypt krypt server verify-audit < key.txt', { subs: [db] });
    expect(verify.stderr).toMatch(/^Audit chain intact: [1-9]\d* entries\n/m);
    // The current key, kept as old.key for the rotation.
    copyFileSync(join(ops.cwd, 'key.txt'), join(ops.cwd, 'old.key'));
    const rotate = await example(ops, 'KRYPT_DATABASE_URL=postgres://krypt@db/krypt krypt server rotate-key --master-key-file old.key', { subs: [db] });
    const newKey = /^master-key: ([0-9a-f]{64})$/m.exec(rotate.stdout)![1]!;
    expect(newKey).not.toBe(readFileSync(join(ops.cwd, 'old.key'), 'utf8').trim());
    expect(rotate.stderr).toContain('The new master key above is shown once.');
    const check = await krypt(['server', 'verify-audit', '--database-url', pg.url], { cwd: ops.cwd, env: ops.env, input: newKey + '\n' });
    expect(check.code, check.stderr).toBe(0);
  });

  it('a developer starts a dev server in the background', async () => {
    const dev = person('dev');
    const text = 'krypt server start --dev --port 0 > dev.env &  # the export lines appear once it accepts connections';
    // After the example, the same shell prints the background server's pid and waits for it, so
    // its exit code becomes the shell's.
    const child = spawn('bash', ['-c', `${prepare(text, {})}\necho "$!"\nwait "$!"`], { cwd: dev.cwd, env: dev.env, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    const done = collect(child);
    let pid = '';
    child.stdout.on('data', (c: Buffer) => (pid += c.toString()));
    const file = join(dev.cwd, 'dev.env');
    await until(() => existsSync(file) && /^export KRYPT_TOKEN=.*\n/m.test(readFileSync(file, 'utf8')) && pid.endsWith('\n'), { what: 'the export lines in dev.env' });
    const lines = readFileSync(file, 'utf8');
    expect(lines).toMatch(/^export KRYPT_API_URL=http:\/\/127\.0\.0\.1:\d+\nexport KRYPT_TOKEN=krypt_[\w-]{43}\n$/);
    runningPids.add(Number(pid));
    const who = await bash(dev, '. ./dev.env && krypt whoami --json');
    expect(JSON.parse(who.stdout).user.email).toBe('dev@krypt.local');
    process.kill(Number(pid), 'SIGTERM');
    const ran = await done;
    running.delete(child);
    runningPids.delete(Number(pid));
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stderr).toContain('Krypt server stopped.');
  });

  it('ran every example in the help (a new example needs a step above)', () => {
    expect([...covered].sort()).toEqual([...ALL_EXAMPLES].sort());
  });
});
