import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { until } from '../helpers/until.js';

// A slow client cannot hold a connection forever: headers must arrive within headersTimeoutMs and
// the whole request within requestTimeoutMs. A change stream (SSE) is a response, not a request:
// it outlives both. Raw sockets, because no HTTP client sends a request this slowly on purpose.
// Every wait is on the server closing the socket; the client gives up after 10 s, far below Node's
// and Fastify's defaults (60 s for headers, 300 s for a request, 72 s keep-alive), so a connection
// closed at all was closed by the configured timeout. Durations are only checked from below.

const HEADERS_MS = 400;
const REQUEST_MS = 800;

/** Opens a socket; resolves when the server closes it, with what it sent and how long it took. */
function slowClient(srv: TestServer, drip: (socket: Socket) => void): Promise<{ text: string; ms: number }> {
  const url = new URL(srv.url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(Number(url.port), url.hostname, () => drip(socket));
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' || err.code === 'EPIPE' ? undefined : reject(err)));
    socket.on('close', () => resolve({ text, ms: Date.now() - started }));
    setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept a slow client for 10 s (got: ${text.slice(0, 200)})`));
    }, 10_000).unref();
  });
}

/** Writes `text` one byte every `everyMs` until the socket closes. */
function dripBytes(text: string, everyMs: number) {
  return (socket: Socket) => {
    let i = 0;
    const timer = setInterval(() => {
      if (socket.destroyed || i >= text.length) return clearInterval(timer);
      socket.write(text[i++] as string);
    }, everyMs);
    socket.on('close', () => clearInterval(timer));
  };
}

describe('timeouts against slow clients', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ timeouts: { headersTimeoutMs: HEADERS_MS, requestTimeoutMs: REQUEST_MS, keepAliveTimeoutMs: 300 } });
    expect((await srv.call('POST', '/v1/projects', { body: { slug: 'slow' } })).status).toBe(201);
  });
  afterAll(async () => {
    await srv?.close();
  });

  it('closes a connection whose headers arrive byte by byte, with a 408 envelope', async () => {
    const request = `GET /v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${srv.token}\r\nX-Pad: ${'p'.repeat(200)}\r\n\r\n`;
    const r = await slowClient(srv, dripBytes(request, 20));
    expect(r.ms).toBeGreaterThanOrEqual(HEADERS_MS - 50);
    expect(r.text).toMatch(/^HTTP\/1\.1 408 /);
    const body = JSON.parse(r.text.slice(r.text.indexOf('\r\n\r\n') + 4));
    expect(body.error).toMatchObject({ code: 'request_timeout', message: expect.any(String), requestId: expect.any(String) });
  });

  it('closes a connection that never finishes its body', async () => {
    const head = `PATCH /v1/projects/p/environments/development/secrets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${srv.token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"set":{`;
    const r = await slowClient(srv, (socket) => {
      socket.write(head);
      dripBytes('"A":"' + 'x'.repeat(500), 50)(socket);
    });
    // The body would take 25 s to drip in full: it was cut short.
    expect(r.ms).toBeGreaterThanOrEqual(REQUEST_MS - 50);
    expect(r.text).toMatch(/^HTTP\/1\.1 (408|400) /);
  });

  it('closes a connection that sends nothing at all', async () => {
    const r = await slowClient(srv, () => undefined);
    expect(r.ms).toBeGreaterThanOrEqual(HEADERS_MS - 50);
    expect(r.text).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes an idle keep-alive connection after keepAliveTimeout', async () => {
    const r = await slowClient(srv, (socket) => socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(r.text).toMatch(/^HTTP\/1\.1 200 /);
    expect(r.ms).toBeGreaterThanOrEqual(300 - 50);
  });

  it('answers a 16 KB header with 431 in the error envelope', async () => {
    const r = await slowClient(srv, (socket) => socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ${'p'.repeat(17_000)}\r\n\r\n`));
    expect(r.text).toMatch(/^HTTP\/1\.1 431 /);
    expect(JSON.parse(r.text.slice(r.text.indexOf('\r\n\r\n') + 4)).error.code).toBe('payload_too_large');
  });

  it('keeps a change stream open well past the request timeout, and delivers events on it', async () => {
    const url = new URL(srv.url);
    const socket = connect(Number(url.port), url.hostname);
    let text = '';
    let closed = false;
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('close', () => (closed = true));
    socket.write(`GET /v1/projects/slow/environments/development/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${srv.token}\r\n\r\n`);
    await until(() => text.includes('data: {"revision":0}'), { what: 'the stream to open' });
    // Time passing is what is under test here: three request timeouts.
    await new Promise((r) => setTimeout(r, REQUEST_MS * 3));
    expect(closed).toBe(false);
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    const write = await srv.call('PATCH', '/v1/projects/slow/environments/development/secrets', { body: { set: { A: '1' } } });
    expect(write.status).toBe(200);
    await until(() => text.includes('data: {"revision":1}') || closed, { what: 'revision 1 on the stream' });
    expect(text).toContain('data: {"revision":1}');
    expect(closed).toBe(false);
    socket.destroy();
  });

  it('answers HEAD on a change stream at once instead of holding it open', async () => {
    const r = await slowClient(srv, (socket) =>
      socket.write(`HEAD /v1/projects/slow/environments/development/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer ${srv.token}\r\n\r\n`),
    );
    // A held stream would never close (slowClient gives up after 10 s): closing is the answer.
    expect(r.text).toMatch(/^HTTP\/1\.1 200 /);
    expect(r.text).not.toContain('event:');
  });
});
