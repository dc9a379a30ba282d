import { request, type IncomingHttpHeaders } from 'node:http';

// A raw Server-Sent Events client for tests: the exact bytes, the status, and when the server ends it.

export interface Stream {
  status: number;
  headers: IncomingHttpHeaders;
  /** Everything received so far. */
  text(): string;
  /** Resolves once the received text matches (generous timeout: events are asynchronous). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when the server ends the response. */
  ended: Promise<void>;
  close(): void;
}

/** GETs `path` on `base` as an event stream (with `extra` headers, e.g. a cookie); resolves with the response as soon as its headers arrive. */
export function openStream(base: string, path: string, token: string | null, extra: Record<string, string> = {}): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: 'text/event-stream', ...extra };
    if (token) headers.authorization = `Bearer ${token}`;
    const req = request(new URL(path, base), { headers }, (res) => {
      let text = '';
      const waiters = new Set<() => void>();
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        for (const w of [...waiters]) w();
      });
      const ended = new Promise<void>((r) => res.on('close', () => r()));
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        text: () => text,
        ended,
        close: () => req.destroy(),
        waitFor: (pattern, timeoutMs = 10_000) =>
          new Promise((ok, fail) => {
            const check = (): void => {
              if (!pattern.test(text)) return;
              waiters.delete(check);
              clearTimeout(timer);
              ok(text);
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`no ${pattern} in stream; got ${JSON.stringify(text)}`));
            }, timeoutMs);
            waiters.add(check);
            check();
          }),
      });
    });
    req.on('error', reject);
    req.end();
  });
}
