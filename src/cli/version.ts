import { readFileSync } from 'node:fs';

// What `krypt --version` says: the package version and the commit it was built from, stamped in by
// the bundlers (scripts/bundle.mjs for dist/bundle, scripts/release.mjs for the binaries), and the
// runtime it runs on. Unbundled (tests in process, `tsx`), the version comes from package.json.

declare const __KRYPT_BUILD__: { version: string; commit: string } | undefined;

export interface BuildInfo {
  version: string;
  /** Short commit hash, or 'unknown' outside a git checkout. */
  commit: string;
}

export function buildInfo(): BuildInfo {
  if (typeof __KRYPT_BUILD__ !== 'undefined' && __KRYPT_BUILD__) return __KRYPT_BUILD__;
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return { version: pkg.version, commit: 'unknown' };
}

/** The runtime: `node-v20.20.2`, or `bun-1.4.5` inside the standalone binary. */
export function runtime(): string {
  const bun = (process.versions as Record<string, string | undefined>).bun;
  return bun ? `bun-${bun}` : `node-${process.version}`;
}

/** `krypt/0.1.0 (3f2c1ab) linux-x64 node-v20.20.2` */
export function versionLine(info: BuildInfo = buildInfo()): string {
  return `krypt/${info.version} (${info.commit}) ${process.platform}-${process.arch} ${runtime()}`;
}
