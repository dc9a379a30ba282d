import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// The dashboard's browser file runs longest (one chromium, ~3 min quiet, twice that with both cores
// busy). Vitest orders files by their last run's duration, and without one (a fresh clone, as in CI)
// by size, where this 7-line file comes last: it then ran alone at the end while the other worker
// idled. It starts first whatever the cache holds.
const FIRST = ['test/e2e/dashboard.test.ts'];
class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = FIRST.findIndex((name) => f.moduleId.endsWith(name));
      return i === -1 ? FIRST.length : i;
    };
    return sorted.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map(({ f }) => f);
  }
}

// KRYPT_VITEST_JSON (set by .ci/run) adds a JSON report so CI can print "N passed, N failed".
const json = process.env.KRYPT_VITEST_JSON;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // test/release/ checks the archives of `npm run release`: run by npm run test:binary, which makes them.
    exclude: process.env.KRYPT_RELEASE_DIR ? [] : ['test/release/**'],
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
    sequence: { sequencer: LongestFirst },
    reporters: json ? ['default', ['json', { outputFile: json }]] : ['default'],
  },
});
