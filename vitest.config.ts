import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// KRYPT_VITEST_JSON (set by .ci/run) adds a JSON report so CI can print "N passed, N failed".
const json = process.env.KRYPT_VITEST_JSON;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One test file per core, not vitest's cores - 1: most files spend their time waiting on the
    // servers and CLI processes they start (measured on 2 cores: 5m25s with one worker, 3m24s with two).
    maxWorkers: availableParallelism(),
    // A worker keeps the modules it loaded for its next file instead of importing them again
    // (measured: test/server + test/unit 82 s -> 55 s; the whole suite's import time 131 s -> 9 s).
    // Every file starts its own servers and sandboxes, so nothing else carries over.
    isolate: false,
    reporters: json ? ['default', ['json', { outputFile: json }]] : ['default'],
  },
});
