import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { krypt, makeSandbox } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// Offline copies: every read stores an encrypted copy; when the server is unreachable, run/get/pull
// use it if young enough; an auth failure never falls back. The server is stopped mid-suite.

const SECRET = 'offline-secret-value-42';

describe('offline copies through bin/run.js', () => {
  let server: TestServer;
  const box = makeSandbox();
  let env: Record<string, string>;
  const k = (args: string[], extra: Record<string, string> = {}) => krypt(args, { cwd: box.cwd, env: { ...env, ...extra } });

  beforeAll(async () => {
    server = await startTestServer({ dialect: 'sqlite' });
    env = { ...box.env, KRYPT_API_URL: server.url, KRYPT_TOKEN: server.token, KRYPT_PROJECT: 'offline' };
    await server.call('POST', '/v1/projects', { body: { slug: 'offline' } });
    await server.call('PATCH', '/v1/projects/offline/environments/development/secrets', { body: { set: { TOKEN: SECRET, OTHER: 'two' } } });
  });
  afterAll(() => server?.close());

  it('a read stores an encrypted 0600 copy that holds no value in clear', async () => {
    expect((await k(['get', 'TOKEN'])).stdout).toBe(SECRET + '\n');
    const dir = join(box.configDir, 'cache');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(statSync(join(dir, files[0]!)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, files[0]!), 'latin1')).not.toContain(SECRET);
  });

  it('a 304 within a minute of the copy leaves it as it is (no re-encryption, no rewrite per read)', async () => {
    const dir = join(box.configDir, 'cache');
    const [file] = readdirSync(dir);
    const before = readFileSync(join(dir, file!));
    expect((await k(['get', 'TOKEN'], { KRYPT_DEBUG: '1' })).stderr).toContain('304: offline copy revision');
    // every write seals with a fresh IV, so a rewritten copy never has the same bytes
    expect(readFileSync(join(dir, file!)).equals(before)).toBe(true);
  });

  it('the server answers 304 to the ETag of the held revision, and a changed value still arrives', async () => {
    const first = await server.call('GET', '/v1/projects/offline/environments/development/secrets');
    const etag = first.headers.get('etag') as string;
    const again = await server.call('GET', '/v1/projects/offline/environments/development/secrets', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    await server.call('PATCH', '/v1/projects/offline/environments/development/secrets', { body: { set: { OTHER: 'three' } } });
    expect((await k(['get', 'OTHER'])).stdout).toBe('three\n');
  });

  it('a revoked key gets 401 and never falls back to the copy', async () => {
    const created = await server.call('POST', '/v1/keys', { body: { name: 'temp' } });
    const token = (created.json as { token: string }).token;
    expect((await k(['get', 'TOKEN'], { KRYPT_TOKEN: token })).code).toBe(0);
    await server.call('DELETE', '/v1/keys/current', { token });
    const res = await k(['get', 'TOKEN'], { KRYPT_TOKEN: token });
    expect(res.code).toBe(4);
    expect(res.stdout).toBe('');
    expect(res.stderr).not.toContain('offline copy');
  });

  it('with the server stopped, run, get and pull use the copy and say how old it is', async () => {
    await server.close();
    const get = await k(['get', 'TOKEN']);
    expect(get.code).toBe(0);
    expect(get.stdout).toBe(SECRET + '\n');
    expect(get.stderr).toMatch(/^Using the offline copy of offline\/development from less than 1 min ago \(revision \d+\): cannot reach/m);
    const run = await k(['run', '--', 'sh', '-c', 'printf %s "$TOKEN"']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(SECRET);
    const pull = await k(['pull', '--stdout', '--format', 'json']);
    expect(pull.code).toBe(0);
    expect(JSON.parse(pull.stdout)).toEqual({ TOKEN: SECRET, OTHER: 'three' });
  });

  it('--no-fallback fails, --offline never asks the server, --max-stale bounds the age', async () => {
    const strict = await k(['get', 'TOKEN', '--no-fallback']);
    expect(strict.code).toBe(2);
    expect(strict.stdout).toBe('');
    expect(strict.stderr).toMatch(/^Error: cannot reach /);
    const offline = await k(['get', 'TOKEN', '--offline']);
    expect(offline.stdout).toBe(SECRET + '\n');
    expect(offline.stderr).toMatch(/offline mode/);
    // Time passing is what is under test: the copy must grow older than --max-stale 1s.
    await new Promise((r) => setTimeout(r, 1100));
    const stale = await k(['run', '--max-stale', '1s', '--', 'true']);
    expect(stale.code).toBe(2);
    expect(stale.stderr).toMatch(/^Error: the offline copy of offline\/development is .* older than --max-stale/);
  });

  it('krypt cache clear deletes the copies', async () => {
    const cleared = await k(['cache', 'clear', '--json']);
    expect(JSON.parse(cleared.stdout).deleted).toBeGreaterThanOrEqual(1);
    const none = await k(['get', 'TOKEN', '--offline']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no offline copy/);
  });
});
