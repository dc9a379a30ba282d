import { defineConfig } from 'vitest/config';

// KRYPT_VITEST_JSON (set by .ci/run) adds a JSON report so CI can print "N passed, N failed".
const json = process.env.KRYPT_VITEST_JSON;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: json ? ['default', ['json', { outputFile: json }]] : ['default'],
  },
});
