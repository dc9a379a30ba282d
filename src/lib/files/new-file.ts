import { closeSync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { KryptError } from '../errors.js';

/** A file created empty, exclusively, before its content exists; filled once with write() or removed with discard(). */
export interface NewFile {
  path: string;
  /** Writes and syncs the content; on failure removes the file and rethrows (an errno error). */
  write(content: string): void;
  /** Removes the (still empty) file, e.g. when what should fill it could not be made. */
  discard(): void;
}

/** Why a file could not be written, in words, for an errno code (undefined for codes not listed). */
export function whyNotWritten(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === undefined ? undefined : WHY[code];
}

const WHY: Record<string, string> = {
  ENOENT: 'its directory does not exist',
  EEXIST: 'it already exists',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of its path is not a directory',
  EROFS: 'the file system is read-only',
};

/**
 * Creates `path` exclusively (never over an existing file) with `mode`, so that a path that cannot
 * be written fails before anything depends on it. Failure: KryptError `code` naming `what` and why.
 */
export function createNewFile(path: string, opts: { mode: number; what: string; code: string; hint: string }): NewFile {
  let fd: number;
  try {
    fd = openSync(path, 'wx', opts.mode);
  } catch (err) {
    const errno = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new KryptError(opts.code, `cannot create ${opts.what} ${path}: ${WHY[errno] ?? errno}`, { hint: opts.hint, cause: err });
  }
  let open = true;
  const close = () => {
    if (open) closeSync(fd);
    open = false;
  };
  return {
    path,
    write(content) {
      try {
        const bytes = Buffer.from(content, 'utf8');
        for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done);
        fsyncSync(fd);
        close();
      } catch (err) {
        this.discard();
        throw err;
      }
    },
    discard() {
      try {
        close();
      } finally {
        rmSync(path, { force: true });
      }
    },
  };
}
