// Bundles the CLI's two start-up paths (dist/fast-path.js, dist/cli-main.js, compiled by tsc) into
// dist/bundle/ with esbuild, sharing chunks, and stamps the version and commit into `krypt --version`.
// The server never enters a bundle: its entry stays an import of dist/server/entry/index.js (bin/run.js
// sends `krypt server ...` to the unbundled dist/server-main.js anyway).
import { build } from 'esbuild';
import { buildStamp, serverEntryPlugin } from './build-info.mjs';

await build({
  entryPoints: ['dist/fast-path.js', 'dist/cli-main.js'],
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outdir: 'dist/bundle',
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  define: { __KRYPT_BUILD__: JSON.stringify(buildStamp()) },
  plugins: [serverEntryPlugin({ external: '../server/entry/index.js' })],
  logLevel: 'warning',
});
