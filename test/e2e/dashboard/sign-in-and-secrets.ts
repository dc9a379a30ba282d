import { createServer } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessibilityProblems,
  csrfOf,
  launchChromium,
  shot,
  signedInContext,
  signInLink,
  signInLinkWithExpiry,
  startDashboardServer,
  watch,
  type DashboardServer,
} from '../../helpers/browser.js';
import { makeSandbox } from '../../helpers/cli.js';
import { kryptInProcess } from '../../helpers/in-process.js';
import { until } from '../../helpers/until.js';

// The built dashboard in Debian's chromium against a real `krypt server start` process (serving
// dist/dashboard, as `npm run build` writes it), once on a SQLite data directory and once on a
// fresh PostgreSQL database. Every sign-in is real: a one-time link from the API (or `krypt open`),
// swapped by the page for an HttpOnly session cookie, every write carrying the session's CSRF
// token. The one answer played here is a failing sign-out (a real server does not fail on demand).
// No CSP violation may appear on any page, nor a serious or critical axe-core finding.
//
// The pages are the same whatever the storage, so what only judges a page (its look: axe-core and
// screenshots; and behaviour that never reaches the server's storage) runs on SQLite alone; what
// the server decides (sessions, links, roles, change requests, CSRF, audit) runs on both.

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe.each(['sqlite', 'postgres'] as const)('dashboard in chromium (%s, real server process)', (dialect) => {
  const onSqlite = dialect === 'sqlite';
  /** A test of the page alone (no storage decides its outcome): on the SQLite run only. */
  const pageOnly = it.runIf(onSqlite);
  let srv: DashboardServer;
  /** SQLite run: another instance whose sign-in links expire after a second (--sign-in-link-ttl 1s). */
  let quick: DashboardServer | undefined;
  let memberToken: string;
  let viewerToken: string;

  /** No serious accessibility finding, and (when named) screenshots, also at 390×844: on the SQLite run only. */
  async function looksRight(page: Page, name?: string): Promise<void> {
    if (!onSqlite) return;
    expect(await accessibilityProblems(page)).toEqual([]);
    if (!name) return;
    await shot(page, name);
    const size = page.viewportSize();
    if (size && size.width !== 390) {
      await page.setViewportSize({ width: 390, height: 844 });
      await shot(page, `${name.replace(/-(1280|360)$/, '')}-390`);
      await page.setViewportSize(size);
    }
  }

  beforeAll(async () => {
    [srv, quick] = await Promise.all([startDashboardServer({ dialect }), onSqlite ? startDashboardServer({ dialect, args: ['--sign-in-link-ttl', '1s'] }) : undefined]);
    expect((await srv.call('POST', '/v1/projects', { body: { slug: 'shop' } })).status).toBe(201);
    const seeded = await srv.call('PATCH', '/v1/projects/shop/environments/development/secrets', { body: { set: { DATABASE_URL: 'postgres://dev-db/shop', STRIPE_KEY: 'sk_test_0123456789' } } });
    expect(seeded.status).toBe(200);
    expect((await srv.call('PATCH', '/v1/projects/shop/environments/production/secrets', { body: { set: { STRIPE_KEY: 'sk_live_prod_value' } } })).status).toBe(200);
    const invite = await srv.call('POST', '/v1/projects/shop/invites', { body: { email: 'mia@example.com', role: 'member' } });
    expect(invite.status).toBe(201);
    const joined = await srv.call('POST', '/v1/invites/redeem', { token: null, body: { code: invite.json.code } });
    expect(joined.status, joined.text).toBe(201);
    memberToken = joined.json.token;
    const viewerInvite = await srv.call('POST', '/v1/projects/shop/invites', { body: { email: 'vic@example.com', role: 'viewer' } });
    viewerToken = (await srv.call('POST', '/v1/invites/redeem', { token: null, body: { code: viewerInvite.json.code } })).json.token;
  });
  afterAll(async () => {
    await Promise.all([srv?.close(), quick?.close()]);
  });

  it('signs in through a `krypt open` link: lands on its path, the code leaves the address bar, the link works once', async () => {
    const owner = makeSandbox();
    const open = await kryptInProcess(['open', '-p', 'shop', '--json'], { cwd: owner.cwd, env: { ...owner.env, KRYPT_API_URL: srv.url, KRYPT_TOKEN: srv.token } });
    expect(open.code, open.stderr).toBe(0);
    const { url } = JSON.parse(open.stdout) as { url: string };
    expect(url).toMatch(new RegExp(`^${srv.url}/sign-in#code=`));
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const w = await watch(await context.newPage());
    const res = await w.page.goto(url);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    await w.page.waitForURL(`${srv.url}/projects/shop`);
    await w.page.locator('.account-email', { hasText: srv.email }).waitFor();
    await w.page.getByRole('row', { name: /DATABASE_URL/ }).waitFor();
    expect(w.page.url()).not.toContain('code=');
    const cookies = await context.cookies(srv.url);
    expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite])).toEqual([['krypt_session', true, 'Strict']]);
    expect(await w.page.evaluate(() => document.cookie)).toBe('');
    expect(await w.cspViolations()).toEqual([]);
    await context.close();

    // the same link in another browser: refused, and the page says what to do
    const again = await browser.newContext();
    const w2 = await watch(await again.newPage());
    await w2.page.goto(url);
    await w2.page.getByRole('heading', { name: 'This sign-in link no longer works' }).waitFor();
    expect(await again.cookies(srv.url)).toEqual([]);
    await again.close();
  });

  pageOnly('not signed in: / says how to sign in (krypt open), no CSP violation, at desktop and phone width', async () => {
    for (const [name, viewport] of [['signed-out-1280', { width: 1280, height: 800 }], ['signed-out-360', { width: 360, height: 740 }]] as const) {
      const context = await browser.newContext({ viewport });
      const w = await watch(await context.newPage());
      await w.page.goto(`${srv.url}/`);
      await w.page.getByRole('heading', { name: 'Sign in to Krypt' }).waitFor();
      expect(await w.page.locator('pre.command').textContent()).toBe('krypt open');
      expect(await w.cspViolations()).toEqual([]);
      expect(w.messages.filter((m) => m.startsWith('pageerror'))).toEqual([]);
      await looksRight(w.page, name);
      await context.close();
    }
  });

  it('a used sign-in link: the code leaves the address bar, the page says to run krypt open again', async () => {
    const url = await signInLink(srv, srv.token, '/projects/shop');
    // used once elsewhere
    expect((await srv.call('POST', '/v1/sessions', { token: null, body: { code: new URLSearchParams(new URL(url).hash.slice(1)).get('code') } })).status).toBe(201);
    const context = await browser.newContext();
    const posted: string[] = [];
    context.on('request', (req) => void (new URL(req.url()).pathname === '/v1/sessions' && posted.push(req.method())));
    const w = await watch(await context.newPage());
    await w.page.goto(url);
    await w.page.getByRole('heading', { name: 'This sign-in link no longer works' }).waitFor();
    expect(posted).toEqual(['POST']);
    expect(w.page.url()).toBe(`${srv.url}/sign-in`);
    expect(await w.page.locator('pre.command').textContent()).toBe('krypt open');
    expect(await context.cookies(srv.url)).toEqual([]);
    expect(await w.cspViolations()).toEqual([]);
    await looksRight(w.page, 'sign-in-used');
    await context.close();
  });

  // Expiry itself is decided in SQL, and test/server/sessions.test.ts checks it on both storages;
  // here the page, on a real process whose links live a second: SQLite only.
  it.runIf(onSqlite)('an expired sign-in link (server start --sign-in-link-ttl 1s) is refused: the page says so, no session cookie', async () => {
    const short = quick!;
    const { url, expiresAt } = await signInLinkWithExpiry(short, short.token, '/projects');
    expect(Date.parse(expiresAt) - Date.now()).toBeLessThanOrEqual(1000);
    const context = await browser.newContext();
    const answers: number[] = [];
    context.on('response', (r) => void (new URL(r.url()).pathname === '/v1/sessions' && answers.push(r.status())));
    const w = await watch(await context.newPage());
    // Waits on the link's own deadline as the server stated it (same clock), not a guessed delay.
    await until(() => Date.now() > Date.parse(expiresAt), { what: `the link's expiry at ${expiresAt}` });
    await w.page.goto(url);
    await w.page.getByRole('heading', { name: 'This sign-in link no longer works' }).waitFor();
    expect(answers).toEqual([401]);
    expect(w.page.url()).toBe(`${short.url}/sign-in`);
    expect(await w.page.locator('pre.command').textContent()).toBe('krypt open');
    expect(await context.cookies(short.url)).toEqual([]);
    expect(await w.page.locator('.account-email').count()).toBe(0);
    expect(await w.cspViolations()).toEqual([]);
    await looksRight(w.page, 'sign-in-expired');
    await context.close();
  });

  pageOnly('a good sign-in link goes to its next path; a next on another origin goes to /', async () => {
    for (const [next, landing] of [['/projects/shop', '/projects/shop'], ['//evil.example/x', '/'], ['https://evil.example/', '/']] as const) {
      const context = await browser.newContext();
      const code = new URLSearchParams(new URL(await signInLink(srv, srv.token)).hash.slice(1)).get('code')!;
      const w = await watch(await context.newPage());
      // A link's `next` is the server's to write, but a hand-made one must not lead elsewhere.
      await w.page.goto(`${srv.url}/sign-in#code=${code}&next=${encodeURIComponent(next)}`);
      await w.page.waitForURL(`${srv.url}${landing}`);
      await w.page.locator('.account-email', { hasText: srv.email }).waitFor();
      expect(w.page.url()).not.toContain(code);
      await context.close();
    }
  });

  it('an owner creates a project, adds, edits and deletes a key; every write carries the session CSRF token', async () => {
    const csrf: string[] = [];
    const context = await signedInContext(browser, srv, srv.token, srv.email, csrf);
    const w = await watch(await context.newPage());
    const page = w.page;

    await page.goto(`${srv.url}/`);
    await page.getByRole('link', { name: 'shop' }).waitFor();
    expect(await page.locator('.account-email').textContent()).toBe(srv.email);
    await looksRight(page, 'projects-1280');

    // create a project from the form, land on it
    await page.getByLabel('Name').fill('new-app');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.waitForURL(`${srv.url}/projects/new-app`);
    await page.getByText('No keys in development yet.').waitFor();
    expect((await srv.call('GET', '/v1/projects')).json.projects.map((p: { slug: string }) => p.slug)).toContain('new-app');

    await page.goto(`${srv.url}/projects/shop`);
    await page.getByRole('row', { name: /DATABASE_URL/ }).waitFor();

    // add a key
    await page.getByLabel('Name', { exact: true }).fill('NEW_KEY');
    await page.getByLabel('Value', { exact: true }).fill('brand new value');
    await page.getByRole('button', { name: 'Add key' }).click();
    await page.getByText('Saved NEW_KEY').waitFor();
    expect((await srv.call('GET', '/v1/projects/shop/environments/development/secrets/NEW_KEY')).json.value).toBe('brand new value');

    // edit it
    await page.getByRole('button', { name: 'Edit NEW_KEY' }).click();
    await page.getByLabel('New value of NEW_KEY').fill('edited value');
    await looksRight(page);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText(/Saved NEW_KEY \(revision/).waitFor();
    expect((await srv.call('GET', '/v1/projects/shop/environments/development/secrets/NEW_KEY')).json.value).toBe('edited value');

    // delete it, after confirming
    await page.getByRole('button', { name: 'Delete NEW_KEY' }).click();
    await page.getByRole('group', { name: 'Delete NEW_KEY' }).getByRole('button', { name: 'Delete' }).click();
    await page.getByText(/Deleted NEW_KEY \(revision/).waitFor();
    await page.getByRole('row', { name: /NEW_KEY/ }).waitFor({ state: 'detached' });
    expect((await srv.call('GET', '/v1/projects/shop/environments/development/secrets/NEW_KEY')).status).toBe(404);

    // every write carried the session's CSRF token
    expect(csrf.length).toBe(4);
    const token = await csrfOf(context, srv);
    for (const line of csrf) expect(line.endsWith(` ${token}`), line).toBe(true);
    expect(await w.cspViolations()).toEqual([]);
    expect(w.messages.filter((m) => m.startsWith('pageerror'))).toEqual([]);
    await context.close();
  });

  pageOnly('an owner: three tabs, reveal and copy, hidden after 30 s, on a tab change and in the background; links move focus', async () => {
    const context = await signedInContext(browser, srv, srv.token, srv.email);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: srv.url });
    const w = await watch(await context.newPage());
    await w.page.clock.install();
    const page = w.page;

    await page.goto(`${srv.url}/projects/shop`);
    await page.getByRole('tab', { name: 'production' }).waitFor();
    expect(await page.getByRole('tab').allTextContents()).toEqual(['development', 'staging', 'production']);
    await page.getByRole('row', { name: /DATABASE_URL/ }).waitFor();
    expect(await page.textContent('table')).not.toContain('postgres://dev-db/shop');

    // reveal one value, copy it
    await page.getByRole('button', { name: 'Reveal DATABASE_URL' }).click();
    await page.getByText('postgres://dev-db/shop').waitFor();
    await page.getByRole('button', { name: 'Copy DATABASE_URL' }).click();
    await page.getByRole('button', { name: 'Copy DATABASE_URL' }).filter({ hasText: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('postgres://dev-db/shop');
    // every button of the revealed row (Copied, Hide, Edit, Delete) lies whole inside its cell
    const clipped = await page.evaluate(() =>
      [...document.querySelectorAll('td.actions button')].filter((b) => {
        const cell = b.closest('td')!.getBoundingClientRect();
        const r = b.getBoundingClientRect();
        return r.right > cell.right + 0.5 || r.left < cell.left - 0.5;
      }).map((b) => b.getAttribute('aria-label') ?? b.textContent),
    );
    expect(clipped).toEqual([]);
    await looksRight(page, 'project-revealed-1280');
    // nothing of it in the URL, the title, storage or the console
    const traces = await page.evaluate(() => JSON.stringify([location.href, document.title, { ...localStorage }, { ...sessionStorage }]));
    expect(traces).not.toContain('dev-db');
    expect(w.messages.join('\n')).not.toContain('dev-db');

    // hidden again after 30 s
    await page.clock.fastForward(30_000);
    await page.getByText('postgres://dev-db/shop').waitFor({ state: 'detached' });

    // hidden on a tab change (keyboard: arrow keys move between tabs)
    await page.getByRole('button', { name: 'Reveal STRIPE_KEY' }).click();
    await page.getByText('sk_test_0123456789').waitFor();
    await page.getByRole('tab', { name: 'development' }).focus();
    await page.keyboard.press('ArrowRight');
    await page.waitForURL(`${srv.url}/projects/shop?env=staging`);
    expect(await page.getByRole('tab', { name: 'staging' }).getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('ArrowLeft');
    await page.getByRole('row', { name: /STRIPE_KEY/ }).waitFor();
    expect(await page.textContent('main')).not.toContain('sk_test_0123456789');

    // hidden when the browser tab goes to the background
    await page.getByRole('button', { name: 'Reveal DATABASE_URL' }).click();
    await page.getByText('postgres://dev-db/shop').waitFor();
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await page.getByText('postgres://dev-db/shop').waitFor({ state: 'detached' });
    await page.evaluate(() => Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true }));

    // a link navigates in place and puts the keyboard at the start of the new page
    await page.getByRole('link', { name: 'Projects' }).click();
    await page.waitForURL(`${srv.url}/`);
    await page.getByRole('heading', { name: 'Projects' }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    await page.goto(`${srv.url}/projects/shop`);
    await page.getByRole('row', { name: /DATABASE_URL/ }).waitFor();
    expect(await w.cspViolations()).toEqual([]);
    expect(w.messages.filter((m) => m.startsWith('pageerror'))).toEqual([]);

    await page.setViewportSize({ width: 360, height: 740 });
    await looksRight(page, 'project-360');
    await context.close();
  });

  it("a member's production edit becomes a change request, and the page says so with its id", async () => {
    const context = await signedInContext(browser, srv, memberToken, 'mia@example.com');
    const w = await watch(await context.newPage());
    await w.page.goto(`${srv.url}/projects/shop?env=production`);
    await w.page.getByText('your production changes become change requests').waitFor();
    await w.page.getByRole('button', { name: 'Edit STRIPE_KEY' }).click();
    await w.page.getByLabel('New value of STRIPE_KEY').fill('sk_live_from_member');
    await w.page.getByRole('button', { name: 'Save' }).click();
    const status = w.page.getByRole('status').filter({ hasText: 'Change request #' });
    await status.waitFor();
    const text = (await status.textContent()) ?? '';
    const id = /Change request #(\d+)/.exec(text)?.[1];
    const listed = await srv.call('GET', '/v1/projects/shop/change-requests');
    expect(listed.json.changeRequests.map((c: { id: number }) => String(c.id))).toContain(id);
    expect((await srv.call('GET', '/v1/projects/shop/environments/production/secrets/STRIPE_KEY')).json.value).toBe('sk_live_prod_value');
    await looksRight(w.page, 'change-request-1280');
    expect(await w.cspViolations()).toEqual([]);
    await context.close();
  });

  it('sign out ends the session on the server (DELETE /v1/sessions/current with the CSRF token); a failure says so', async () => {
    const context = await signedInContext(browser, srv, srv.token, srv.email);
    const token = await csrfOf(context, srv);
    const seen: string[] = [];
    let fail = true;
    await context.route(`${srv.url}/v1/sessions/current`, (route) => {
      seen.push(`${route.request().method()} ${route.request().headers()['x-csrf-token']}`);
      if (!fail) return route.continue();
      return route.fulfill({ status: 500, json: { error: { code: 'internal', message: 'internal server error', requestId: 'r-5' } } });
    });
    const w = await watch(await context.newPage());
    await w.page.goto(`${srv.url}/`);
    await w.page.getByRole('button', { name: 'Sign out' }).click();
    await w.page.getByRole('alert').filter({ hasText: 'Could not sign out' }).waitFor();
    expect(await w.page.locator('.account-email').textContent()).toBe(srv.email);
    fail = false;
    const cookie = (await context.cookies(srv.url)).find((c) => c.name === 'krypt_session')!;
    await w.page.getByRole('button', { name: 'Sign out' }).click();
    await w.page.getByRole('heading', { name: 'Sign in to Krypt' }).waitFor();
    expect(await w.page.locator('.account-email').count()).toBe(0);
    expect(seen).toEqual([`DELETE ${token}`, `DELETE ${token}`]);
    // the old cookie is dead on the server, not only forgotten by the browser
    expect((await srv.call('GET', '/v1/projects', { token: null, headers: { cookie: `krypt_session=${cookie.value}` } })).status).toBe(401);
    await context.close();
  });

  it('a Viewer reveals one value (an audited read) but cannot edit; the API still refuses their bulk read', async () => {
    const context = await signedInContext(browser, srv, viewerToken, 'vic@example.com');
    const w = await watch(await context.newPage());
    await w.page.goto(`${srv.url}/projects/shop?env=production`);
    await w.page.getByRole('row', { name: /STRIPE_KEY/ }).waitFor();
    expect(await w.page.getByRole('button', { name: 'Edit STRIPE_KEY' }).count()).toBe(0);
    expect(await w.page.getByRole('button', { name: 'Add key' }).count()).toBe(0);
    await w.page.getByRole('button', { name: 'Reveal STRIPE_KEY' }).click();
    await w.page.getByText('sk_live_prod_value').waitFor();
    const audit = await srv.call('GET', '/v1/projects/shop/audit?actor=vic@example.com');
    expect(audit.json.entries.map((e: { action: string; environment: string; keys: string[] }) => [e.action, e.environment, e.keys])).toContainEqual(['secret.read', 'production', ['STRIPE_KEY']]);
    const bulk = await context.request.get(`${srv.url}/v1/projects/shop/environments/production/secrets`);
    expect(bulk.status()).toBe(403);
    expect((await srv.call('GET', '/v1/projects/shop/environments/production/secrets/STRIPE_KEY', { token: viewerToken })).status).toBe(403);
    await looksRight(w.page, 'viewer-revealed-1280');
    expect(await w.cspViolations()).toEqual([]);
    await context.close();
  });

  it('a cross-site form post carrying the session cookie is refused (403 csrf) and changes nothing', async () => {
    const context = await signedInContext(browser, srv, srv.token, srv.email);
    // Another origin on the same host (another port: the same site, so the cookie goes along).
    const target = `${srv.url}/v1/projects`;
    const evil = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<form method="POST" action="${target}" enctype="text/plain"><input name='{"slug":"evil","x":"' value='"}'></form><script>document.forms[0].submit()</script>`);
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
    try {
      const page = await context.newPage();
      const answered = page.waitForResponse((r) => r.url() === target && r.request().method() === 'POST');
      await page.goto(`http://127.0.0.1:${(evil.address() as { port: number }).port}/`);
      const res = await answered;
      expect(res.request().headers().cookie ?? (await res.request().allHeaders()).cookie).toMatch(/krypt_session=/);
      expect(res.status()).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('csrf');
      expect((await srv.call('GET', '/v1/projects')).json.projects.map((p: { slug: string }) => p.slug)).not.toContain('evil');
    } finally {
      await new Promise((r) => evil.close(r));
      await context.close();
    }
  });

  pageOnly('an API refusal is shown with its message', async () => {
    const context = await signedInContext(browser, srv, memberToken, 'mia@example.com');
    const w = await watch(await context.newPage());
    await w.page.goto(`${srv.url}/projects/no-such-project`);
    await w.page.getByRole('alert').waitFor();
    const alert = (await w.page.getByRole('alert').textContent()) ?? '';
    expect(alert).toMatch(/Could not list the keys of development: .+/);
    expect(alert).toMatch(/request [0-9a-f-]{36}/);
    await context.close();
  });
});
