import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';

/** true/false when `file` is inside a git work tree; undefined when it is not (or git is missing). */
export function isGitIgnored(file: string): boolean | undefined {
  const res = spawnSync('git', ['check-ignore', '-q', '--', file], { cwd: dirname(file), stdio: 'ignore' });
  if (res.error || res.status === null) return undefined;
  if (res.status === 0) return true;
  if (res.status === 1) return false;
  return undefined;
}
