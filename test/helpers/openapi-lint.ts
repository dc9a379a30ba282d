import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Redocly's built-in `recommended` ruleset over an OpenAPI document, offline: the document is
// written to a temporary directory (which is also the working directory, so no redocly.yaml of ours
// or of a parent is picked up), telemetry and the update check are off.

const REDOCLY = fileURLToPath(new URL('../../node_modules/.bin/redocly', import.meta.url));

export interface LintResult {
  errors: number;
  warnings: number;
  /** One line per problem: `severity rule pointer: message`. */
  problems: string[];
  /** Only the errors, in the same form. */
  errorLines: string[];
}

interface RedoclyProblem {
  ruleId: string;
  severity: 'error' | 'warn';
  message: string;
  location?: { pointer?: string }[];
}

interface RedoclyReport {
  totals: { errors: number; warnings: number };
  problems: RedoclyProblem[];
}

/** Lints `doc` with `redocly lint --extends recommended --format json`; redocly failing to report at all throws. */
export async function lintOpenApi(doc: unknown): Promise<LintResult> {
  const dir = await mkdtemp(join(tmpdir(), 'krypt-openapi-lint-'));
  try {
    const file = join(dir, 'openapi.json');
    await writeFile(file, JSON.stringify(doc, null, 2));
    const { stdout, stderr, code } = await run(REDOCLY, ['lint', file, '--extends', 'recommended', '--format', 'json', '--max-problems', '1000'], dir);
    let report: RedoclyReport;
    try {
      report = JSON.parse(stdout) as RedoclyReport;
    } catch {
      throw new Error(`redocly lint gave no JSON report (exit ${String(code)}):\n${stdout.slice(0, 2000)}\n${stderr.slice(-2000)}`);
    }
    const line = (p: RedoclyProblem) => `${p.severity} ${p.ruleId} ${p.location?.[0]?.pointer ?? ''}: ${p.message}`;
    return {
      errors: report.totals.errors,
      warnings: report.totals.warnings,
      problems: report.problems.map(line),
      errorLines: report.problems.filter((p) => p.severity === 'error').map(line),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs `file args` in `cwd`; resolves with its output and exit code whatever the code (redocly exits 1 on errors). */
function run(file: string, args: string[], cwd: string): Promise<{ stdout: string; stderr: string; code: number | string | null }> {
  const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' };
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? ((err as NodeJS.ErrnoException & { code?: number | string }).code ?? null) : 0;
      if (err && typeof code !== 'number') return reject(new Error(`redocly did not run: ${err.message}\n${stderr}`));
      resolve({ stdout, stderr, code });
    });
  });
}
