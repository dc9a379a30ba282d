import { parse as dotenvParse } from 'dotenv';
import { yaml } from './yaml-loader.js';
import { KryptError } from '../errors.js';
import { keyNameProblem } from './keys.js';
import type { EnvFormat } from './serialize.js';
import { nulValueMessage } from './values.js';

// dotenv 18.0.10's LINE regex (dist/index.cjs, the default parser), copied verbatim so we can see
// what dotenv.parse skips; the `d` flag only adds group indices. Keep in step with dotenv upgrades.
const LINE =
  /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/dgm;
// JavaScript's `^`/`$` in multiline mode also break at U+2028/U+2029; gaps are split the same way.
const REGEX_LINE_BREAK = /[\n\u2028\u2029]/;
const QUOTES = `'"\``;

const MALFORMED_HINT = 'each line must be KEY=VALUE, a # comment or blank; quote values containing # or newlines';
const NUL_HINT = 'remove the NUL character from the value: environment variables cannot hold it';

function lineAt(src: string, offset: number): number {
  let line = 1;
  for (let i = src.indexOf('\n'); i !== -1 && i < offset; i = src.indexOf('\n', i + 1)) line += 1;
  return line;
}

function leadingSpace(s: string): number {
  return s.length - s.trimStart().length;
}

/** A .env file as read, with what its values alone do not keep (for `krypt pull` before it overwrites one). */
export interface EnvFileContents {
  values: Record<string, string>;
  /** Comment lines, and comments after an entry. */
  comments: number;
  /** Keys written with an `export ` prefix, in file order. */
  exported: string[];
}

/**
 * Reads a .env file exactly as dotenv.parse does, but refuses what dotenv would silently drop or
 * cut short: stray lines, entries split across lines, keys that are not portable names, and an
 * unquoted value cut at "#". Errors name the file, line and key, never a value.
 */
export function parseEnvFile(text: string, fileLabel: string): Record<string, string> {
  return readEnvFile(text, fileLabel).values;
}

/** parseEnvFile, also counting the comments and `export` prefixes that the values do not carry. */
export function readEnvFile(text: string, fileLabel: string): EnvFileContents {
  const src = text.replace(/\r\n?/g, '\n'); // dotenv normalises line endings the same way first
  const fail = (offset: number, reason: string, hint = MALFORMED_HINT): never => {
    throw new KryptError('envfile_malformed', `${fileLabel}:${lineAt(src, offset)}: ${reason}`, { hint, kind: 'local' });
  };
  let comments = 0;
  const exported: string[] = [];
  const checkGap = (from: number, to: number): void => {
    let offset = from;
    for (const piece of src.slice(from, to).split(REGEX_LINE_BREAK)) {
      const rest = piece.trimStart();
      if (rest !== '' && !rest.startsWith('#')) fail(offset + leadingSpace(piece), 'not a KEY=VALUE line');
      if (rest.startsWith('#')) comments += 1;
      offset += piece.length + 1;
    }
  };

  const keys = new Set<string>();
  let consumed = 0;
  for (const m of src.matchAll(LINE)) {
    const start = m.index;
    checkGap(consumed, start);
    consumed = start + m[0].length;
    const key = m[1] ?? '';
    const keySpan = m.indices?.[1];
    const valueSpan = m.indices?.[2];
    if (keySpan === undefined) throw new Error('dotenv LINE regex matched without a key'); // group 1 is mandatory
    const entryStart = start + leadingSpace(m[0]);

    // Where the value proper starts (or the separator ends): dotenv lets `\s` there cross lines,
    // which would swallow the next line ("export" alone, "KEY" then "=v", "KEY:" then "B=1").
    let sep = keySpan[1];
    while (/\s/.test(src[sep] ?? '')) sep += 1;
    const valueStart = valueSpan === undefined ? sep + 1 : valueSpan[0] + leadingSpace(m[2] ?? '');
    if (src.slice(entryStart, valueStart).includes('\n')) {
      fail(entryStart, 'not a KEY=VALUE line (the entry runs onto the next line)');
    }

    const problem = keyNameProblem(key);
    if (problem !== undefined) fail(entryStart, problem);

    // An unquoted value stops at the first "#", so `P=ab#cd` would silently become "ab" and
    // `P=#ab` empty. A "#" after whitespace is an ordinary trailing comment.
    const raw = (m[2] ?? '').trim();
    const quoted = raw.length >= 2 && QUOTES.includes(raw.charAt(0)) && raw.endsWith(raw.charAt(0));
    const valueEnd = valueSpan === undefined ? sep + 1 : valueSpan[1];
    const glued = valueSpan === undefined || !/\s/.test(src[valueEnd - 1] ?? '');
    if (!quoted && glued && src[valueEnd] === '#') {
      fail(entryStart, `the value of ${key} contains an unquoted "#", which starts a comment: quote the value`);
    }
    if (valueSpan !== undefined && src.slice(valueSpan[0], valueSpan[1]).includes('\0')) fail(entryStart, nulValueMessage([key]), NUL_HINT);
    if (src.slice(valueSpan?.[1] ?? keySpan[1], consumed).includes('#')) comments += 1;
    if (/^\s*export\s/.test(m[0])) exported.push(key);
    keys.add(key);
  }
  checkGap(consumed, src.length);

  const parsed = dotenvParse(src);
  const names = Object.keys(parsed);
  if (names.length !== keys.size || names.some((name) => !keys.has(name))) {
    // Our copy of dotenv's grammar disagrees with dotenv itself: never guess.
    throw new KryptError('envfile_malformed', `${fileLabel}: could not be read unambiguously`, {
      hint: 'report this with the dotenv version in use',
      kind: 'local',
    });
  }
  return { values: { ...parsed }, comments, exported };
}

