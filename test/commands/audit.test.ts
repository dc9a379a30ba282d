import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { api, json, personInProcess } from './team-fixture.js';

// `krypt audit`: the project's log with filters, as a table, TSV or JSON.

interface EntryDoc {
  id: number;
  action: string;
  actor: string | null;
  environment: string | null;
  keys: string[];
  command: string | null;
  userAgent: string | null;
}

describe('krypt audit', () => {
  let server: TestServer;
  let owner: ReturnType<typeof personInProcess>;
  const P = ['-p', 'audit-app'];

  beforeAll(async () => {
    server = await startTestServer();
    owner = personInProcess(server, server.token);
    await api(server, server.token).createProject('audit-app');
    expect((await owner.run(['set', ...P, '-e', 'dev', 'A=1', 'B=2'])).code).toBe(0);
    expect((await owner.run(['set', ...P, '-e', 'prod', 'A=secret-prod-value'])).code).toBe(0);
    expect((await owner.run(['get', ...P, '-e', 'prod', 'A'])).code).toBe(0);
    expect((await owner.run(['pull', ...P, '-e', 'dev', '--stdout'])).code).toBe(0);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('--json lists every read and write, newest first, with the CLI command and never a value', async () => {
    const res = await owner.run(['audit', ...P, '--json']);
    expect(res.code).toBe(0);
    expect(res.stdout).not.toContain('secret-prod-value');
    const { entries } = json<{ entries: EntryDoc[] }>(res);
    const actions = entries.map((e) => `${e.action} ${e.environment ?? '-'} ${e.command ?? '-'}`);
    expect(actions.slice(0, 4)).toEqual(['secrets.read development pull', 'secrets.read production get', 'secrets.write production set', 'secrets.write development set']);
    expect(entries.map((e) => e.action)).toContain('project.create');
    expect(entries[3]).toMatchObject({ actor: 'admin@krypt.local', keys: ['A', 'B'], userAgent: expect.stringMatching(/^krypt-cli/) });
    const ids = entries.map((e) => e.id);
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
  });

  it('filters by environment (aliases accepted), actor, time and count', async () => {
    const prod = json<{ entries: EntryDoc[] }>(await owner.run(['audit', ...P, '--env', 'prod', '--json']));
    expect(prod.entries.length).toBe(2);
    expect(prod.entries.every((e) => e.environment === 'production')).toBe(true);
    const limited = json<{ entries: EntryDoc[] }>(await owner.run(['audit', ...P, '--limit', '2', '--json']));
    expect(limited.entries.length).toBe(2);
    const recent = json<{ entries: EntryDoc[] }>(await owner.run(['audit', ...P, '--since', '1h', '--json']));
    expect(recent.entries.length).toBeGreaterThanOrEqual(5);
    const future = await owner.run(['audit', ...P, '--since', '2999-01-01', '--json']);
    expect(json<{ entries: EntryDoc[] }>(future).entries).toEqual([]);
    const nobody = json<{ entries: EntryDoc[] }>(await owner.run(['audit', ...P, '--actor', 'nobody@example.com', '--json']));
    expect(nobody.entries).toEqual([]);
    const me = json<{ entries: EntryDoc[] }>(await owner.run(['audit', ...P, '--actor', 'ADMIN@krypt.local', '--json']));
    expect(me.entries.length).toBeGreaterThanOrEqual(5);
  });

  it('filters by action and until, and says how to page on', async () => {
    const reads = json<{ entries: EntryDoc[] }>(await owner.run(['audit', ...P, '--action', 'secrets.write', '--json']));
    expect(reads.entries.map((e) => `${e.action} ${e.environment}`)).toEqual(['secrets.write production', 'secrets.write development']);
    const past = json<{ entries: EntryDoc[] }>(await owner.run(['audit', ...P, '--until', '2000-01-01', '--json']));
    expect(past.entries).toEqual([]);
    const first = await owner.run(['audit', ...P, '--limit', '2']);
    expect(first.code).toBe(0);
    const next = /add --before (\d+) for the next page/.exec(first.stderr)?.[1];
    expect(next, first.stderr).toBeDefined();
    const firstIds = first.stdout.trimEnd().split('\n').map((l) => Number(l.split('\t')[0]));
    expect(Number(next)).toBe(firstIds.at(-1));
    const second = json<{ entries: EntryDoc[]; next: number | null }>(await owner.run(['audit', ...P, '--limit', '2', '--before', next!, '--json']));
    expect(second.entries.length).toBe(2);
    expect(second.entries.every((e) => e.id < Number(next))).toBe(true);
    const unknown = await owner.run(['audit', ...P, '--action', 'secret.steal']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown audit action "secret.steal"\nHint: one of: project.create, /);
  });

  it('prints TSV when piped (no header), and refuses bad filters locally', async () => {
    const res = await owner.run(['audit', ...P, '--env', 'production']);
    expect(res.code).toBe(0);
    const lines = res.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]!.split('\t')).toEqual([expect.stringMatching(/^\d+$/), expect.any(String), 'admin@krypt.local', 'secrets.read', 'production', 'all 1', expect.stringMatching(/^keyCount=1 revision=\d+$/), 'get', expect.any(String)]);
    for (const bad of [['--since', 'yesterday'], ['--until', 'soon'], ['--before', '0'], ['--env', 'qa'], ['--limit', '0'], ['--actor', 'nope']]) {
      const refused = await owner.run(['audit', ...P, ...bad]);
      expect(refused.code, bad.join(' ')).toBe(1);
      expect(refused.stderr).toMatch(/^Error: .+\nHint: /);
    }
    const unknown = await owner.run(['audit', '-p', 'no-such-project']);
    expect([2, 4]).toContain(unknown.code);
  });
});
