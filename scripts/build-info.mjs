// Shared by the bundlers (bundle.mjs for dist/bundle, release.mjs for the binaries).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The package version and the short commit of HEAD ('unknown' outside a git checkout). */
export function buildStamp() {
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short=7', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // not a git checkout (an unpacked npm tarball)
  }
  return { version, commit };
}

/**
 * An esbuild plugin for the import of the server's entry (dist/commands/server/entry.js imports
 * ../../server/entry/index.js): `external` keeps it out of the bundle as that path, `stub` replaces
 * it with a module of its own (the binary's, which says how to get the server).
 */
export function serverEntryPlugin({ external, stub }) {
  return {
    name: 'krypt-server-entry',
    setup(b) {
      b.onResolve({ filter: /\/server\/entry\/index\.js$/ }, (args) => {
        if (!args.importer.includes('/commands/server/')) return undefined;
        return stub ? { path: stub } : { path: external, external: true };
      });
    },
  };
}
