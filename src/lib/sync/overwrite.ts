import { envFilePosition, parseSerialized, type EnvFormat } from '../envfile/index.js';
import { readEnvFile } from '../envfile/parse.js';
import { writtenKeys } from '../envfile/read-keys.js';
import { KryptError } from '../errors.js';
import { decodeUtf8, fileSource } from '../files/text-decoding.js';

/** What writing the environment over an existing file would drop that the server does not have. */
export interface OverwriteLoss {
  /** Keys in the file that the environment does not have. */
  localOnlyKeys: string[];
  /** Comments (env format). */
  comments: number;
  /** Keys the file writes with an `export ` prefix (env format). */
  exportPrefixes: string[];
  /** Why the file cannot be read in the chosen format: then what it holds is unknown, and all of it counts. */
  unreadable?: string;
}

/**
 * What `krypt pull` would lose by replacing `existing` (the file's bytes) with `remote` written in
 * `format`; undefined when nothing would be lost. Keys only, never values.
 */
export function overwriteLoss(existing: Uint8Array, format: EnvFormat, remote: Record<string, string>, fileLabel: string): OverwriteLoss | undefined {
  let keys: string[];
  let comments = 0;
  let exportPrefixes: string[] = [];
  try {
    const text = decodeUtf8(existing, fileSource(fileLabel, format === 'env' ? envFilePosition : undefined));
    if (format === 'env') {
      const read = readEnvFile(text, fileLabel);
      keys = Object.keys(read.values);
      comments = read.comments;
      exportPrefixes = [...new Set(read.exported)];
    } else if (format === 'json' || format === 'yaml') {
      keys = Object.keys(parseSerialized(text, format, fileLabel));
    } else {
      keys = writtenKeys(text, format, fileLabel);
    }
  } catch (err) {
    if (!(err instanceof KryptError)) throw err;
    return { localOnlyKeys: [], comments: 0, exportPrefixes: [], unreadable: err.message };
  }
  const localOnlyKeys = [...new Set(keys)].filter((key) => !Object.hasOwn(remote, key)).sort();
  if (localOnlyKeys.length === 0 && comments === 0 && exportPrefixes.length === 0) return undefined;
  return { localOnlyKeys, comments, exportPrefixes };
}

function names(keys: string[]): string {
  return keys.length <= 10 ? keys.join(', ') : `${keys.slice(0, 10).join(', ')} and ${keys.length - 10} more`;
}

/** One phrase per kind of loss, e.g. "keys only in the file: A, B", "2 comments". */
export function describeLoss(loss: OverwriteLoss, format: EnvFormat): string[] {
  if (loss.unreadable !== undefined) return [`it cannot be read as ${format} (${loss.unreadable}), so all of it`];
  return [
    ...(loss.localOnlyKeys.length > 0 ? [`keys only in the file: ${names(loss.localOnlyKeys)}`] : []),
    ...(loss.comments > 0 ? [`${loss.comments} comment${loss.comments === 1 ? '' : 's'}`] : []),
    ...(loss.exportPrefixes.length > 0 ? [`export prefixes: ${names(loss.exportPrefixes)}`] : []),
  ];
}
