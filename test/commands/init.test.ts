import { kryptInProcess } from '../helpers/in-process.js';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSandbox } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// `krypt init` keeps both files that must never be committed out of git: .krypt and .env, which
// `krypt pull` fills with the values.

describe('krypt init and .gitignore', () => {
  let server: TestServer;
  const box = makeSandbox();
  let env: Record<string, string>;
  let n = 0;
  /** A fresh project directory under the sandbox, optionally with a .gitignore. */
  const dir = (gitignore?: string): string => {
    const path = join(box.cwd, `app${n++}`);
    mkdirSync(path);
    if (gitignore !== undefined) writeFileSync(join(path, '.gitignore'), gitignore);
    return path;
  };
  const init = (cwd: string, json = false) => kryptInProcess(['init', '--project', 'ign', ...(json ? ['--json'] : [])], { cwd, env });
  const gitignore = (cwd: string) => readFileSync(join(cwd, '.gitignore'), 'utf8');

  beforeAll(async () => {
    server = await startTestServer({ dialect: 'sqlite' });
    env = { ...box.env, KRYPT_API_URL: server.url, KRYPT_TOKEN: server.token };
    expect((await server.call('POST', '/v1/projects', { body: { slug: 'ign' } })).status).toBe(201);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('adds .krypt and .env to .gitignore and says so, once', async () => {
    const cwd = dir('node_modules/');
    const res = await init(cwd);
    expect(res.code).toBe(0);
    expect(res.stderr).toBe(`Bound ${cwd} to ign (development). Added .krypt and .env to .gitignore.\n`);
    expect(gitignore(cwd)).toBe('node_modules/\n.krypt\n.env\n');
    const again = await init(cwd, true);
    expect(JSON.parse(again.stdout)).toMatchObject({ gitignoreUpdated: false, gitignoreAdded: [] });
    expect(gitignore(cwd)).toBe('node_modules/\n.krypt\n.env\n');

    const fresh = dir();
    const json = await init(fresh, true);
    expect(JSON.parse(json.stdout)).toMatchObject({ project: 'ign', gitignoreUpdated: true, gitignoreAdded: ['.krypt', '.env'] });
    expect(gitignore(fresh)).toBe('.krypt\n.env\n');
  });

  it.each(['.env', '/.env', '.env*', '*.env', '.env  '])('leaves .env out when a %j line already ignores it', async (line) => {
    const cwd = dir(`${line}\n`);
    const res = await init(cwd, true);
    expect(JSON.parse(res.stdout)).toMatchObject({ gitignoreUpdated: true, gitignoreAdded: ['.krypt'] });
    expect(gitignore(cwd)).toBe(`${line}\n.krypt\n`);
  });

  it('asks git when in a repository: ignored elsewhere (info/exclude) is enough, else it is added', async () => {
    const repo = dir();
    execFileSync('git', ['init', '-q'], { cwd: repo, env });
    writeFileSync(join(repo, '.git', 'info', 'exclude'), '.env\n');
    const excluded = await init(repo);
    expect(excluded.stderr).toBe(`Bound ${repo} to ign (development). Added .krypt to .gitignore.\n`);
    expect(gitignore(repo)).toBe('.krypt\n');

    const plain = dir();
    execFileSync('git', ['init', '-q'], { cwd: plain, env });
    expect((await init(plain)).stderr).toContain('Added .krypt and .env to .gitignore.');
    expect(execFileSync('git', ['check-ignore', '.env', '.krypt'], { cwd: plain, env, encoding: 'utf8' })).toBe('.env\n.krypt\n');
  });
});
