import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { api, json, personInProcess } from './team-fixture.js';

// `krypt diff` (local file vs remote) and `krypt diff ENV_A ENV_B`: masked, exit 0 equal / 1 different.

describe('krypt diff', () => {
  let server: TestServer;
  let owner: ReturnType<typeof personInProcess>;
  const P = ['-p', 'diff-app'];

  beforeAll(async () => {
    server = await startTestServer();
    owner = personInProcess(server, server.token);
    const client = api(server, server.token);
    await client.createProject('diff-app');
    await client.writeSecrets('diff-app', 'staging', { set: { SAME: 's', CHANGED: 'staging-value', ONLY_STAGING: 'x' } });
    await client.writeSecrets('diff-app', 'production', { set: { SAME: 's', CHANGED: 'prod-value', ONLY_PROD: 'y' } });
    await client.writeSecrets('diff-app', 'development', { set: { A: '1', B: 'two words' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('two environments: masked lines on stdout, a one-line error, exit 1', async () => {
    const res = await owner.run(['diff', 'stg', 'production', ...P]);
    expect(res.stdout).toBe('+ ONLY_PROD\n~ CHANGED\n- ONLY_STAGING\n');
    expect(res.stderr).toBe('Error: diff-app/staging and diff-app/production differ: 1 added, 1 changed, 1 removed\nHint: add --reveal to see the values\n');
    expect(res.code).toBe(1);
  });

  it('--reveal shows the values; --json prints the document and still exits 1', async () => {
    const revealed = await owner.run(['diff', 'staging', 'prod', ...P, '--reveal']);
    expect(revealed.stdout).toBe('+ ONLY_PROD="y"\n~ CHANGED: "staging-value" -> "prod-value"\n- ONLY_STAGING="x"\n');
    const res = await owner.run(['diff', 'staging', 'production', ...P, '--json']);
    expect(res.code).toBe(1);
    expect(json(res)).toEqual({ equal: false, from: 'diff-app/staging', to: 'diff-app/production', added: ['ONLY_PROD'], removed: ['ONLY_STAGING'], changed: ['CHANGED'] });
    expect(res.stdout).not.toContain('prod-value');
    expect(JSON.parse(res.stderr)).toMatchObject({ error: { code: 'differences' } });
  });

  it('an environment against itself is equal: exit 0, nothing on stdout', async () => {
    const res = await owner.run(['diff', 'production', 'prod', ...P]);
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain('are the same (3 keys)');
    expect(json(await owner.run(['diff', 'prod', 'prod', ...P, '--json']))).toMatchObject({ equal: true, added: [], removed: [], changed: [] });
  });

  it('the local .env against the remote environment (+ only in the file)', async () => {
    writeFileSync(join(owner.cwd, '.env'), 'A=1\nB="two words"\n');
    const same = await owner.run(['diff', ...P, '-e', 'dev']);
    expect(same.code).toBe(0);
    writeFileSync(join(owner.cwd, 'other.env'), 'A=changed\nC=new\n');
    const res = await owner.run(['diff', ...P, '-e', 'dev', '--file', 'other.env']);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('+ C\n~ A\n- B\n');
    expect(res.stderr).toMatch(/^Error: diff-app\/development and other.env differ: 1 added, 1 changed, 1 removed\nHint: run `krypt push`/);
    const doc = json(await owner.run(['diff', ...P, '-e', 'dev', '--file', 'other.env', '--json', '--reveal']));
    expect(doc).toMatchObject({ equal: false, values: { A: { from: '1', to: 'changed' }, B: { from: 'two words', to: null }, C: { from: null, to: 'new' } } });
  });

  it('refuses a single environment, an unknown one, and a missing file (exit 1)', async () => {
    const one = await owner.run(['diff', 'staging', ...P]);
    expect(one.code).toBe(1);
    expect(one.stderr).toMatch(/name two environments/);
    const unknown = await owner.run(['diff', 'staging', 'qa', ...P]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown environment "qa"/);
    const missing = await owner.run(['diff', ...P, '--file', 'nope.env']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^Error: nope.env not found/);
  });
});
