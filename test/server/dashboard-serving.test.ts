import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ASSET_CACHE_CONTROL, DASHBOARD_CSP, DEFAULT_DASHBOARD_DIR } from '../../src/server/plugins/dashboard.js';
import { startServerProcess, killServerProcesses } from '../helpers/server-process.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// The dashboard beside /v1: every page path answers index.html (client-side routing), /assets/*
// the built files with immutable caching, every dashboard response under the strict CSP; the API's
// 404s stay JSON envelopes; without a build the server still starts and says how to build.

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";
const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-AbC123.js"></script></head><body><div id="app"></div></body></html>\n';
const JS = 'console.log("dashboard");\n';
const CSS = 'body { margin: 0 }\n';

/** A request by raw path (fetch would normalise `..`), as an attacker would send it. */
function rawGet(url: string, path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((ok, fail) => {
    const req = request({ hostname, port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

function expectDashboardHeaders(headers: Headers): void {
  expect(headers.get('content-security-policy')).toBe(CSP);
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('referrer-policy')).toBe('no-referrer');
  expect(headers.get('strict-transport-security')).toBe('max-age=63072000; includeSubDomains');
}

describe('dashboard serving', () => {
  let dir: string;
  let srv: TestServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'krypt-dashboard-'));
    mkdirSync(join(dir, 'assets', 'nested'), { recursive: true });
    writeFileSync(join(dir, 'index.html'), INDEX);
    writeFileSync(join(dir, 'assets', 'index-AbC123.js'), JS);
    writeFileSync(join(dir, 'assets', 'style-Xy9.css'), CSS);
    writeFileSync(join(dir, 'assets', 'notes.txt'), 'not a dashboard file type');
    writeFileSync(join(dir, 'assets', 'nested', 'deep.js'), JS);
    writeFileSync(join(dir, 'secret.js'), 'outside assets/');
    srv = await startTestServer({ dashboardDir: dir });
  });
  afterAll(async () => {
    await srv?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('uses the exact policy of the brief', () => {
    expect(DASHBOARD_CSP).toBe(CSP);
  });

  it.each(['/', '/sign-in', '/projects/my-app', '/projects/my-app?env=production'])('GET %s answers index.html, no-store, under the CSP', async (path) => {
    const res = await fetch(srv.url + path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expectDashboardHeaders(res.headers);
    expect(await res.text()).toBe(INDEX);
  });

  it('HEAD / answers the same headers and no body', async () => {
    const res = await rawGet(srv.url, '/', 'HEAD');
    expect(res.status).toBe(200);
    expect(res.headers['content-security-policy']).toBe(CSP);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toBe('');
  });

  it('serves built files with long immutable caching and their types', async () => {
    const js = await fetch(`${srv.url}/assets/index-AbC123.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe(ASSET_CACHE_CONTROL);
    expect(ASSET_CACHE_CONTROL).toBe('public, max-age=31536000, immutable');
    expectDashboardHeaders(js.headers);
    expect(await js.text()).toBe(JS);

    const css = await fetch(`${srv.url}/assets/style-Xy9.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await css.text()).toBe(CSS);

    const head = await rawGet(srv.url, '/assets/index-AbC123.js', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['cache-control']).toBe(ASSET_CACHE_CONTROL);
    expect(head.body).toBe('');
  });

  it.each([
    '/assets/missing-123.js',
    '/assets/notes.txt',
    '/assets/nested/deep.js',
    '/assets/nested%2Fdeep.js',
    '/assets/../secret.js',
    '/assets/..%2Fsecret.js',
    '/assets/%2e%2e%2fsecret.js',
    '/assets/..%2F..%2Fpackage.json',
    '/assets/',
    '/index.html',
    '/secret.js',
  ])('%s is a 404 JSON envelope, never a file outside the built assets', async (path) => {
    const res = await rawGet(srv.url, path);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'not_found' } });
    expect(res.body).not.toContain('outside assets/');
    expect(res.body).not.toContain('dashboard');
  });

  it.each(['/projects', '/projects/my-app/extra', '/nope', '/sign-in/x'])('%s is not a page: 404 JSON envelope', async (path) => {
    const res = await fetch(srv.url + path);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toMatchObject({ error: { code: 'not_found', requestId: expect.any(String) } });
  });

  it('/v1 answers as before: unknown paths are JSON envelopes without the dashboard policy, known ones work', async () => {
    const missing = await srv.call('GET', '/v1/nope');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(missing.json).toMatchObject({ error: { code: 'not_found', message: 'no route GET /v1/nope', requestId: expect.any(String) } });
    expect(missing.headers.get('content-security-policy')).toBeNull();

    const me = await srv.call('GET', '/v1/me');
    expect(me.status).toBe(200);
    const health = await srv.call('GET', '/healthz', { token: null });
    expect(health.json).toEqual({ status: 'ok' });
  });

  it('POST / is no page: 404 envelope', async () => {
    const res = await srv.call('POST', '/', { token: null, body: {} });
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({ error: { code: 'not_found' } });
  });
});

describe('dashboard not built', () => {
  let dir: string;
  let srv: TestServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'krypt-no-dashboard-'));
    srv = await startTestServer({ dashboardDir: dir });
  });
  afterAll(async () => {
    await srv?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the server starts; pages answer 503 saying to run npm run build, under the CSP', async () => {
    for (const path of ['/', '/sign-in', '/projects/my-app']) {
      const res = await fetch(srv.url + path);
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expectDashboardHeaders(res.headers);
      const body = await res.text();
      expect(body).toContain('dashboard was not built');
      expect(body).toContain('npm run build');
      expect(body).not.toMatch(/<script|<style|style=/i);
    }
  });

  it('assets are 404s and the API works', async () => {
    expect((await fetch(`${srv.url}/assets/index-AbC123.js`)).status).toBe(404);
    expect((await srv.call('GET', '/v1/me')).status).toBe(200);
  });
});

describe('krypt server start --dev serves the built dashboard', () => {
  afterEach(() => killServerProcesses());

  it('is the package dist/dashboard by default', () => {
    expect(resolve(DEFAULT_DASHBOARD_DIR)).toBe(resolve(import.meta.dirname, '../../dist/dashboard'));
  });

  it('answers / with the built index.html and its assets', async () => {
    // npm test builds before the suite runs (the CLI under test runs from dist/ as well).
    const index = readFileSync(join(DEFAULT_DASHBOARD_DIR, 'index.html'), 'utf8');
    const server = await startServerProcess(['--dev', '--port', '0'], { PATH: process.env.PATH ?? '', HOME: tmpdir() });
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(CSP);
    expect(await res.text()).toBe(index);
    const scripts = [...index.matchAll(/src="(\/assets\/[^"]+)"/g)].map((m) => m[1] as string);
    expect(scripts.length).toBeGreaterThan(0);
    for (const src of scripts) {
      const asset = await fetch(server.url + src);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    }
    expect(await server.stop()).toBe(0);
  });
});
