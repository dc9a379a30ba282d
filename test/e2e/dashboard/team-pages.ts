import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { accessibilityProblems, launchChromium, shot, signedInContext, startDashboardServer, watch, type DashboardServer, type Watched } from '../../helpers/browser.js';
import { makeSandbox } from '../../helpers/cli.js';
import { kryptInProcess } from '../../helpers/in-process.js';

// The dashboard's team pages in Debian's chromium against a real `krypt server start` process:
// change requests (a Member's production edit approved in the browser, then read by the CLI;
// per-key reveal, reject with a reason, cancel, a conflict), the environment comparison, members and
// invites (a new user joins through the invite link), the audit log (filters, paging), keys,
// service tokens and sessions, and deleting a project. Every page is checked with axe-core and
// photographed at 1280×800 and 390×844 (test-results/dashboard-team-*.png); no secret value may
// appear in an address, a title, the console or browser storage.

const VALUES = {
  devDb: 'postgres://dev-db/shop-7c1e',
  stgDb: 'postgres://stg-db/shop-41aa',
  prodDb: 'postgres://prod-db/shop-b9d2',
  shared: 'shared-across-envs-5f0d',
  prodStripe: 'sk_live_prod_value_93e1',
  proposed: 'sk_live_rotated_value_2ac4',
};
const ALL_VALUES = Object.values(VALUES);

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** Nothing secret where it must never be: the address, the title, browser storage, the console. */
async function expectNoValueLeaks(w: Watched): Promise<void> {
  const where = await w.page.evaluate(() => ({
    url: window.location.href,
    title: document.title,
    storage: JSON.stringify({ ...window.localStorage }) + JSON.stringify({ ...window.sessionStorage }),
  }));
  for (const value of ALL_VALUES) {
    expect(where.url).not.toContain(value);
    expect(where.title).not.toContain(value);
    expect(where.storage).not.toContain(value);
    expect(w.messages.join('\n')).not.toContain(value);
  }
}

