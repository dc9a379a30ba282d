import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, makeSandbox } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { until } from '../helpers/until.js';
import { json, person } from './team-fixture.js';

// `krypt open` through the real binary against a real server: the link printed (--print, --json,
// no display, a failing opener) or handed to the browser through a 0600 redirect file, with the
// one-time code in no process's argv.

const codeOf = (url: string) => new URLSearchParams(new URL(url).hash.slice(1)).get('code') as string;

/** A directory with a fake `xdg-open` that records its argv, the file it was given, and its modes. */
function fakeOpener(exitCode = 0): { bin: string; record: string } {
  const root = mkdtempSync(join(tmpdir(), 'krypt-opener-'));
  const bin = join(root, 'bin');
  mkdirSync(bin);
  const record = join(root, 'record');
  const script = [
    '#!/bin/sh',
    `rec=${record}`,
    'mkdir -p "$rec"',
    'for a in "$@"; do printf "%s\\n" "$a"; done > "$rec/argv"',
    'cat "$1" > "$rec/file"',
    'stat -c %a "$1" > "$rec/file-mode"',
    'stat -c %a "$(dirname "$1")" > "$rec/dir-mode"',
    'cat /proc/$PPID/cmdline | tr "\\0" "\\n" > "$rec/parent-argv"',
    `exit ${exitCode}`,
    '',
  ].join('\n');
  writeFileSync(join(bin, 'xdg-open'), script);
  chmodSync(join(bin, 'xdg-open'), 0o755);
  return { bin, record };
}

describe('krypt open', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  const swap = (code: string) => server.call('POST', '/v1/sessions', { token: null, body: { code } });

  it('--print prints a working one-time link on stdout and says how long it works', async () => {
    const res = await person(server, server.token).run(['open', '--print', '-p', 'my-app']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`^${server.url}/sign-in#code=ksign_[A-Za-z0-9_-]{43}&next=%2Fprojects%2Fmy-app\\n$`));
    expect(res.stderr).toMatch(/it works once, within 1[0-2]\d s/);
    const code = codeOf(res.stdout.trim());
    expect(res.stderr).not.toContain(code);
    expect((await swap(code)).status).toBe(201);
    expect((await swap(code)).status).toBe(401);
  });

  it('--json prints {url, expiresAt} and opens nothing', async () => {
    const opener = fakeOpener();
    const res = await person(server, server.token).run(['open', '/projects/app', '--json'], { env: { DISPLAY: ':0', PATH: `${opener.bin}:${process.env.PATH}` } });
    expect(res.code, res.stderr).toBe(0);
    const doc = json<{ url: string; expiresAt: string }>(res);
    expect(Object.keys(doc).sort()).toEqual(['expiresAt', 'url']);
    expect(doc.url).toMatch(/#code=ksign_.+&next=%2Fprojects%2Fapp$/);
    expect(existsSync(opener.record)).toBe(false);
  });

  it('hands the browser a 0600 file that redirects to the link; the code is in no argv; the file is removed', async () => {
    const opener = fakeOpener();
    const tmp = mkdtempSync(join(tmpdir(), 'krypt-open-tmp-'));
    const res = await person(server, server.token).run(['open'], { env: { DISPLAY: ':0', TMPDIR: tmp, PATH: `${opener.bin}:${process.env.PATH}` } });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/Opened the Krypt dashboard in your browser \(the sign-in link works once, within \d+ s\)/);

    const argv = readFileSync(join(opener.record, 'argv'), 'utf8').trim().split('\n');
    expect(argv).toHaveLength(1);
    expect(argv[0]).toMatch(new RegExp(`^${tmp}/krypt-open-[^/]+/sign-in\\.html$`));
    expect(readFileSync(join(opener.record, 'file-mode'), 'utf8').trim()).toBe('600');
    expect(readFileSync(join(opener.record, 'dir-mode'), 'utf8').trim()).toBe('700');
    const page = readFileSync(join(opener.record, 'file'), 'utf8');
    const refresh = /<meta http-equiv="refresh" content="0;url=([^"]+)">/.exec(page)?.[1] ?? '';
    const url = refresh.replace(/&amp;/g, '&');
    expect(url).toMatch(new RegExp(`^${server.url}/sign-in#code=ksign_`));
    const code = codeOf(url);
    // neither the opener's argv nor that of the process that started it carries the code
    expect(argv.join(' ')).not.toContain(code);
    const parent = readFileSync(join(opener.record, 'parent-argv'), 'utf8');
    expect(parent).toContain('open');
    expect(parent).not.toContain(code);
    expect(res.stderr).not.toContain(code);
    // the redirect file and its directory are gone once the command ends
    expect(readdirSync(tmp)).toEqual([]);
    expect((await swap(code)).status).toBe(201);
  });

  it('prints the link when there is no display, or the opener fails', async () => {
    const opener = fakeOpener();
    const noDisplay = await person(server, server.token).run(['open'], { env: { PATH: `${opener.bin}:${process.env.PATH}` } });
    expect(noDisplay.code, noDisplay.stderr).toBe(0);
    expect(noDisplay.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/sign-in#code=ksign_\S+\n$/);
    expect(noDisplay.stderr).toMatch(/Could not open a browser: no display/);
    expect(existsSync(opener.record)).toBe(false);

    const empty = mkdtempSync(join(tmpdir(), 'krypt-no-opener-'));
    const missing = await person(server, server.token).run(['open'], { env: { DISPLAY: ':0', PATH: empty } });
    expect(missing.code, missing.stderr).toBe(0);
    expect(missing.stderr).toMatch(/Could not open a browser: xdg-open was not found/);
    expect(missing.stdout).toMatch(/#code=ksign_\S+\n$/);

    const failing = fakeOpener(3);
    const tmp = mkdtempSync(join(tmpdir(), 'krypt-open-tmp-'));
    const res = await person(server, server.token).run(['open'], { env: { DISPLAY: ':0', TMPDIR: tmp, PATH: `${failing.bin}:${process.env.PATH}` } });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/Could not open a browser: xdg-open failed \(exit 3\)/);
    expect(res.stdout).toMatch(/#code=ksign_\S+\n$/);
    expect(readdirSync(tmp)).toEqual([]);
    expect((await swap(codeOf(res.stdout.trim()))).status).toBe(201);
  });

  it('removes the redirect file when interrupted while the browser reads it', async () => {
    const opener = fakeOpener();
    const tmp = mkdtempSync(join(tmpdir(), 'krypt-open-tmp-'));
    const box = makeSandbox();
    const env = { ...box.env, KRYPT_API_URL: server.url, KRYPT_TOKEN: server.token, DISPLAY: ':0', TMPDIR: tmp, PATH: `${opener.bin}:${process.env.PATH}` };
    const child = spawn(process.execPath, [BIN, 'open'], { cwd: box.cwd, env, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await until(() => existsSync(join(opener.record, 'dir-mode')), { what: 'the opener being given the file' });
    expect(readdirSync(tmp)).toHaveLength(1);
    child.kill('SIGINT');
    expect(await exited).toBe('SIGINT');
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('refuses a PATH together with --project (exit 1)', async () => {
    const res = await person(server, server.token).run(['open', '/x', '-p', 'app']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/give a PATH or --project, not both/);
  });
});
