// `npm run test:binary` (the last step of `npm test`): builds the five release archives
// (scripts/release.mjs) and runs the end-to-end suites that drive the real CLI against the linux-x64
// binary (KRYPT_BIN), plus test/release/ on the archives themselves (KRYPT_RELEASE_DIR).
// With KRYPT_VITEST_JSON set (CI), the report goes to that path with `.binary` appended.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const out = join(root, 'release');
export const BINARY_SUITES = [
  'test/release/release.test.ts',
  'test/e2e/round-trip.test.ts',
  'test/e2e/teams.test.ts',
  'test/e2e/offline.test.ts',
  'test/e2e/tls.test.ts',
  'test/e2e/run-mask-watch.test.ts',
  'test/e2e/hot-path.test.ts',
  'test/e2e/cli-conventions.test.ts',
  'test/e2e/examples.test.ts',
  'test/e2e/pull-overwrite.test.ts',
  'test/e2e/input-encoding.test.ts',
  'test/e2e/privileged-variables.test.ts',
  'test/e2e/invite-takeover.test.ts',
  'test/e2e/leak-scan.test.ts',
];

const step = (cmd, args, env = {}) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
step(process.execPath, [join(root, 'scripts/release.mjs'), '--out', out]);
const json = process.env.KRYPT_VITEST_JSON;
step(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', ...BINARY_SUITES], {
  KRYPT_BIN: join(out, 'build/linux-x64/krypt'),
  KRYPT_RELEASE_DIR: out,
  ...(json ? { KRYPT_VITEST_JSON: `${json}.binary` } : {}),
});
