import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

// Request bodies are UTF-8 JSON. Bytes that are not UTF-8 are refused (400 validation), never
// decoded to U+FFFD and stored as if the client had sent that. Real HTTP, SQLite and PostgreSQL.

const latin1 = (text: string) => Buffer.from(text, 'latin1');

describe.each(['sqlite', 'postgres'] as const)('request body encoding on %s', (dialect) => {
  let srv: TestServer;
  const SLUG = 'utf8';
  const secretsPath = `/v1/projects/${SLUG}/environments/development/secrets`;

  /** PATCHes the secrets with exactly these bytes as the body. */
  async function patchBytes(body: Buffer) {
    const res = await fetch(srv.url + secretsPath, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${srv.token}`, 'content-type': 'application/json' },
      body: new Uint8Array(body),
    });
    return { status: res.status, json: (await res.json()) as { error?: { code: string; message: string }; revision?: number } };
  }
  async function state() {
    const r = await srv.call('GET', secretsPath);
    expect(r.status).toBe(200);
    return { revision: r.json.revision as number, secrets: r.json.secrets as Record<string, string> };
  }

  beforeAll(async () => {
    srv = await startTestServer({ dialect });
    expect((await srv.call('POST', '/v1/projects', { body: { slug: SLUG } })).status).toBe(201);
    expect((await srv.call('PATCH', secretsPath, { body: { set: { A: 'before' } } })).json.revision).toBe(1);
  });
  afterAll(async () => {
    await srv?.close();
  });

  const invalid: [string, Buffer][] = [
    ['a byte that never occurs in UTF-8 (0xff)', Buffer.concat([latin1('{"set":{"A":"x'), Buffer.from([0xff]), latin1('y"}}')])],
    ['a lone continuation byte (0x80)', Buffer.concat([latin1('{"set":{"A":"'), Buffer.from([0x80]), latin1('"}}')])],
    ['an overlong encoding of "/" (0xc0 0xaf)', Buffer.concat([latin1('{"set":{"A":"'), Buffer.from([0xc0, 0xaf]), latin1('"}}')])],
    ['an encoded UTF-16 surrogate (0xed 0xa0 0x80)', Buffer.concat([latin1('{"set":{"A":"'), Buffer.from([0xed, 0xa0, 0x80]), latin1('"}}')])],
    ['a truncated 4-byte sequence', Buffer.concat([latin1('{"set":{"A":"'), Buffer.from([0xf0, 0x9f, 0x98]), latin1('"}}')])],
    ['invalid bytes in a key name', Buffer.concat([latin1('{"set":{"B'), Buffer.from([0xfe]), latin1('":"v"}}')])],
  ];

  it.each(invalid)('refuses %s with 400 validation and stores nothing', async (_what, body) => {
    const before = await state();
    const r = await patchBytes(body);
    expect(r.status).toBe(400);
    expect(r.json.error?.code).toBe('validation');
    expect(r.json.error?.message).toMatch(/not valid UTF-8/);
    expect(await state()).toEqual(before);
    expect(before.secrets).toMatchObject({ A: 'before' });
    expect(Object.keys(before.secrets).filter((k) => k.startsWith('B'))).toEqual([]);
  });

  it('still stores and returns valid UTF-8, astral characters included, byte for byte', async () => {
    const value = 'naïve — 日本語 😀 𝄞 \u{10FFFF} end';
    const r = await patchBytes(Buffer.from(JSON.stringify({ set: { VALID: value } }), 'utf8'));
    expect(r.status).toBe(200);
    const after = await state();
    expect(after.secrets.VALID).toBe(value);
    expect(Buffer.from(after.secrets.VALID!, 'utf8').equals(Buffer.from(value, 'utf8'))).toBe(true);
  });
});