/**
 * What the character at `index` of a .env text is part of — "the value of NAME" or "a comment" —
 * or undefined when it cannot be told (a key name, a stray line). For messages about that character.
 */
export function envFilePosition(text: string, index: number): string | undefined {
  const src = text.replace(/\r\n?/g, '\n');
  const at = text.slice(0, index).replace(/\r\n?/g, '\n').length;
  for (const m of src.matchAll(LINE)) {
    const end = m.index + m[0].length;
    if (at < m.index || at >= end) continue;
    const valueSpan = m.indices?.[2];
    if (valueSpan !== undefined && at >= valueSpan[0] && at < valueSpan[1]) return `the value of ${m[1]}`;
    return at >= (valueSpan?.[1] ?? m.indices?.[1]?.[1] ?? end) ? 'a comment' : undefined;
  }
  const lineStart = src.lastIndexOf('\n', at - 1) + 1;
  return src.slice(lineStart).trimStart().startsWith('#') ? 'a comment' : undefined;
}

function malformed(message: string): KryptError {
  return new KryptError('envfile_malformed', message, { hint: 'compare against a file written by krypt pull', kind: 'local' });
}

function stringRecord(data: unknown, fileLabel: string): Record<string, string> {
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) throw malformed(`${fileLabel}: expected a map of KEY: value`);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(data)) {
    const problem = keyNameProblem(key);
    if (problem !== undefined) throw malformed(`${fileLabel}: ${problem}`);
    if (typeof value !== 'string') throw malformed(`${fileLabel}: the value of ${key} is not a string`);
    out[key] = value;
  }
  return out;
}

/** Reads back what serializeEnv wrote, for `pull --check`: env, json and yaml only. Errors never quote content. */
export function parseSerialized(text: string, format: EnvFormat, fileLabel = 'input'): Record<string, string> {
  switch (format) {
    case 'env':
      return parseEnvFile(text, fileLabel);
    case 'json': {
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch {
        // V8's message quotes the text around the error: it may be a secret.
        throw malformed(`${fileLabel}: not valid JSON`);
      }
      if (data === null) throw malformed(`${fileLabel}: expected a JSON object`);
      return stringRecord(data, fileLabel);
    }
    case 'yaml': {
      let data: unknown;
      try {
        data = yaml().parse(text);
      } catch (err) {
        const line = err instanceof yaml().YAMLError ? err.linePos?.[0].line : undefined;
        throw malformed(`${fileLabel}${line === undefined ? '' : `:${line}`}: not valid YAML`);
      }
      return stringRecord(data, fileLabel);
    }
    default:
      throw new KryptError('format_not_checkable', `--check does not support the ${format} format`, {
        hint: 'use --check with --format env, json or yaml',
        kind: 'local',
      });
  }
}
