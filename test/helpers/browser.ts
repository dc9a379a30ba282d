import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { makeSandbox } from './cli.js';
import { kryptInProcess } from './in-process.js';
import { createTestPgDatabase, type TestPgDatabase } from './pg.js';
import { startServerProcess, type ServerProcess } from './server-process.js';
import { callApi, type ApiResponse, type CallOptions } from './server.js';

// What the dashboard's browser tests share: Debian's chromium, a page watched for console errors
// and CSP violations, axe-core's verdict, screenshots in test-results/, and a real `krypt server
// start` process (SQLite data directory or a fresh PostgreSQL database) to sign in to for real.

export const CHROMIUM = '/usr/bin/chromium';
export const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SHOTS = resolve(import.meta.dirname, '../../test-results');

/** Debian's chromium, headless; a missing binary is a failure that says how to install it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

export interface Watched {
  page: Page;
  /** Console lines and page errors seen so far. */
  messages: string[];
  /** Violations the page reported (securitypolicyviolation) or chromium logged. */
  cspViolations(): Promise<string[]>;
}

/** Starts recording `page`'s console, page errors and CSP violations (call before its first goto). */
export async function watch(page: Page): Promise<Watched> {
  const messages: string[] = [];
  page.on('console', (m) => messages.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => messages.push(`pageerror: ${e.message}`));
  // Runs before the page's scripts, through the DevTools protocol (not an inline script the CSP judges).
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __csp: string[] }).__csp = seen;
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return {
    page,
    messages,
    cspViolations: async () => [
      ...(await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp)),
      ...messages.filter((m) => /Content Security Policy|Refused to/i.test(m)),
    ],
  };
}

/**
 * axe-core's serious and critical violations on the page as it is now. Legacy mode runs axe in the
 * page itself: the default opens a second page per check to merge frame results, and the dashboard
 * has no frames (measured: 2.6 s a check, 1.7 s in legacy mode).
 */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).setLegacyMode(true).analyze();
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

/** A full-page screenshot at test-results/dashboard-NAME.png. */
export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: resolve(SHOTS, `dashboard-${name}.png`), fullPage: true });
}

/** A server the browser talks to: a DashboardServer, or an in-process TestServer. */
export interface BrowserTarget {
  url: string;
  call(method: string, path: string, opts?: CallOptions): Promise<ApiResponse>;
}

export interface DashboardServer extends BrowserTarget {
  dialect: 'sqlite' | 'postgres';
  /** API key of the instance's first user (EMAIL below), as `krypt server init` printed it. */
  token: string;
  email: string;
  /** The process's stderr so far (banner and pino JSON lines), for a failing test's message. */
  logs(): string;
  /** Stops the process (SIGTERM, waits for its exit), drops the PostgreSQL database, removes the data directory. */
  close(): Promise<void>;
}

export interface DashboardServerOptions {
  dialect: 'sqlite' | 'postgres';
  /** More `krypt server start` flags, e.g. ['--sign-in-link-ttl', '1s']. */
  args?: string[];
}

/**
 * A fresh instance as an operator makes one: `krypt server init` (master key to a 0600 file), then
 * a real `krypt server start --master-key-file ... --port 0` process on a SQLite data directory or
 * a new PostgreSQL database (unreachable = failure). `call` defaults to the first user's key.
 */
export async function startDashboardServer({ dialect, args = [] }: DashboardServerOptions): Promise<DashboardServer> {
  const box = makeSandbox();
  const keyFile = join(box.home, 'master.key');
  let pgDb: TestPgDatabase | undefined;
  let proc: ServerProcess | undefined;
  const cleanUp = async () => {
    if (proc) await proc.stop();
    await pgDb?.drop();
    rmSync(box.home, { recursive: true, force: true });
  };
  try {
    if (dialect === 'postgres') pgDb = await createTestPgDatabase();
    const storage = pgDb ? ['--database-url', pgDb.url] : ['--data-dir', join(box.home, 'data')];
    const init = await kryptInProcess(['server', 'init', ...storage, '--master-key-out', keyFile, '--json'], { cwd: box.cwd, env: box.env });
    if (init.code !== 0) throw new Error(`krypt server init exited ${init.code}: ${init.stderr}`);
    const { token, user } = JSON.parse(init.stdout) as { token: string; user: { email: string } };
    proc = await startServerProcess([...storage, '--master-key-file', keyFile, '--port', '0', ...args], box.env, { cwd: box.cwd });
    const { url, stderr } = proc;
    let closed: Promise<void> | undefined;
    return {
      dialect,
      url,
      token,
      email: user.email,
      logs: stderr,
      call: (method, path, opts) => callApi(url, token, method, path, opts),
      close: () => (closed ??= cleanUp()),
    };
  } catch (err) {
    await cleanUp();
    throw err;
  }
}

/** A one-time sign-in link for the holder of `token` (what `krypt open` asks for), landing on `path`. */
export async function signInLink(server: BrowserTarget, token: string, path?: string): Promise<string> {
  return (await signInLinkWithExpiry(server, token, path)).url;
}

/** A sign-in link and the time it stops working, as the server says. */
export async function signInLinkWithExpiry(server: BrowserTarget, token: string, path?: string): Promise<{ url: string; expiresAt: string }> {
  const r = await server.call('POST', '/v1/sign-in-links', { token, body: path ? { path } : {} });
  expect(r.status, r.text).toBe(201);
  return { url: r.json.url as string, expiresAt: r.json.expiresAt as string };
}

/**
 * A browser context signed in for real as the holder of `token` (whose email is `email`): its page
 * opened a sign-in link. `writes` hears every state-changing /v1 request with the CSRF token it carried.
 */
export async function signedInContext(browser: Browser, server: BrowserTarget, token: string, email: string, writes: string[] = []): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.on('request', (req) => {
    const path = new URL(req.url()).pathname;
    if (path.startsWith('/v1/') && req.method() !== 'GET' && path !== '/v1/sessions') writes.push(`${req.method()} ${path} ${req.headers()['x-csrf-token'] ?? '(none)'}`);
  });
  const page = await context.newPage();
  await page.goto(await signInLink(server, token));
  await page.locator('.account-email', { hasText: email }).waitFor();
  await page.close();
  return context;
}

/** The CSRF token of the context's session, as the page learns it. */
export async function csrfOf(context: BrowserContext, server: BrowserTarget): Promise<string> {
  const r = await context.request.get(`${server.url}/v1/session`);
  expect(r.status()).toBe(200);
  return ((await r.json()) as { csrfToken: string }).csrfToken;
}
