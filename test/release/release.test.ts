import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { sh } from '../helpers/cli.js';

// What `npm run release` leaves in KRYPT_RELEASE_DIR (npm run test:binary makes it): five archives
// with the binary, README and LICENSE, SHA256SUMS over them, binaries of the right format and
// architecture, a version stamp, and an install.sh that verifies before it installs.

const exec = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const dir = process.env.KRYPT_RELEASE_DIR ? resolve(process.env.KRYPT_RELEASE_DIR) : '';
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

const ARCHIVES: Record<string, { file: RegExp; exe: string }> = {
  [`krypt_${version}_linux_x64.tar.gz`]: { file: /ELF 64-bit LSB executable, x86-64/, exe: 'krypt' },
  [`krypt_${version}_linux_arm64.tar.gz`]: { file: /ELF 64-bit LSB executable, ARM aarch64/, exe: 'krypt' },
  [`krypt_${version}_darwin_x64.tar.gz`]: { file: /Mach-O 64-bit x86_64 executable/, exe: 'krypt' },
  [`krypt_${version}_darwin_arm64.tar.gz`]: { file: /Mach-O 64-bit arm64 executable/, exe: 'krypt' },
  [`krypt_${version}_windows_x64.zip`]: { file: /PE32\+ executable \(console\) x86-64, for MS Windows/, exe: 'krypt.exe' },
};

async function unpack(archive: string): Promise<string> {
  const into = mkdtempSync(join(tmpdir(), 'krypt-archive-'));
  if (archive.endsWith('.zip')) await exec('unzip', ['-q', join(dir, archive), '-d', into]);
  else await exec('tar', ['-xzf', join(dir, archive), '-C', into]);
  return into;
}

describe('npm run release', () => {
  it('is given a release directory (KRYPT_RELEASE_DIR, set by npm run test:binary)', () => {
    expect(dir).not.toBe('');
    expect(existsSync(join(dir, 'SHA256SUMS'))).toBe(true);
  });

  it('writes five archives and SHA256SUMS that matches each of them', () => {
    const sums = readFileSync(join(dir, 'SHA256SUMS'), 'utf8').trim().split('\n').map((l) => l.split('  ') as [string, string]);
    expect(sums.map(([, name]) => name).sort()).toEqual(Object.keys(ARCHIVES).sort());
    for (const [sum, name] of sums) expect(createHash('sha256').update(readFileSync(join(dir, name))).digest('hex')).toBe(sum);
    expect(readdirSync(dir).filter((f) => f.startsWith('krypt_')).sort()).toEqual(Object.keys(ARCHIVES).sort());
  });

  it.each(Object.entries(ARCHIVES))('%s holds the binary for its platform, the README and the licence', async (archive, want) => {
    const into = await unpack(archive);
    expect(readdirSync(into).sort()).toEqual([want.exe, 'LICENSE', 'README.md'].sort());
    const { stdout } = await exec('file', ['-b', join(into, want.exe)]);
    expect(stdout).toMatch(want.file);
  });

  it('stamps the version and commit; the binary needs no Node.js (empty environment, nothing on PATH)', async () => {
    const into = await unpack(`krypt_${version}_linux_x64.tar.gz`);
    const { stdout: commit } = await exec('git', ['rev-parse', '--short=7', 'HEAD'], { cwd: root });
    const res = await sh(`env -i PATH=/nonexistent '${join(into, 'krypt')}' --version`, { cwd: into, env: { PATH: process.env.PATH ?? '' } });
    expect(res.stderr).toBe('');
    expect(res.stdout).toMatch(new RegExp(`^krypt/${version.replaceAll('.', '\\.')} \\(${commit.trim()}\\) linux-x64 bun-\\d+\\.\\d+\\.\\d+\\n$`));
  });

  it('says where the server is: it runs on Node.js, not in the binary', async () => {
    const into = await unpack(`krypt_${version}_linux_x64.tar.gz`);
    const res = await sh(`'${join(into, 'krypt')}' server start --dev`, { cwd: into, env: { PATH: process.env.PATH ?? '' } });
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/^Error: the standalone krypt binary carries the client only; the server runs on Node\.js\nHint: .*npm ci && npm run build.*node bin\/run\.js server start/);
  });

  it('install.sh picks the archive for this machine, verifies it and installs krypt into PREFIX/bin', async () => {
    const prefix = mkdtempSync(join(tmpdir(), 'krypt-prefix-'));
    const res = await sh(`sh '${join(dir, 'install.sh')}' --base-url 'file://${dir}' --prefix '${prefix}'`, { cwd: prefix, env: { PATH: process.env.PATH ?? '', HOME: prefix } });
    expect(res.stderr).toContain(`Installed krypt/${version}`);
    expect(res.code).toBe(0);
    const { stdout } = await exec(join(prefix, 'bin/krypt'), ['--version']);
    expect(stdout).toMatch(/ linux-x64 bun-/);
  });

  it('install.sh refuses an archive that does not match SHA256SUMS and installs nothing', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'krypt-tampered-'));
    cpSync(dir, copy, { recursive: true, filter: (src) => !src.includes(`${dir}/build`) });
    const archive = join(copy, `krypt_${version}_linux_x64.tar.gz`);
    const bytes = readFileSync(archive);
    bytes[bytes.length - 100] = (bytes[bytes.length - 100] ?? 0) ^ 0xff;
    writeFileSync(archive, bytes);
    const prefix = mkdtempSync(join(tmpdir(), 'krypt-prefix-'));
    const res = await sh(`sh '${join(copy, 'install.sh')}' --base-url 'file://${copy}' --prefix '${prefix}'`, { cwd: prefix, env: { PATH: process.env.PATH ?? '', HOME: prefix } });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/Error: krypt_.*_linux_x64\.tar\.gz does not match SHA256SUMS \(expected [0-9a-f]{64}, got [0-9a-f]{64}\): nothing was installed\nHint: /);
    expect(existsSync(join(prefix, 'bin/krypt'))).toBe(false);
  });

  it('install.sh without a release to install from says what to pass', async () => {
    const res = await sh(`sh '${join(dir, 'install.sh')}'`, { cwd: dir, env: { PATH: process.env.PATH ?? '', HOME: tmpdir() } });
    expect(res.code).toBe(1);
    expect(res.stderr).toBe('Error: no release to install from\nHint: pass --base-url URL (or set KRYPT_DOWNLOAD_URL): the directory holding SHA256SUMS and the krypt_*.tar.gz archives\n');
  });
});
