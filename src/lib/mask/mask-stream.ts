import { Transform } from 'node:stream';
import { createMasker } from './masker.js';

/** A byte stream Transform applying createMasker: pipe a child's stdout or stderr through it. */
export function createMaskStream(values: readonly string[], replacement = '*****'): Transform {
  const masker = createMasker(values, replacement);
  return new Transform({
    transform(chunk: Buffer | string, encoding: BufferEncoding, callback) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
      const out = masker.transform(bytes);
      callback(null, out.length > 0 ? out : undefined);
    },
    flush(callback) {
      const out = masker.flush();
      callback(null, out.length > 0 ? out : undefined);
    },
  });
}
