import { connect as netConnect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initInstance, openDatabase, parseMasterKey, startServer, type KryptDatabase, type RunningServer } from '../../src/server/entry/index.js';
import { createTestPki, type TestPki } from '../helpers/tls.js';

// "HSTS on every response" (PRODUCT.md §2), checked on the raw bytes of the responses that bypass
// Fastify's reply hooks: a hijacked change stream, HEAD, router errors before any hook runs, and
// what the HTTP parser refuses (garbage request line, oversized or slow headers). Over plain HTTP
// and over TLS, because the two servers are created differently.

const HSTS = 'max-age=63072000; includeSubDomains';
const HEADERS_MS = 300;

interface Raw {
  /** Everything received until the server closed the connection or `until` matched. */
  text: string;
  status: number;
  headers: Record<string, string>;
}

function parseHead(text: string): Pick<Raw, 'status' | 'headers'> {
  const head = text.slice(0, text.indexOf('\r\n\r\n'));
  const [statusLine, ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine ?? '')?.[1] ?? 0), headers };
}

describe.each(['http', 'https'] as const)('HSTS on every response over %s', (transport) => {
  let pki: TestPki;
  let kdb: KryptDatabase;
  let server: RunningServer;
  let token: string;

  /** Sends `request` on a raw connection; resolves when the server closes it, or once the text matches `until`. */
  function exchange(request: string | ((socket: Socket) => void), until?: RegExp): Promise<Raw> {
    return new Promise((resolve, reject) => {
      const port = server.port;
      const onConnect = () => (typeof request === 'string' ? socket.write(request) : request(socket));
      const socket: Socket =
        transport === 'https'
          ? tlsConnect({ host: '127.0.0.1', port, ca: pki.ca, servername: 'localhost' }, onConnect)
          : netConnect(port, '127.0.0.1', onConnect);
      let text = '';
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        socket.destroy();
        resolve({ text, ...parseHead(text) });
      };
      socket.on('data', (d: Buffer) => {
        text += d.toString('latin1');
        if (until?.test(text)) finish();
      });
      socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' || err.code === 'EPIPE' ? undefined : reject(err)));
      socket.on('close', finish);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no complete answer in 10 s (got ${JSON.stringify(text.slice(0, 300))})`));
      }, 10_000);
    });
  }

  beforeAll(async () => {
    pki = createTestPki();
    kdb = await openDatabase({ memory: true });
    const init = await initInstance({ database: kdb });
    token = init.token;
    server = await startServer({
      database: kdb,
      masterKey: parseMasterKey(init.masterKey),
      port: 0,
      logDestination: new Writable({ write: (_c, _e, cb) => cb() }),
      timeouts: { headersTimeoutMs: HEADERS_MS, requestTimeoutMs: HEADERS_MS * 4 },
      ...(transport === 'https' ? { tls: { cert: pki.cert, key: pki.key } } : {}),
    });
    const created = await exchange(
      `POST /v1/projects HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{"slug":"hsts"}`,
    );
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    await server?.close();
    await kdb?.destroy();
  });

  const get = (path: string, method = 'GET') => `${method} ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer ${token}\r\n\r\n`;

  it('on an ordinary response (the baseline)', async () => {
    const r = await exchange(get('/v1/projects'));
    expect(r.status).toBe(200);
    expect(r.headers['strict-transport-security']).toBe(HSTS);
  });

  it('on the change stream (a hijacked reply)', async () => {
    const r = await exchange(get('/v1/projects/hsts/environments/development/events'), /data: \{"revision":0\}\n\n/);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(r.headers['strict-transport-security']).toBe(HSTS);
  });

  it('on HEAD responses', async () => {
    for (const path of ['/healthz', '/v1/projects', '/v1/projects/hsts/environments/development/events']) {
      const r = await exchange(get(path, 'HEAD'));
      expect({ path, status: r.status }).toEqual({ path, status: 200 });
      expect({ path, hsts: r.headers['strict-transport-security'] }).toEqual({ path, hsts: HSTS });
    }
  });

  it('on a 400 for a URL that is not validly percent-encoded (before any hook runs)', async () => {
    const r = await exchange(get('/v1/projects/%E0%A4%A/environments'));
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text.slice(r.text.indexOf('\r\n\r\n') + 4)).error.code).toBe('validation');
    expect(r.headers['strict-transport-security']).toBe(HSTS);
  });

  it('on a 400 for a malformed request line (answered by the HTTP parser)', async () => {
    const r = await exchange('NOT A REQUEST\r\n\r\n');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text.slice(r.text.indexOf('\r\n\r\n') + 4)).error.code).toBe('validation');
    expect(r.headers['strict-transport-security']).toBe(HSTS);
  });

  it('on a 431 for oversized headers', async () => {
    const r = await exchange(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ${'p'.repeat(17_000)}\r\n\r\n`);
    expect(r.status).toBe(431);
    expect(r.headers['strict-transport-security']).toBe(HSTS);
  });

  it('on a 408 for headers that do not arrive in time', async () => {
    const r = await exchange((socket) => socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n'));
    expect(r.status).toBe(408);
    expect(r.headers['strict-transport-security']).toBe(HSTS);
  });
});
