import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lintOpenApi } from '../helpers/openapi-lint.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// The OpenAPI document a real server serves at /v1/openapi.json passes Redocly's recommended
// ruleset with no errors, is versioned with the package, and says for every operation what a
// client generator needs: an id, a summary, a tag, and the error envelope on every error status.

const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: unknown[];
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}
interface Document {
  info: { version: string; license?: { name: string } };
  servers?: { url: string }[];
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
}

const operations = (doc: Document): [string, Operation][] =>
  Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]): [string, Operation] => [`${method.toUpperCase()} ${path}`, op]));

describe('the served OpenAPI document', () => {
  let srv: TestServer;
  let doc: Document;
  beforeAll(async () => {
    srv = await startTestServer();
    const res = await fetch(`${srv.url}/v1/openapi.json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as Document;
  });
  afterAll(async () => {
    await srv?.close();
  });

  it("passes redocly's recommended ruleset with no errors", async () => {
    const result = await lintOpenApi(doc);
    // The problems themselves are the failure message.
    expect(result.errorLines, result.problems.join('\n')).toEqual([]);
    expect(result.errors).toBe(0);
  }, 60_000);

  it('fails the same lint once an open route loses its `security: []` and the servers go (the check can fail)', async () => {
    const broken = structuredClone(doc);
    delete broken.servers;
    delete broken.paths['/healthz']?.get?.security;
    const result = await lintOpenApi(broken);
    expect(result.errorLines.join('\n')).toMatch(/no-empty-servers/);
    expect(result.errorLines.join('\n')).toMatch(/security-defined #\/paths\/~1healthz\/get/);
  }, 60_000);

  it("is versioned with the package: info.version is package.json's", () => {
    expect(doc.info.version).toBe(PACKAGE_VERSION);
    expect(doc.info.license?.name).toBe('UNLICENSED');
  });

  it('gives every operation an operationId, a summary and one described tag, and an explicit security', () => {
    const described = new Map((doc.tags ?? []).map((t) => [t.name, t.description]));
    const ids = new Set<string>();
    for (const [name, op] of operations(doc)) {
      expect(op.operationId, name).toMatch(/^[A-Za-z]+$/);
      expect(ids.has(op.operationId as string), `${name}: duplicate operationId`).toBe(false);
      ids.add(op.operationId as string);
      expect(op.summary, name).toBeTruthy();
      expect(op.tags, name).toHaveLength(1);
      expect(described.get(op.tags?.[0] as string), `${name}: tag ${op.tags?.[0]} has no description`).toBeTruthy();
      expect(Array.isArray(op.security), `${name}: security`).toBe(true);
    }
    expect(operations(doc).find(([name]) => name === 'GET /healthz')?.[1].security).toEqual([]);
  });

  it('declares the error envelope on every error status of every operation', () => {
    for (const [name, op] of operations(doc)) {
      const errors = Object.keys(op.responses).filter((s) => Number(s) >= 400);
      expect(errors.length, `${name}: no error status`).toBeGreaterThan(0);
      for (const status of errors) {
        expect(op.responses[status]?.content?.['application/json']?.schema, `${name} ${status}`).toEqual({ $ref: '#/components/schemas/ApiError' });
      }
    }
  });

  it('documents the change stream as text/event-stream with its event format', () => {
    const stream = doc.paths['/v1/projects/{slug}/environments/{env}/events']?.get;
    const media = stream?.responses['200']?.content?.['text/event-stream'] as { schema?: { description?: string }; example?: string } | undefined;
    expect(media?.schema?.description).toMatch(/event: revision/);
    expect(media?.example).toMatch(/^event: revision\ndata: \{"revision":\d+\}\n\n/);
  });
});