/** axe-core finds nothing serious, and the page is photographed at desktop and phone sizes, fitting the phone's width. */
async function judge(w: Watched, name: string): Promise<void> {
  expect(await accessibilityProblems(w.page)).toEqual([]);
  expect(await w.cspViolations()).toEqual([]);
  await shot(w.page, `team-${name}-1280`);
  await w.page.setViewportSize({ width: 390, height: 844 });
  // Nothing wider than the phone's screen but what scrolls on purpose (tables in .table-scroll).
  // The page itself never scrolls sideways (wide tables scroll inside their own region).
  const overflow = await w.page.evaluate(() => ({
    by: document.documentElement.scrollWidth - window.innerWidth,
    widest: [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
      .map((el) => `${el.tagName.toLowerCase()}.${String(el.className)}`)
      .slice(0, 5),
  }));
  expect(overflow.by, overflow.widest.join(', ')).toBeLessThanOrEqual(0);
  await shot(w.page, `team-${name}-390`);
  await w.page.setViewportSize({ width: 1280, height: 800 });
  await expectNoValueLeaks(w);
}

describe.each(['sqlite', 'postgres'] as const)('team pages in chromium (%s, real server process)', (dialect) => {
  const onSqlite = dialect === 'sqlite';
  /**
   * The PostgreSQL run repeats what the issue names (a change request approved in the browser and
   * read by the CLI; a Viewer's audited reveal); the pages' other flows run on SQLite, where the
   * server's decisions are the same code (test/server covers both dialects).
   */
  const sqliteOnly = it.runIf(onSqlite);
  let srv: DashboardServer;
  const people: Record<'member' | 'viewer' | 'admin', { email: string; token: string }> = {
    member: { email: 'mia@example.com', token: '' },
    viewer: { email: 'vic@example.com', token: '' },
    admin: { email: 'ada@example.com', token: '' },
  };
  const contexts: BrowserContext[] = [];
  // One signed-in browser per person for the whole run; each test opens its own pages in it.
  const signedIn = new Map<string, Promise<BrowserContext>>();
  let pages: Page[] = [];

  async function join(slug: string, email: string, role: string): Promise<string> {
    const invite = await srv.call('POST', `/v1/projects/${slug}/invites`, { body: { email, role } });
    expect(invite.status, invite.text).toBe(201);
    const joined = await srv.call('POST', '/v1/invites/redeem', { token: null, body: { code: invite.json.code } });
    expect(joined.status, joined.text).toBe(201);
    return joined.json.token as string;
  }
  /** Adds someone who already has an account: invited, then accepted with their own key. */
  async function addExisting(slug: string, who: { email: string; token: string }, role: string): Promise<void> {
    const invite = await srv.call('POST', `/v1/projects/${slug}/invites`, { body: { email: who.email, role } });
    expect(invite.status, invite.text).toBe(201);
    const accepted = await srv.call('POST', '/v1/invites/accept', { token: who.token, body: { code: invite.json.code } });
    expect(accepted.status, accepted.text).toBe(200);
  }
  async function write(slug: string, env: string, set: Record<string, string>, token = srv.token) {
    const r = await srv.call('PATCH', `/v1/projects/${slug}/environments/${env}/secrets`, { token, body: { set } });
    expect([200, 202], r.text).toContain(r.status);
    return r;
  }
  /** A page signed in as `who` (the owner by default), watched, at `path`. */
  async function open(path: string, who: { email: string; token: string } = { email: srv.email, token: srv.token }): Promise<Watched> {
    let context = signedIn.get(who.email);
    if (!context) {
      context = signedInContext(browser, srv, who.token, who.email);
      signedIn.set(who.email, context);
      contexts.push(await context);
    }
    const w = await watch(await (await context).newPage());
    pages.push(w.page);
    await w.page.goto(srv.url + path);
    return w;
  }

  beforeAll(async () => {
    srv = await startDashboardServer({ dialect });
    expect((await srv.call('POST', '/v1/projects', { body: { slug: 'shop' } })).status).toBe(201);
    await write('shop', 'development', { DATABASE_URL: VALUES.devDb, SHARED: VALUES.shared, DEV_ONLY: VALUES.shared });
    await write('shop', 'staging', { DATABASE_URL: VALUES.stgDb, SHARED: VALUES.shared });
    await write('shop', 'production', { DATABASE_URL: VALUES.prodDb, SHARED: VALUES.shared, STRIPE_KEY: VALUES.prodStripe });
    for (const [role, person] of Object.entries(people)) person.token = await join('shop', person.email, role);
  });
  afterEach(async () => {
    await Promise.all(pages.map((p) => p.close()));
    pages = [];
  });
  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.close()));
    await srv?.close();
  });

  it("a Member's production edit is a change request the Owner approves in the browser; the CLI then reads the new value", async () => {
    const member = await open('/projects/shop?env=production', people.member);
    await member.page.getByRole('button', { name: 'Edit STRIPE_KEY' }).click();
    await member.page.getByLabel('New value of STRIPE_KEY').fill(VALUES.proposed);
    await member.page.getByRole('button', { name: 'Save' }).click();
    const opened = member.page.getByRole('status').filter({ hasText: /was opened: nothing changed yet/ });
    await opened.waitFor();
    const id = /Change request #(\d+)/.exec(await opened.innerText())?.[1];
    expect(id).toBeDefined();

    const owner = await open('/projects/shop/change-requests');
    const row = owner.page.getByRole('row').filter({ hasText: `#${id}` });
    await row.getByRole('link', { name: `#${id}` }).click();
    await owner.page.waitForURL(`${srv.url}/projects/shop/change-requests/${id}`);
    await owner.page.getByRole('heading', { name: new RegExp(`Change request #${id} to production`) }).waitFor();
    // Masked until revealed; revealing one key is an audited read of that key alone.
    expect(await owner.page.content()).not.toContain(VALUES.proposed);
    await owner.page.getByRole('button', { name: 'Reveal STRIPE_KEY' }).click();
    await owner.page.locator('code.revealed', { hasText: VALUES.proposed }).waitFor();
    await owner.page.locator('code.revealed', { hasText: VALUES.prodStripe }).waitFor();
    const reveal = await srv.call('GET', `/v1/projects/shop/audit?action=change_request.reveal&limit=1`);
    expect(reveal.json.entries[0]).toMatchObject({ actor: srv.email, keys: ['STRIPE_KEY'], details: { changeRequest: Number(id) } });
    await owner.page.getByRole('button', { name: 'Hide STRIPE_KEY' }).click();
    await owner.page.getByRole('button', { name: 'Approve and apply' }).click();
    await owner.page.getByRole('status').filter({ hasText: /Approved and applied \(revision \d+ of production\)/ }).waitFor();
    await owner.page.locator('.status-approved').first().waitFor();

    const box = makeSandbox();
    const got = await kryptInProcess(['get', '-p', 'shop', '-e', 'production', 'STRIPE_KEY'], { cwd: box.cwd, env: { ...box.env, KRYPT_API_URL: srv.url, KRYPT_TOKEN: srv.token } });
    expect(got.code, got.stderr).toBe(0);
    expect(got.stdout).toBe(`${VALUES.proposed}\n`);
    await expectNoValueLeaks(owner);
    await expectNoValueLeaks(member);
  });

  /** A Member's pending production change request; its number. */
  const propose = async (set: Record<string, string>) => (await write('shop', 'production', set, people.member.token)).json.changeRequest.id as number;

  sqliteOnly('rejects with a reason the requester then sees; the requester cannot decide', async () => {
    const id = await propose({ DATABASE_URL: 'postgres://wrong-db/shop' });
    const owner = await open(`/projects/shop/change-requests/${id}`);
    const reject = owner.page.getByRole('button', { name: 'Reject', exact: true });
    await reject.waitFor();
    expect(await reject.isDisabled()).toBe(true);
    await owner.page.getByLabel('Reason for rejecting').fill('points at the wrong database');
    await reject.click();
    await owner.page.getByText('Rejected by').waitFor();
    const member = await open(`/projects/shop/change-requests/${id}`, people.member);
    await member.page.getByText(/Rejected by .+: “points at the wrong database”/).waitFor();
    expect(await member.page.getByRole('button', { name: 'Approve and apply' }).count()).toBe(0);
    expect((await srv.call('GET', '/v1/projects/shop/environments/production/secrets/DATABASE_URL')).json.value).not.toBe('postgres://wrong-db/shop');
  });

  sqliteOnly('the requester cancels their own request; nobody else is offered to', async () => {
    const id = await propose({ SHARED: 'member-proposal-1' });
    const owner = await open(`/projects/shop/change-requests/${id}`);
    await owner.page.getByRole('button', { name: 'Approve and apply' }).waitFor();
    expect(await owner.page.getByRole('button', { name: 'Cancel my request' }).count()).toBe(0);
    const member = await open(`/projects/shop/change-requests/${id}`, people.member);
    await member.page.getByRole('button', { name: 'Cancel my request' }).click();
    await member.page.getByRole('status').filter({ hasText: 'Cancelled: nothing was applied.' }).waitFor();
    expect((await srv.call('GET', `/v1/projects/shop/change-requests/${id}`)).json.changeRequest.status).toBe('cancelled');
  });

  sqliteOnly('a key changed since the request was made: approving is refused naming it, as the CLI says it, until approved anyway', async () => {
    const id = await propose({ DATABASE_URL: 'postgres://member-db/shop' });
    await write('shop', 'production', { DATABASE_URL: 'postgres://owner-moved-db/shop' });
    const owner = await open(`/projects/shop/change-requests/${id}`);
    await owner.page.getByRole('button', { name: 'Approve and apply' }).click();
    const alert = owner.page.getByRole('alert').filter({ hasText: `Cannot approve change request #${id}:` });
    await alert.waitFor();
    expect(await alert.innerText()).toContain('DATABASE_URL changed since it was made; nothing was applied.');
    expect((await srv.call('GET', '/v1/projects/shop/environments/production/secrets/DATABASE_URL')).json.value).toBe('postgres://owner-moved-db/shop');
    await judge(owner, 'change-request-conflict');
    await alert.getByRole('button', { name: 'Approve anyway' }).click();
    await owner.page.getByRole('status').filter({ hasText: 'Approved and applied' }).waitFor();
    expect((await srv.call('GET', '/v1/projects/shop/environments/production/secrets/DATABASE_URL')).json.value).toBe('postgres://member-db/shop');
  });

  sqliteOnly('lists change requests by status', async () => {
    const id = await propose({ LISTED: 'x' });
    const owner = await open('/projects/shop/change-requests');
    await owner.page.getByRole('link', { name: `#${id}`, exact: true }).waitFor();
    expect(await owner.page.locator('tbody .status').allInnerTexts()).toEqual(expect.arrayContaining(['pending']));
    expect(new Set(await owner.page.locator('tbody .status').allInnerTexts())).toEqual(new Set(['pending']));
    await owner.page.getByRole('button', { name: 'all', exact: true }).click();
    await owner.page.waitForURL(/status=all$/);
    await owner.page.locator('tbody .status-approved').first().waitFor();
    await judge(owner, 'change-requests');
    await owner.page.getByRole('link', { name: `#${id}`, exact: true }).click();
    await owner.page.getByRole('button', { name: 'Reveal LISTED' }).click();
    await owner.page.locator('code.revealed', { hasText: 'x' }).waitFor();
    await judge(owner, 'change-request');
  });

  it('a Viewer reveals one value, and the Owner finds the reveal in the audit log by filter', async () => {
    const viewer = await open('/projects/shop?env=production', people.viewer);
    await viewer.page.getByRole('button', { name: 'Reveal SHARED' }).click();
    await viewer.page.locator('code.revealed').waitFor();
    expect(await viewer.page.getByRole('button', { name: /^Edit / }).count()).toBe(0);

    const owner = await open('/projects/shop/audit');
    await owner.page.getByLabel('Actor (email)').fill(people.viewer.email);
    await owner.page.getByLabel('Action').selectOption('secret.read');
    await owner.page.getByLabel('Environment').selectOption('production');
    await owner.page.getByRole('button', { name: 'Apply filters' }).click();
    await owner.page.waitForURL(/\/projects\/shop\/audit\?actor=vic%40example.com&action=secret.read&environment=production$/);
    const rows = owner.page.locator('table.audit tbody tr');
    await rows.first().filter({ hasText: 'SHARED' }).waitFor();
    expect(await rows.count()).toBe(1);
    expect(await rows.first().innerText()).toContain(people.viewer.email);
    // Viewers see the log too (it holds no values).
    await viewer.page.goto(`${srv.url}/projects/shop/audit`);
    await viewer.page.locator('table.audit tbody tr').first().waitFor();
  });

  sqliteOnly('pages the audit log 50 entries at a time, newest first, and filters by time', async () => {
    for (let i = 0; i < 6; i++) await write('shop', 'development', { [`PAGED_${i}`]: String(i) });
    // Enough reads for three pages.
    for (let batch = 0; batch < 11; batch++) {
      await Promise.all(Array.from({ length: 10 }, () => srv.call('GET', '/v1/projects/shop/environments/development/secrets/PAGED_0')));
    }
    const owner = await open('/projects/shop/audit?action=secret.read&environment=development');
    const ids = async () => (await owner.page.locator('table.audit tbody tr').evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-entry')))));
    await owner.page.getByText('Page 1: 50 entries, newest first').waitFor();
    const firstPage = await ids();
    await owner.page.getByRole('button', { name: 'Older' }).click();
    await owner.page.getByText('Page 2: 50 entries, newest first').waitFor();
    const secondPage = await ids();
    // Newest first, and the second page starts below where the first ended.
    expect([...firstPage].sort((a, b) => b - a)).toEqual(firstPage);
    expect(Math.max(...secondPage)).toBeLessThan(Math.min(...firstPage));
    await owner.page.getByRole('button', { name: 'Older' }).click();
    await owner.page.getByText(/Page 3: \d+ entr/).waitFor();
    expect(await owner.page.getByRole('button', { name: 'Older' }).isDisabled()).toBe(true);
    await owner.page.getByRole('button', { name: 'Newer' }).click();
    await owner.page.getByText('Page 2: 50 entries, newest first').waitFor();
    // A window in the future holds nothing.
    await owner.page.getByLabel('From').fill('2999-01-01T00:00');
    await owner.page.getByRole('button', { name: 'Apply filters' }).click();
    await owner.page.getByText('No entries match these filters.').waitFor();
    await owner.page.getByRole('button', { name: 'Clear' }).click();
    await owner.page.getByText('Page 1: 50 entries, newest first').waitFor();
    await judge(owner, 'audit');
  });

  sqliteOnly('compares the environments without a value; a Viewer sees presence only', async () => {
    const owner = await open('/projects/shop/compare');
    const table = owner.page.locator('table.compare');
    await table.waitFor();
    const row = (key: string) => table.locator('tbody tr').filter({ has: owner.page.locator('th', { hasText: new RegExp(`^${key}$`) }) });
    // SHARED is the same everywhere: hidden under "Missing or different" until "All keys".
    expect(await row('SHARED').count()).toBe(0);
    expect(await row('DEV_ONLY').innerText()).toMatch(/missing[\s\S]*missing[\s\S]*missing somewhere/);
    expect(await row('DATABASE_URL').innerText()).toMatch(/A[\s\S]*B[\s\S]*C[\s\S]*values differ/);
    await owner.page.getByRole('button', { name: 'All keys' }).click();
    expect(await row('SHARED').innerText()).toMatch(/A[\s\S]*A[\s\S]*A[\s\S]*same everywhere/);
    const html = await owner.page.content();
    for (const value of ALL_VALUES) expect(html).not.toContain(value);
    await judge(owner, 'compare');

    const viewer = await open('/projects/shop/compare', people.viewer);
    await viewer.page.getByText('As a Viewer you see which environments have each key').waitFor();
    await viewer.page.locator('table.compare tbody tr').filter({ hasText: 'DEV_ONLY' }).waitFor();
    expect(await viewer.page.locator('table.compare').innerText()).not.toMatch(/values differ|same everywhere/);
  });

  sqliteOnly('invites with the link shown once; someone new joins through it in the browser and lands signed in', async () => {
    const owner = await open('/projects/shop/members');
    await owner.page.getByLabel('Email').fill('newcomer@example.com');
    await owner.page.getByLabel('Role', { exact: true }).selectOption('member');
    await owner.page.getByRole('button', { name: 'Create invite' }).click();
    const link = await owner.page.getByLabel('Invite link').inputValue();
    expect(link).toMatch(new RegExp(`^${srv.url}/invite#code=`));
    await owner.page.locator('table.invites').getByText('newcomer@example.com').waitFor();
    await judge(owner, 'members');
    // Shown once: a reload has the pending invite, not the link.
    await owner.page.reload();
    await owner.page.locator('table.invites').getByText('newcomer@example.com').waitFor();
    expect(await owner.page.getByLabel('Invite link').count()).toBe(0);

    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    contexts.push(context);
    const newcomer = await watch(await context.newPage());
    await newcomer.page.goto(link);
    await newcomer.page.getByRole('heading', { name: 'Join Krypt' }).waitFor();
    // The code has left the address bar.
    expect(newcomer.page.url()).toBe(`${srv.url}/invite`);
    await judge(newcomer, 'invite');
    await newcomer.page.getByLabel('Your name (optional)').fill('Nia Newcomer');
    await newcomer.page.getByRole('button', { name: 'Accept the invite' }).click();
    await newcomer.page.waitForURL(`${srv.url}/projects/shop`);
    await newcomer.page.locator('.account-email', { hasText: 'newcomer@example.com' }).waitFor();
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'krypt_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    const join = await srv.call('GET', '/v1/projects/shop/audit?action=member.join&limit=1');
    expect(join.json.entries[0]).toMatchObject({ actor: 'newcomer@example.com' });
    // The link worked once.
    const again = await watch(await (await browser.newContext()).newPage());
    await again.page.goto(link);
    await again.page.getByRole('button', { name: 'Accept the invite' }).click();
    await again.page.getByRole('alert').filter({ hasText: /invalid, used or expired/ }).waitFor();
    await again.page.context().close();
  });

  sqliteOnly('an invite for an existing account never signs anyone in to it: that person accepts signed in as themselves', async () => {
    expect((await srv.call('POST', '/v1/projects', { body: { slug: 'ops' } })).status).toBe(201);
    const invite = await srv.call('POST', '/v1/projects/ops/invites', { body: { email: people.member.email, role: 'viewer' } });
    const stranger = await watch(await (await browser.newContext()).newPage());
    await stranger.page.goto(invite.json.url);
    await stranger.page.getByRole('button', { name: 'Accept the invite' }).click();
    await stranger.page.getByText('That address already has an account').waitFor();
    expect((await stranger.page.context().cookies()).find((c) => c.name === 'krypt_session')).toBeUndefined();
    await stranger.page.context().close();

    const member = await open('/', people.member);
    await member.page.goto(invite.json.url);
    await member.page.getByRole('button', { name: 'Accept and open the project' }).click();
    await member.page.waitForURL(`${srv.url}/projects/ops`);
    await member.page.locator('h1 .role-viewer').waitFor();
  });

  sqliteOnly('revokes a pending invite, changes a role, removes a member, transfers ownership after confirming', async () => {
    expect((await srv.call('POST', '/v1/projects', { body: { slug: 'handover' } })).status).toBe(201);
    const bob = await join('handover', 'bob@example.com', 'member');
    await join('handover', 'cy@example.com', 'member');
    const pending = await srv.call('POST', '/v1/projects/handover/invites', { body: { email: 'later@example.com', role: 'viewer' } });
    const owner = await open('/projects/handover/members');

    await owner.page.getByRole('button', { name: 'Revoke the invite for later@example.com' }).click();
    await owner.page.getByRole('status').filter({ hasText: 'Revoked the invite for later@example.com' }).waitFor();
    expect((await srv.call('POST', '/v1/invites/redeem', { token: null, body: { code: pending.json.code } })).status).toBe(401);

    await owner.page.getByLabel('Role of bob@example.com').selectOption('admin');
    await owner.page.getByRole('status').filter({ hasText: 'bob@example.com is now admin.' }).waitFor();
    expect((await srv.call('GET', '/v1/projects', { token: bob })).json.projects[0]).toMatchObject({ slug: 'handover', role: 'admin' });

    await owner.page.getByRole('button', { name: 'Remove cy@example.com' }).click();
    await owner.page.getByRole('group', { name: 'Remove cy@example.com' }).getByRole('button', { name: 'Remove', exact: true }).click();
    await owner.page.getByRole('status').filter({ hasText: 'Removed cy@example.com.' }).waitFor();
    expect(await owner.page.locator('table.members').innerText()).not.toContain('cy@example.com');

    await owner.page.getByLabel('New owner').selectOption('bob@example.com');
    await owner.page.getByRole('button', { name: 'Continue' }).click();
    const transfer = owner.page.getByRole('button', { name: 'Transfer ownership' });
    expect(await transfer.isDisabled()).toBe(true);
    await owner.page.getByLabel('Project name').fill('handove');
    expect(await transfer.isDisabled()).toBe(true);
    await owner.page.getByLabel('Project name').fill('handover');
    await transfer.click();
    await owner.page.getByRole('status').filter({ hasText: 'bob@example.com now owns handover; you are an Admin.' }).waitFor();
    await owner.page.locator('h1 .role-admin').waitFor();
    expect((await srv.call('GET', '/v1/projects', { token: bob })).json.projects[0]).toMatchObject({ role: 'owner' });
  });

  sqliteOnly('creates a personal key and a service token (each shown once), revokes them, and ends another session', async () => {
    const other = await signedInContext(browser, srv, srv.token, srv.email);
    contexts.push(other);
    const owner = await open('/account');
    await owner.page.getByRole('heading', { name: 'Keys and sessions' }).waitFor();

    await owner.page.getByLabel('Name', { exact: true }).fill('laptop');
    await owner.page.getByRole('button', { name: 'Create key' }).click();
    const personal = await owner.page.getByLabel('Token', { exact: true }).inputValue();
    expect(personal).toMatch(/^krypt_/);
    expect((await srv.call('GET', '/v1/me', { token: personal })).json.key).toMatchObject({ name: 'laptop', service: null });
    await owner.page.getByRole('button', { name: 'Done, hide it' }).click();
    expect(await owner.page.getByLabel('Token', { exact: true }).count()).toBe(0);

    await owner.page.getByLabel('Name', { exact: true }).fill('github-actions');
    await owner.page.getByLabel('Service token (read-only, one project and environment)').check();
    await owner.page.getByLabel('Project', { exact: true }).selectOption('shop');
    await owner.page.getByLabel('Environment', { exact: true }).selectOption('staging');
    await owner.page.getByRole('button', { name: 'Create key' }).click();
    const service = await owner.page.getByLabel('Token', { exact: true }).inputValue();
    const read = await srv.call('GET', '/v1/projects/shop/environments/staging/secrets', { token: service });
    expect(read.status).toBe(200);
    expect((await srv.call('GET', '/v1/projects/shop/environments/production/secrets', { token: service })).status).toBe(403);
    await owner.page.locator('table.keys').getByText('shop/staging').waitFor();
    await judge(owner, 'account');

    await owner.page.getByRole('button', { name: 'Revoke github-actions' }).click();
    await owner.page.getByRole('group', { name: 'Revoke github-actions' }).getByRole('button', { name: 'Revoke', exact: true }).click();
    await owner.page.getByRole('status').filter({ hasText: /Revoked github-actions/ }).waitFor();
    expect((await srv.call('GET', '/v1/projects/shop/environments/staging/secrets', { token: service })).status).toBe(401);

    // The other browser's session is listed and ended from here.
    expect((await other.request.get(`${srv.url}/v1/session`)).status()).toBe(200);
    const ends = owner.page.getByRole('button', { name: /^End the session of / });
    await ends.first().waitFor();
    const before = await ends.count();
    await ends.first().click();
    await owner.page.getByRole('status').filter({ hasText: 'Session ended' }).waitFor();
    expect(await ends.count()).toBe(before - 1);
    const alive = await Promise.all(contexts.filter((c) => c !== owner.page.context()).map(async (c) => (await c.request.get(`${srv.url}/v1/session`)).status()));
    expect(alive).toContain(401);
    expect((await owner.page.context().request.get(`${srv.url}/v1/session`)).status()).toBe(200);
  });

  sqliteOnly('an Owner deletes a project after typing its name; others have no delete button', async () => {
    expect((await srv.call('POST', '/v1/projects', { body: { slug: 'doomed' } })).status).toBe(201);
    await addExisting('doomed', people.admin, 'admin');
    const admin = await open('/', people.admin);
    await admin.page.getByRole('link', { name: 'doomed' }).waitFor();
    expect(await admin.page.getByRole('button', { name: 'Delete doomed' }).count()).toBe(0);

    const owner = await open('/');
    await owner.page.getByRole('button', { name: 'Delete doomed' }).click();
    const confirm = owner.page.getByRole('button', { name: 'Delete project' });
    expect(await confirm.isDisabled()).toBe(true);
    await judge(owner, 'projects-delete');
    await owner.page.getByLabel('Type doomed to confirm').fill('doomed');
    await confirm.click();
    await owner.page.getByRole('status').filter({ hasText: 'Deleted doomed and everything in it.' }).waitFor();
    expect(await owner.page.getByRole('link', { name: 'doomed' }).count()).toBe(0);
    expect((await srv.call('GET', '/v1/projects/doomed/environments/development/keys')).status).toBe(404);
  });

  sqliteOnly('every project page has the section navigation, working by keyboard, and the page title never names a value', async () => {
    const owner = await open('/projects/shop');
    const nav = owner.page.getByRole('navigation', { name: 'Project shop' });
    await nav.waitFor();
    for (const [label, path] of [['Compare', '/compare'], ['Change requests', '/change-requests'], ['Members', '/members'], ['Audit log', '/audit'], ['Secrets', '']] as const) {
      await nav.getByRole('link', { name: label }).focus();
      await owner.page.keyboard.press('Enter');
      await owner.page.waitForURL(`${srv.url}/projects/shop${path}`);
      expect(await nav.getByRole('link', { name: label }).getAttribute('aria-current')).toBe('page');
      // The title follows the page once it has drawn: wait for it, then it must name no value.
      await owner.page.waitForFunction((want) => document.title === want, `${label} · shop · Krypt`);
    }
    await judge(owner, 'secrets');
  });
});
