import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { KryptError } from '../errors.js';

export const KRYPT_FILE = '.krypt';

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

/** Writes `.krypt` in `dir` and makes sure `.gitignore` there lists it (once). */
export function writeKryptFile(dir: string, project: string, environment: string): { path: string; gitignoreUpdated: boolean } {
  const path = join(dir, KRYPT_FILE);
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
    throw new KryptError('krypt_file_conflict', `${path} is a directory (the CLI's config directory in your home)`, {
      hint: 'run `krypt init` in the project directory, or move the config with KRYPT_CONFIG_DIR',
    });
  }
  writeFileSync(path, JSON.stringify({ project, environment }, null, 2) + '\n');
  const gitignore = join(dir, '.gitignore');
  const text = existsSync(gitignore) ? readFileSync(gitignore, 'utf8') : '';
  const listed = text.split(/\r?\n/).some((line) => ['.krypt', '/.krypt'].includes(line.trim()));
  if (listed) return { path, gitignoreUpdated: false };
  const sep = text === '' || text.endsWith('\n') ? '' : '\n';
  writeFileSync(gitignore, `${text}${sep}${KRYPT_FILE}\n`);
  return { path, gitignoreUpdated: true };
}
