import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KryptError } from '../../src/lib/errors.js';
import { createSseParser, watchRevisions, type SseEvent, type WatchRevisionsOptions } from '../../src/lib/watch/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { until } from '../helpers/until.js';

// The change stream client: the incremental SSE parser, and watchRevisions against a real server
// (and, for what no real server does on demand, a scripted one: 503s, silence, dropped streams).

describe('createSseParser', () => {
  const parseAll = (chunks: string[]): SseEvent[] => {
    const events: SseEvent[] = [];
    const parser = createSseParser((e) => events.push(e));
    for (const c of chunks) parser.push(c);
    return events;
  };
  const stream = '\uFEFF: ping\r\nevent: revision\r\ndata: {"revision":1}\r\n\r\n:c\rdata:a\rdata: b\r\rid: 7\nevent: x\ndata\n\nevent: lonely\n\nretry: 10\nfield-without-value\ndata: {"revision":2}\n\n';
  const expected: SseEvent[] = [
    { event: 'revision', data: '{"revision":1}', id: undefined },
    { event: 'message', data: 'a\nb', id: undefined },
    { event: 'x', data: '', id: '7' },
    { event: 'message', data: '{"revision":2}', id: '7' },
  ];

  it('parses events with LF, CR and CRLF line ends, comments, multi-line data, and skips events without data', () => {
    expect(parseAll([stream])).toEqual(expected);
  });

  it('gives the same events however the stream is split into chunks', () => {
    for (let i = 0; i <= stream.length; i++) {
      for (const j of [i, Math.min(stream.length, i + 1), Math.min(stream.length, i + 7)]) {
        expect(parseAll([stream.slice(0, i), stream.slice(i, j), stream.slice(j)])).toEqual(expected);
      }
    }
    expect(parseAll([...stream])).toEqual(expected);
  });

  it('holds an incomplete event until its blank line arrives', () => {
    const events: SseEvent[] = [];
    const parser = createSseParser((e) => events.push(e));
    parser.push('event: revision\ndata: {"revision":3}\n');
    expect(events).toEqual([]);
    parser.push('\n');
    expect(events).toHaveLength(1);
  });
});

describe('watchRevisions against a real server', () => {
  let srv: TestServer;
  const SLUG = 'watched';
  const env = `/v1/projects/${SLUG}/environments/development`;
  let viewer: string;
  const write = async (set: Record<string, string>) => (await srv.call('PATCH', `${env}/secrets`, { body: { set } })).json.revision as number;
  const base = (over: Partial<WatchRevisionsOptions> = {}): WatchRevisionsOptions => ({
    apiUrl: srv.url,
    token: srv.token,
    project: SLUG,
    environment: 'development',
    signal: AbortSignal.timeout(20_000),
    onRevision: () => undefined,
    ...over,
  });

  beforeAll(async () => {
    srv = await startTestServer({ dialect: 'sqlite' });
    expect((await srv.call('POST', '/v1/projects', { body: { slug: SLUG } })).status).toBe(201);
    const invite = await srv.call('POST', `/v1/projects/${SLUG}/invites`, { body: { email: 'viewer@example.com', role: 'viewer' } });
    viewer = (await srv.call('POST', '/v1/invites/redeem', { token: null, body: { code: invite.json.code } })).json.token;
  });
  afterAll(async () => {
    await srv?.close();
  });

  it('delivers the current revision, then each change, and resolves when aborted', async () => {
    const seen: number[] = [];
    const stop = new AbortController();
    const watching = watchRevisions(base({ signal: stop.signal, onRevision: (r) => void seen.push(r) }));
    await until(() => seen.length === 1, { what: 'the current revision' });
    const first = seen[0]!;
    expect(await write({ A: String(Math.random()) })).toBe(first + 1);
    await until(() => seen.length === 2, { what: 'the change' });
    expect(seen).toEqual([first, first + 1]);
    stop.abort();
    await expect(watching).resolves.toBeUndefined();
  });

  it('does not deliver knownRevision again, and never runs onRevision calls concurrently', async () => {
    const current = await write({ K: String(Math.random()) });
    const seen: number[] = [];
    let running = 0;
    let overlapped = false;
    let release = (): void => undefined;
    const held = new Promise<void>((r) => (release = r));
    const stop = new AbortController();
    const watching = watchRevisions(
      base({
        signal: stop.signal,
        knownRevision: current,
        onRevision: async (r) => {
          overlapped ||= running > 0;
          running++;
          seen.push(r);
          if (seen.length === 1) await held;
          running--;
        },
      }),
    );
    // Whether the stream opens before or after this write, the first delivery is current + 1:
    // on connect it carries either `current` (known, skipped) or the newer one.
    await write({ K: 'first' });
    await until(() => seen.length === 1, { what: 'the first change' });
    expect(seen).toEqual([current + 1]);
    // While the first call is held, three more changes arrive; a witness on the same environment
    // has them once the server has sent them to every stream.
    const witnessed: number[] = [];
    const witnessStop = new AbortController();
    const witness = watchRevisions(base({ signal: witnessStop.signal, onRevision: (r) => void witnessed.push(r) }));
    for (let i = 0; i < 3; i++) await write({ K: `burst-${i}-${Math.random()}` });
    await until(() => witnessed.includes(current + 4), { what: 'the witness seeing the newest revision' });
    release();
    await until(() => seen.includes(current + 4), { what: 'the newest revision' });
    expect(overlapped).toBe(false);
    expect(seen.every((r, i) => i === 0 || r > seen[i - 1]!)).toBe(true);
    stop.abort();
    witnessStop.abort();
    await Promise.all([watching, witness]);
  });

  it('stops with an auth error on 401 and 403, and a remote error on 404, without retrying', async () => {
    const failing = async (over: Partial<WatchRevisionsOptions>) => {
      const drops: KryptError[] = [];
      const err = await watchRevisions(base({ ...over, onDisconnect: (e) => void drops.push(e) })).then(
        () => new Error('resolved'),
        (e: unknown) => e,
      );
      expect(drops).toEqual([]);
      return err;
    };
    expect(await failing({ token: 'krypt_revoked-or-wrong' })).toMatchObject({ code: 'unauthorized', kind: 'auth' });
    const forbidden = await failing({ token: viewer });
    expect(forbidden).toBeInstanceOf(KryptError);
    expect(forbidden).toMatchObject({ code: 'forbidden', kind: 'auth', message: expect.stringMatching(/viewers/) });
    expect(await failing({ project: 'no-such-project' })).toMatchObject({ code: 'not_found', kind: 'remote' });
  });

  it('refuses plain http to a non-loopback host before connecting', async () => {
    await expect(watchRevisions(base({ apiUrl: 'http://krypt.example.com' }))).rejects.toMatchObject({ code: 'insecure_api_url' });
  });

  it('stops with the error of a failing onRevision, unless onError takes it', async () => {
    const boom = new Error('refetch failed');
    await expect(watchRevisions(base({ onRevision: () => Promise.reject(boom) }))).rejects.toBe(boom);

    const reported: unknown[] = [];
    const stop = new AbortController();
    const watching = watchRevisions(base({ signal: stop.signal, onRevision: () => Promise.reject(boom), onError: (e) => void reported.push(e) }));
    await until(() => reported.length === 1, { what: 'the reported error' });
    await write({ E: String(Math.random()) });
    await until(() => reported.length === 2, { what: 'the next revision, still delivered' });
    stop.abort();
    await watching;
  });
});

