import { KryptError } from '../errors.js';
import { KEY_PATTERN } from './keys.js';
import type { EnvFormat } from './serialize.js';

// The key names of a shell, docker or github-env file exactly as serializeEnv writes them, so that
// `krypt pull` can tell what re-pulling would drop. Anything else in the file (a comment, a line
// added by hand) is "not as krypt pull writes it": the file cannot be checked, and counts as a loss.

const SHELL_ENTRY = /export ([A-Za-z_][A-Za-z0-9_]*)='(?:[^']|'\\'')*'\n/y;
// `s`: a value may hold U+2028/U+2029, which `.` does not match otherwise (lines are split on \n only).
const LINE_ENTRY = /^([A-Za-z_][A-Za-z0-9_]*)(=|<<)(.*)$/s;

function unreadable(fileLabel: string, format: EnvFormat, line: number): KryptError {
  return new KryptError('envfile_malformed', `${fileLabel}:${line}: not a line \`krypt pull --format ${format}\` writes`, { hint: 'compare against a file written by krypt pull', kind: 'local' });
}

/** Key names of a file in a format that has no reader (shell, docker, github-env); throws naming the first line it does not recognise. */
export function writtenKeys(text: string, format: 'shell' | 'docker' | 'github-env', fileLabel: string): string[] {
  const keys: string[] = [];
  if (format === 'shell') {
    SHELL_ENTRY.lastIndex = 0;
    while (SHELL_ENTRY.lastIndex < text.length) {
      const at = SHELL_ENTRY.lastIndex;
      const m = SHELL_ENTRY.exec(text);
      if (m === null) throw unreadable(fileLabel, format, text.slice(0, at).split('\n').length);
      keys.push(m[1]!);
    }
    return keys;
  }
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const m = LINE_ENTRY.exec(lines[i]!);
    if (m === null || !KEY_PATTERN.test(m[1]!) || (m[2] === '<<' && format === 'docker')) throw unreadable(fileLabel, format, i + 1);
    keys.push(m[1]!);
    if (m[2] === '<<') {
      // NAME<<DELIMITER, the value's lines, DELIMITER
      const end = lines.indexOf(m[3]!, i + 1);
      if (m[3] === '' || end < 0) throw unreadable(fileLabel, format, i + 1);
      i = end;
    }
  }
  return keys;
}
