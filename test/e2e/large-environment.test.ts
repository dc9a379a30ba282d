import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_KEYS_PER_WRITE } from '../../src/contract/constants.js';
import { krypt, makeSandbox } from '../helpers/cli.js';
import { createTestPgDatabase, type TestPgDatabase } from '../helpers/pg.js';
import { killServerProcesses, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

// A 10,000-key environment through the real CLI and a real `krypt server start`, on a SQLite data
// directory and on PostgreSQL: push and pull round-trip every value, a one-key push after it sends
// one key, and a push larger than one write is refused before anything is sent, saying what to do.
// Needs `npm run build` (npm test does it first).

const KEYS = 10_000;

function envFile(count: number, prefix = 'KEY', change?: number): string {
  let text = '';
  for (let i = 0; i < count; i++) text += `${prefix}_${i}=${i === change ? 'changed' : `value-${i}-${'x'.repeat(24)}`}\n`;
  return text;
}

describe.each(['sqlite', 'postgres'] as const)('a %s environment of 10,000 keys', (store) => {
  const box = makeSandbox();
  const keyFile = join(box.home, 'master.key');
  let pgDb: TestPgDatabase | undefined;
  let server: ServerProcess;
  let env: Record<string, string>;
  const run = (args: string[]) => krypt(args, { cwd: box.cwd, env, timeoutMs: 60_000 });

  beforeAll(async () => {
    pgDb = store === 'postgres' ? await createTestPgDatabase() : undefined;
    const storeArgs = pgDb ? ['--database-url', pgDb.url] : ['--data-dir', join(box.home, 'data')];
    const init = await krypt(['server', 'init', ...storeArgs, '--master-key-out', keyFile], { cwd: box.cwd, env: box.env });
    expect(init.code, init.stderr).toBe(0);
    const token = /^api-key: (krypt_\S+)$/m.exec(init.stdout)![1]!;
    server = await startServerProcess([...storeArgs, '--master-key-file', keyFile, '--port', '0'], box.env);
    env = { ...box.env, KRYPT_API_URL: server.url, KRYPT_TOKEN: token };
    expect((await run(['projects', 'create', 'big'])).code).toBe(0);
    expect((await run(['init', '-p', 'big'])).code).toBe(0);
  });
  afterAll(async () => {
    killServerProcesses();
    await pgDb?.drop();
  });

  it('pushes 10,000 keys in one write and pulls every value back', async () => {
    writeFileSync(join(box.cwd, '.env'), envFile(KEYS));
    const push = await run(['push', '--yes']);
    expect(push.code, push.stderr).toBe(0);
    expect(push.stdout + push.stderr).toContain(`${KEYS} added, 0 changed, 0 deleted (revision 1)`);
    const pull = await run(['pull', '--stdout', '--format', 'json']);
    expect(pull.code, pull.stderr).toBe(0);
    const pulled = JSON.parse(pull.stdout) as Record<string, string>;
    expect(Object.keys(pulled)).toHaveLength(KEYS);
    expect(pulled.KEY_9999).toBe(`value-9999-${'x'.repeat(24)}`);

    writeFileSync(join(box.cwd, '.env'), envFile(KEYS, 'KEY', 42));
    const one = await run(['push', '--yes']);
    expect(one.stdout + one.stderr).toContain('0 added, 1 changed, 0 deleted (revision 2)');
    expect((await run(['get', 'KEY_42'])).stdout).toBe('changed\n');
  });

  it(`refuses a push of more than ${MAX_KEYS_PER_WRITE} keys before sending anything, saying how to split it`, async () => {
    const file = join(box.cwd, 'huge.env');
    writeFileSync(file, envFile(MAX_KEYS_PER_WRITE + 1, 'HUGE'));
    const push = await run(['push', '--file', 'huge.env', '--yes']);
    expect(push.code).toBe(1);
    expect(push.stderr).toContain(`Error: this push changes ${MAX_KEYS_PER_WRITE + 1} keys; one write takes at most ${MAX_KEYS_PER_WRITE}, so nothing was pushed`);
    expect(push.stderr).toContain(`Hint: split huge.env into files of at most ${MAX_KEYS_PER_WRITE} keys and push each with --file (without --prune)`);
    const list = await run(['secrets', 'list', '--json']);
    expect(list.stdout).not.toContain('HUGE_');
    expect(readFileSync(file, 'utf8').length).toBeGreaterThan(0);
  });
});
