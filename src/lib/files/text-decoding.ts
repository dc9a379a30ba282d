import { KryptError } from '../errors.js';

// Files and stdin arrive as bytes. A lenient decoder turns a Latin-1 "é" into U+FFFD, which would
// then be stored as the secret without a word: decode strictly, and say what the bytes look like.
// Messages name the input, the line and what the bad bytes are part of, never the bytes themselves.

/** Where decoded text came from, as errors describe it. */
export interface TextSource {
  /** How messages name the input: ".env", "stdin". */
  label: string;
  /** "file" or "input": the noun of "the file looks like Latin-1". */
  noun: 'file' | 'input';
  /** The hint for converting the input, given iconv's name of its likely encoding (undefined: unknown). */
  convertHint: (iconvEncoding: string | undefined) => string;
  /** What the character at `index` of `text` is part of ("the value of NAME"), when it can be told. */
  locate?: ((text: string, index: number) => string | undefined) | undefined;
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];

/** "little-endian"/"big-endian" when the bytes are UTF-16 (a byte order mark, or ASCII with a NUL in every other byte). */
export function utf16ByteOrder(bytes: Uint8Array): 'little-endian' | 'big-endian' | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'little-endian';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'big-endian';
  const sample = Math.min(bytes.length, 1024) & ~1;
  if (sample < 4) return undefined;
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < sample; i += 2) {
    if (bytes[i] === 0) evenNul += 1;
    if (bytes[i + 1] === 0) oddNul += 1;
  }
  const pairs = sample / 2;
  if (oddNul * 2 >= pairs && evenNul * 4 <= oddNul) return 'little-endian';
  if (evenNul * 2 >= pairs && oddNul * 4 <= evenNul) return 'big-endian';
  return undefined;
}

interface Utf8Scan {
  /** Offset of the first byte that starts no valid UTF-8 sequence (-1: none). */
  firstInvalid: number;
  /** Valid multi-byte sequences seen: none means the non-ASCII bytes are most likely a single-byte code page. */
  multiByte: number;
  /** An invalid byte in 0x80-0x9F: printable in Windows-1252, a control character in Latin-1. */
  windows1252Only: boolean;
}

/** Length of the valid UTF-8 sequence starting at `i` (RFC 3629: no overlongs, surrogates or > U+10FFFF), 0 if none. */
function sequenceLength(b: Uint8Array, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const need = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
  if (need < 0 || i + need >= b.length) return 0;
  for (let j = 1; j <= need; j++) if (((b[i + j] ?? 0) & 0xc0) !== 0x80) return 0;
  const c1 = b[i + 1]!;
  if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 > 0x9f) || (c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 > 0x8f)) return 0;
  return need + 1;
}

function scanUtf8(b: Uint8Array): Utf8Scan {
  const scan: Utf8Scan = { firstInvalid: -1, multiByte: 0, windows1252Only: false };
  for (let i = 0; i < b.length; ) {
    const len = sequenceLength(b, i);
    if (len === 0) {
      if (scan.firstInvalid < 0) scan.firstInvalid = i;
      if (b[i]! >= 0x80 && b[i]! <= 0x9f) scan.windows1252Only = true;
      i += 1;
      continue;
    }
    if (len > 1) scan.multiByte += 1;
    i += len;
  }
  return scan;
}

function lineOf(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line += 1;
  return line;
}

/**
 * Decodes user-supplied bytes as UTF-8, refusing anything else: a UTF-8 byte order mark is
 * stripped; UTF-16 and invalid UTF-8 throw KryptError 'not_utf8' naming the input, the line and
 * (via `source.locate`) the key, with a guess at the real encoding and how to convert it.
 */
export function decodeUtf8(input: Uint8Array, source: TextSource): string {
  const order = utf16ByteOrder(input);
  if (order !== undefined) {
    throw new KryptError('not_utf8', `${source.label}: ${source.noun === 'file' ? 'saved' : 'encoded'} as UTF-16 (${order}), not UTF-8`, {
      hint: `save it as UTF-8 (your editor's encoding menu), or ${source.convertHint(order === 'little-endian' ? 'utf-16le' : 'utf-16be')}`,
      kind: 'local',
    });
  }
  const bytes = UTF8_BOM.every((b, i) => input[i] === b) ? input.subarray(3) : input;
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    // Fall through: find where and why, below.
  }
  const scan = scanUtf8(bytes);
  const offset = Math.max(scan.firstInvalid, 0);
  const before = Buffer.from(bytes.buffer, bytes.byteOffset, offset).toString('utf8');
  const where = source.locate?.(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), before.length);
  const singleByte = scan.multiByte === 0;
  const details = [
    ...(where === undefined ? [] : [`in ${where}`]),
    singleByte ? `the ${source.noun} looks like Latin-1/Windows-1252` : `the ${source.noun} mixes UTF-8 with another encoding`,
  ];
  throw new KryptError('not_utf8', `${source.label}:${lineOf(bytes, offset)}: not valid UTF-8 (${details.join('; ')})`, {
    hint: source.convertHint(singleByte ? (scan.windows1252Only ? 'windows-1252' : 'latin1') : undefined),
    kind: 'local',
  });
}

/** The TextSource of a file the user named: hints convert it with iconv next to the original. */
export function fileSource(label: string, locate?: TextSource['locate']): TextSource {
  return {
    label,
    noun: 'file',
    locate,
    convertHint: (from) =>
      from === undefined ? `re-save ${label} as UTF-8 in your editor` : `convert it: iconv -f ${from} -t utf-8 ${label} > ${label}.utf8`,
  };
}