describe('watchRevisions against a scripted server', () => {
  let server: Server;
  let url: string;
  let handle: (n: number, res: ServerResponse) => void = () => undefined;
  let requests = 0;
  const open: ServerResponse[] = [];
  const sse = (res: ServerResponse, revision: number) => {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
    res.write(`event: revision\ndata: {"revision":${revision}}\n\n`);
    open.push(res);
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests++;
      expect(req.headers.authorization).toBe('Bearer krypt_test');
      expect(req.url).toBe('/v1/projects/p/environments/staging/events');
      handle(requests, res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const res of open) res.destroy();
    await new Promise((r) => server.close(r));
  });

  const watch = (over: Partial<WatchRevisionsOptions>) =>
    watchRevisions({
      apiUrl: url,
      token: 'krypt_test',
      project: 'p',
      environment: 'staging',
      signal: AbortSignal.timeout(20_000),
      onRevision: () => undefined,
      backoff: { initialMs: 20, maxMs: 100 },
      ...over,
    });

  it('retries 503s and dropped streams with growing delays, reset after a healthy connection', async () => {
    requests = 0;
    handle = (n, res) => {
      if (n <= 3 || n === 5) res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"code":"unavailable","message":"closing","requestId":"r"}}');
      else if (n === 4) {
        sse(res, 4);
        setTimeout(() => res.destroy(), 50);
      } else sse(res, n);
    };
    const seen: number[] = [];
    const delays: number[] = [];
    const stop = new AbortController();
    const watching = watch({ signal: stop.signal, onRevision: (r) => void seen.push(r), onDisconnect: (_e, ms) => void delays.push(ms) });
    await until(() => seen.includes(6), { what: 'the stream after the retries' });
    stop.abort();
    await watching;
    expect(seen).toEqual([4, 6]);
    expect(delays).toHaveLength(5);
    // 20, 40, 80 (±20 % jitter), then back to ~20 after the healthy stream, then ~40.
    const [d1, d2, d3, d4, d5] = delays as [number, number, number, number, number];
    expect(d1).toBeLessThan(d2);
    expect(d2).toBeLessThan(d3);
    expect(d4).toBeLessThan(d3);
    expect(d4).toBeLessThan(d5);
    expect(Math.max(...delays)).toBeLessThanOrEqual(100);
  });

  it('drops a stream that goes silent (no event, no ping) and reconnects', async () => {
    requests = 0;
    handle = (n, res) => {
      if (n === 1) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.flushHeaders();
        open.push(res);
      } else sse(res, 9);
    };
    const seen: number[] = [];
    const drops: KryptError[] = [];
    const stop = new AbortController();
    const watching = watch({ signal: stop.signal, idleTimeoutMs: 300, onRevision: (r) => void seen.push(r), onDisconnect: (e) => void drops.push(e) });
    await until(() => seen.includes(9), { what: 'the second connection' });
    stop.abort();
    await watching;
    expect(drops[0]?.message).toMatch(/ETIMEDOUT/);
  });

  it('refuses a 200 that is not an event stream', async () => {
    handle = (_n, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    await expect(watch({})).rejects.toMatchObject({ code: 'bad_response' });
  });
});
