import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { KryptError } from '../errors.js';
import { isGitIgnored } from '../sync/git.js';

export const KRYPT_FILE = '.krypt';
/** The file `krypt pull` writes by default: it holds secret values. */
const ENV_FILE = '.env';

export interface KryptFile {
  project: string;
  environment: string;
  path: string;
}

/** Finds the nearest `.krypt` walking up from `cwd`; undefined when there is none. */
export function findKryptFile(cwd: string): KryptFile | undefined {
  let dir = cwd;
  for (;;) {
    const path = join(dir, KRYPT_FILE);
    // `~/.krypt` is the config directory; only a regular file binds a directory to a project.
    if (statSync(path, { throwIfNoEntry: false })?.isFile()) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(readFileSync(path, 'utf8'));
      } catch {
        parsed = undefined;
      }
      const file = parsed as { project?: unknown; environment?: unknown } | undefined;
      if (typeof file?.project !== 'string' || typeof file.environment !== 'string') {
        throw new KryptError('krypt_file_invalid', `${path} is not a valid .krypt file`, {
          hint: 'run `krypt init` to write it again',
        });
      }
      return { project: file.project, environment: file.environment, path };
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

// Lines of a .gitignore that already keep `.env` out (git ignores trailing spaces, not leading ones).
const ENV_IGNORE_LINES = ['.env', '/.env', '.env*', '*.env'];

/**
 * Writes `.krypt` in `dir` and makes sure `.gitignore` there lists it, and `.env` (which `krypt pull`
 * fills with values) unless a line or, in a git work tree, git itself already ignores it. Returns the names added.
 */
export function writeKryptFile(dir: string, project: string, environment: string): { path: string; gitignoreUpdated: boolean; gitignoreAdded: string[] } {
  const path = join(dir, KRYPT_FILE);
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
    throw new KryptError('krypt_file_conflict', `${path} is a directory (the CLI's config directory in your home)`, {
      hint: 'run `krypt init` in the project directory, or move the config with KRYPT_CONFIG_DIR',
    });
  }
  writeFileSync(path, JSON.stringify({ project, environment }, null, 2) + '\n');
  const gitignore = join(dir, '.gitignore');
  const text = existsSync(gitignore) ? readFileSync(gitignore, 'utf8') : '';
  const lines = text.split(/\r?\n/);
  const listed = lines.some((line) => ['.krypt', '/.krypt'].includes(line.trim()));
  const envIgnored = lines.some((line) => ENV_IGNORE_LINES.includes(line.trimEnd())) || isGitIgnored(join(dir, ENV_FILE)) === true;
  const added = [...(listed ? [] : [KRYPT_FILE]), ...(envIgnored ? [] : [ENV_FILE])];
  if (added.length === 0) return { path, gitignoreUpdated: false, gitignoreAdded: [] };
  const sep = text === '' || text.endsWith('\n') ? '' : '\n';
  writeFileSync(gitignore, `${text}${sep}${added.map((name) => `${name}\n`).join('')}`);
  return { path, gitignoreUpdated: true, gitignoreAdded: added };
}
