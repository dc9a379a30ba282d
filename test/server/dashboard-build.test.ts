import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

// The dashboard's build (the step `npm run build` runs), into a temporary directory: an index.html
// a strict CSP accepts (no inline script, style or handler; nothing from another origin), hashed
// files, no zod in the bundle, no eval, under the size budget; then served by a real server.

const root = resolve(import.meta.dirname, '../..');
const JS_BUDGET_GZIP = 120 * 1024;

describe('dashboard build', () => {
  let out: string;
  let index: string;
  let assets: string[];
  let srv: TestServer;

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'krypt-dashboard-build-'));
    await promisify(execFile)(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '-c', 'src/dashboard/vite.config.mjs', '--outDir', out, '--emptyOutDir'], { cwd: root });
    index = readFileSync(join(out, 'index.html'), 'utf8');
    assets = readdirSync(join(out, 'assets'));
    srv = await startTestServer({ dashboardDir: out });
  });
  afterAll(async () => {
    await srv?.close();
    rmSync(out, { recursive: true, force: true });
  });

  it('index.html has no inline script, style or event handler', () => {
    const scripts = [...index.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/\bsrc="\/assets\/[^"]+\.js"/);
      expect(body!.trim()).toBe('');
    }
    expect(index).not.toMatch(/<style\b/i);
    expect(index).not.toMatch(/\sstyle=/i);
    expect(index).not.toMatch(/\son[a-z]+=/i);
  });

  it('index.html loads only files of its own build, none from another origin', () => {
    const urls = [...index.matchAll(/\s(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    expect(urls.length).toBeGreaterThanOrEqual(2);
    for (const url of urls) {
      if (url === 'data:,') continue; // the empty favicon: img-src allows data:
      expect(url).toMatch(/^\/assets\/[^/]+$/);
      expect(assets).toContain(url.slice('/assets/'.length));
    }
    expect(index).not.toMatch(/https?:\/\//);
  });

  it('writes hashed file names (cached immutably), JS and CSS only', () => {
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    for (const name of assets) expect(name).toMatch(/^[\w.-]+-[\w-]{8}\.(js|css)$/);
  });

  it('ships no zod, no eval, and stays under the size budget', () => {
    const js = assets.filter((a) => a.endsWith('.js')).map((a) => readFileSync(join(out, 'assets', a)));
    const text = js.map((b) => b.toString('utf8')).join('\n');
    expect(text).not.toMatch(/ZodError|zod/i);
    expect(text).not.toMatch(/\beval\(|new Function\(/);
    const gzipped = js.reduce((n, b) => n + gzipSync(b, { level: 9 }).length, 0);
    expect(gzipped).toBeLessThanOrEqual(JS_BUDGET_GZIP);
  });

  it('a real server serves the build: the page and every file it loads', async () => {
    const page = await fetch(`${srv.url}/projects/my-app`);
    expect(page.status).toBe(200);
    expect(await page.text()).toBe(index);
    for (const name of assets) {
      const res = await fetch(`${srv.url}/assets/${name}`);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(join(out, 'assets', name)))).toBe(true);
    }
  });
});
