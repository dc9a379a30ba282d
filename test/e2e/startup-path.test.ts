import { readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, makeSandbox } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// One-shot commands must not load undici nor touch the global fetch (STACK.md: +100-165 ms and
// 40-50 MB per invocation on Node 20); they speak node:http(s).

const TRACER = resolve(import.meta.dirname, '../fixtures/trace-startup.mjs');

function traced(args: string[], env: Record<string, string>, cwd: string, trace: string): Promise<number | null> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', TRACER, BIN, ...args], { cwd, env: { ...env, KRYPT_TRACE_FILE: trace }, stdio: 'ignore' });
    child.on('close', (code) => done(code));
  });
}

describe('start-up path of one-shot commands', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ dialect: 'sqlite' });
  });
  afterAll(() => server?.close());

  it.each([
    ['get', ['get', 'TOKEN_A', '-p', 'fast']],
    ['run', ['run', '-p', 'fast', '--', 'node', '-e', '0']],
    ['pull', ['pull', '-p', 'fast', '--stdout']],
    // push and diff of a file equal to the environment, before set changes it
    ['push', ['push', '-p', 'fast', '--file', 'same.env', '--yes']],
    ['diff', ['diff', '-p', 'fast', '--file', 'same.env']],
    ['set', ['set', '-p', 'fast', 'TOKEN_B=b']],
    ['whoami', ['whoami']],
    ['list', ['list']],
    ['secrets list', ['secrets', 'list', '-p', 'fast']],
    ['unset', ['unset', '-p', 'fast', 'TOKEN_A']],
  ])('%s loads neither undici nor fetch nor zod', async (_name, args) => {
    const box = makeSandbox();
    const env = { ...box.env, KRYPT_API_URL: server.url, KRYPT_TOKEN: server.token };
    const trace = join(box.home, 'trace.txt');
    await fetch(`${server.url}/v1/projects`, { method: 'POST', headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ slug: 'fast' }) });
    await fetch(`${server.url}/v1/projects/fast/environments/development/secrets`, { method: 'PATCH', headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ set: { TOKEN_A: 'a' } }) });
    writeFileSync(join(box.cwd, 'same.env'), 'TOKEN_A=a\n');
    expect(await traced(args, env, box.cwd, trace)).toBe(0);
    const lines = readFileSync(trace, 'utf8').split('\n');
    expect(lines.some((l) => l.includes('node:http'))).toBe(true);
    expect(lines.filter((l) => /undici/.test(l))).toEqual([]);
    expect(lines).not.toContain('fetch touched');
    // Client commands load one bundle and nothing from node_modules (every resolved file costs a
    // stat and a compile).
    expect(lines.filter((l) => /node_modules/.test(l))).toEqual([]);
    expect(lines.some((l) => l.includes('/dist/bundle/'))).toBe(true);
    // No daily command loads zod (its schemas: ~35-80 ms): run and get do not even load cli-main,
    // the others check their responses with the zod-free guards of route-guards.ts.
    if (_name === 'run' || _name === 'get') expect(lines.filter((l) => /[/\\]zod[/\\]|cli-main\.js/.test(l))).toEqual([]);
    else expect(lines.some((l) => l.includes('/dist/bundle/cli-main.js'))).toBe(true);
    // zod bundled into a chunk would not show as a module path
    const bundled = [...new Set(lines.filter((l) => l.startsWith('module file://') && l.includes('/dist/bundle/')).map((l) => l.slice('module '.length)))];
    expect(bundled.filter((u) => readFileSync(new URL(u), 'utf8').includes('ZodError'))).toEqual([]);
  });
});
