import { writeFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { api, join, json, personInProcess } from './team-fixture.js';

// A Member's production writes become change requests; Owners/Admins decide them with
// `krypt change-requests` (alias `krypt cr`), through the real binary.

interface CrDoc {
  id: number;
  status: string;
  environment: string;
  requestedBy: string;
  decidedBy: string | null;
  reason: string | null;
  changes: Array<{ key: string; action: string }>;
}

describe('krypt change-requests / cr', () => {
  let server: TestServer;
  let owner: ReturnType<typeof personInProcess>;
  let member: ReturnType<typeof personInProcess>;
  let viewer: ReturnType<typeof personInProcess>;
  const P = ['-p', 'cr-app'];

  /** What the first two tests make through the CLI, made through the API: requests #1, #2 and #3. */
  async function threeRequests(): Promise<void> {
    const patch = (body: unknown) => server.call('PATCH', '/v1/projects/cr-app/environments/production/secrets', { token: member.token, body });
    expect((await patch({ set: { API_URL: 'https://v2.example.com' } })).json.changeRequest.id).toBe(1);
    expect((await patch({ set: { API_URL: 'https://v3.example.com', NEW_KEY: 'fresh' } })).json.changeRequest.id).toBe(2);
    expect((await patch({ delete: ['TOKEN'] })).json.changeRequest.id).toBe(3);
  }

  // A server of its own for every test (in-memory SQLite): cr-app, its members, production values.
  beforeEach(async () => {
    server = await startTestServer();
    owner = personInProcess(server, server.token);
    await api(server, server.token).createProject('cr-app');
    member = personInProcess(server, await join(server, server.token, 'cr-app', 'mia@example.com', 'member'));
    viewer = personInProcess(server, await join(server, server.token, 'cr-app', 'vic@example.com', 'viewer'));
    expect((await owner.run(['set', ...P, '-e', 'prod', 'API_URL=https://v1.example.com', 'TOKEN=t1'])).code).toBe(0);
  });
  afterEach(async () => {
    await server?.close();
  });

  it('a Member\'s `set` on production creates change request #1 and changes nothing', async () => {
    const res = await member.run(['set', ...P, '-e', 'production', 'API_URL=https://v2.example.com']);
    expect(res.stderr).toContain('Change request #1 created; an owner or admin must approve it');
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('');
    expect((await owner.run(['get', ...P, '-e', 'prod', 'API_URL'])).stdout).toBe('https://v1.example.com\n');
    const dev = await member.run(['set', ...P, '-e', 'dev', 'API_URL=https://dev.example.com']);
    expect(dev.stderr).toMatch(/^Set API_URL in cr-app\/development/);
  });

  it('push and unset on production return the pending request with --json', async () => {
    writeFileSync(joinPath(member.cwd, '.env'), 'API_URL=https://v3.example.com\nNEW_KEY=fresh\nTOKEN=t1\n');
    const pushed = await member.run(['push', ...P, '-e', 'prod', '--yes', '--json']);
    expect(pushed.code).toBe(0);
    const doc = json<{ applied: boolean; changeRequest: CrDoc }>(pushed);
    expect(doc.applied).toBe(false);
    expect(doc.changeRequest).toMatchObject({ id: 1, status: 'pending', environment: 'production', requestedBy: 'mia@example.com' });
    expect(doc.changeRequest.changes).toEqual(expect.arrayContaining([{ key: 'API_URL', action: 'set' }, { key: 'NEW_KEY', action: 'set' }]));
    const unset = await member.run(['unset', ...P, '-e', 'prod', 'TOKEN', '--json']);
    expect(unset.code).toBe(0);
    expect(json<{ changeRequest: CrDoc }>(unset).changeRequest).toMatchObject({ id: 2, changes: [{ key: 'TOKEN', action: 'delete' }] });
  });

  it('lists them under both names, filtered by status; a Viewer may list', async () => {
    await threeRequests();
    const full = await owner.run(['change-requests', 'list', ...P]);
    expect(full.code).toBe(0);
    expect(full.stdout).toMatch(/^#1\tproduction\tpending\tmia@example\.com\t\S+\tAPI_URL\t$/m);
    expect(full.stdout).toMatch(/^#3\tproduction\tpending\tmia@example\.com\t\S+\t-TOKEN\t$/m);
    const alias = await viewer.run(['cr', 'list', ...P, '--status', 'pending', '--json']);
    expect(alias.code).toBe(0);
    expect(json<{ changeRequests: CrDoc[] }>(alias).changeRequests.map((c) => c.id).sort()).toEqual([1, 2, 3]);
    const none = await owner.run(['cr', 'list', ...P, '--status', 'rejected']);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('No rejected change requests in cr-app.');
    expect((await owner.run(['cr', 'list', ...P, '--status', 'maybe'])).code).toBe(1);
  });

  it('show prints a masked diff; --reveal shows current and proposed values', async () => {
    await threeRequests();
    const masked = await owner.run(['cr', 'show', '2', ...P]);
    expect(masked.code).toBe(0);
    expect(masked.stdout).toMatch(/^Change request #2 to cr-app\/production: pending$/m);
    expect(masked.stdout).toMatch(/^~ API_URL$/m);
    expect(masked.stdout).toMatch(/^\+ NEW_KEY$/m);
    expect(masked.stdout).not.toContain('v3.example.com');
    expect(masked.stdout).not.toContain('fresh');
    const revealed = await owner.run(['change-requests', 'show', '#2', ...P, '--reveal']);
    expect(revealed.stdout).toContain('~ API_URL: "https://v1.example.com" -> "https://v3.example.com"');
    expect(revealed.stdout).toContain('+ NEW_KEY="fresh"');
    const missing = await owner.run(['cr', 'show', '99', ...P]);
    expect(missing.code).toBe(2);
    expect((await owner.run(['cr', 'show', 'abc', ...P])).code).toBe(1);
  });

  it('only an Owner/Admin approves; approval applies the change', async () => {
    await threeRequests();
    const byMember = await member.run(['cr', 'approve', '1', ...P]);
    expect(byMember.code).toBe(4);
    const res = await owner.run(['cr', 'approve', '1', ...P]);
    expect(res.stderr).toMatch(/^Approved change request #1: 1 change\(s\) applied to cr-app\/production \(revision \d+\)\.$/m);
    expect(res.code).toBe(0);
    expect((await owner.run(['get', ...P, '-e', 'prod', 'API_URL'])).stdout).toBe('https://v2.example.com\n');
    const twice = await owner.run(['cr', 'approve', '1', ...P]);
    expect(twice.code).toBe(2);
  });

  it('refuses to approve a request whose keys changed since (exit 2, naming them) unless --force', async () => {
    await threeRequests();
    // #1 approved first: API_URL has changed since #2 was made
    expect((await server.call('POST', '/v1/projects/cr-app/change-requests/1/approve', { body: {} })).status).toBe(200);
    const refused = await owner.run(['cr', 'approve', '2', ...P]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^Error: cannot approve change request #2: API_URL changed since it was made; nothing was applied\nHint: .*krypt cr approve 2 --force/);
    expect((await owner.run(['get', ...P, '-e', 'prod', 'API_URL'])).stdout).toBe('https://v2.example.com\n');
    const forced = await owner.run(['cr', 'approve', '2', ...P, '--force', '--json']);
    expect(forced.code).toBe(0);
    expect(json<{ changeRequest: CrDoc }>(forced).changeRequest).toMatchObject({ id: 2, status: 'approved', decidedBy: 'admin@krypt.local' });
    expect((await owner.run(['get', ...P, '-e', 'prod', 'API_URL', 'NEW_KEY'])).stdout).toBe('https://v3.example.com\nfresh\n');
  });

  it('rejects with a reason the requester sees', async () => {
    await threeRequests();
    expect((await owner.run(['cr', 'reject', '3', ...P])).code).toBe(1);
    const res = await owner.run(['cr', 'reject', '3', ...P, '--reason', 'TOKEN is still used by billing']);
    expect(res.code).toBe(0);
    const seen = await member.run(['cr', 'show', '3', ...P]);
    expect(seen.stdout).toMatch(/^Change request #3 to cr-app\/production: rejected$/m);
    expect(seen.stdout).toMatch(/^Decided by admin@krypt\.local at \S+: TOKEN is still used by billing$/m);
    const listed = json<{ changeRequests: CrDoc[] }>(await member.run(['cr', 'list', ...P, '--json']));
    expect(listed.changeRequests.find((c) => c.id === 3)).toMatchObject({ status: 'rejected', decidedBy: 'admin@krypt.local', reason: 'TOKEN is still used by billing' });
    expect((await owner.run(['get', ...P, '-e', 'prod', 'TOKEN'])).stdout).toBe('t1\n');
  });

  it('only the requester cancels, and only while pending', async () => {
    const created = json<{ changeRequest: CrDoc }>(await member.run(['set', ...P, '-e', 'prod', 'TOKEN=t2', '--json']));
    const id = String(created.changeRequest.id);
    expect((await owner.run(['cr', 'cancel', id, ...P])).code).toBe(4);
    const res = await member.run(['cr', 'cancel', id, ...P]);
    expect(res.stderr).toContain(`Cancelled change request #${id}.`);
    expect(res.code).toBe(0);
    expect((await member.run(['cr', 'cancel', id, ...P])).code).toBe(2);
    expect((await owner.run(['cr', 'approve', id, ...P])).code).toBe(2);
  });
});
