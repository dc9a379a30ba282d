import type { Writable } from 'node:stream';
import type { KryptError } from '../lib/errors.js';

/**
 * Writes an error the one way users see errors: `Error: <message>` and `Hint: <next step>` on
 * stderr, or `{"error":{"code","message","hint"}}` with --json. Used by the pipeline and the
 * dispatcher, so every path prints errors the same way.
 */
export function writeError(stderr: Writable, err: KryptError, json: boolean): void {
  if (json) {
    stderr.write(JSON.stringify({ error: { code: err.code, message: err.message, hint: err.hint } }) + '\n');
  } else {
    stderr.write(`Error: ${err.message}\n${err.hint ? `Hint: ${err.hint}\n` : ''}`);
  }
}
