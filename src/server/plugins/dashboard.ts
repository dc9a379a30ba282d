import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DASHBOARD_ASSETS_PREFIX, DASHBOARD_PAGES } from '../../contract/dashboard-paths.js';

// The browser dashboard, served beside /v1 from the files `npm run build` writes: every page path
// of the contract's DASHBOARD_PAGES answers index.html (the client routes with the history API),
// /assets/<name> the hashed files. The files are read once, at start-up, into an allow-list: a
// request names an entry of that list or gets a 404, so no part of a URL ever becomes a file path.

/** Where `npm run build` writes the dashboard: <package>/dist/dashboard (same from src/ under tsx and from dist/). */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../../dist/dashboard/', import.meta.url));

/** The policy of every dashboard response: nothing inline, nothing from elsewhere, never framed. */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "object-src 'none'",
].join('; ');

/** Hashed file names change with their content: browsers may keep them for a year. */
export const ASSET_CACHE_CONTROL = 'public, max-age=31536000, immutable';

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Krypt: dashboard not built</title></head>
<body><h1>The Krypt dashboard was not built</h1>
<p>This server found no dashboard files. Build them with <code>npm run build</code> and restart the server.
The API under /v1 works without them.</p></body></html>
`;

interface Asset {
  body: Buffer;
  type: string;
}

interface DashboardFiles {
  index: Buffer | undefined;
  assets: Map<string, Asset>;
}

/** Reads index.html and the files of assets/ (regular files of known types only); a missing build gives no index. */
export function loadDashboardFiles(dir: string): DashboardFiles {
  const indexPath = join(dir, 'index.html');
  const index = existsSync(indexPath) ? readFileSync(indexPath) : undefined;
  const assets = new Map<string, Asset>();
  const assetsDir = join(dir, 'assets');
  if (index && existsSync(assetsDir)) {
    for (const name of readdirSync(assetsDir)) {
      const type = CONTENT_TYPES[extname(name)];
      const path = join(assetsDir, name);
      if (type && statSync(path).isFile()) assets.set(name, { body: readFileSync(path), type });
    }
  }
  return { index, assets };
}

function securityHeaders(_req: FastifyRequest, reply: FastifyReply, done: () => void): void {
  reply.header('content-security-policy', DASHBOARD_CSP);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('x-frame-options', 'DENY');
  done();
}

/**
 * Serves the dashboard from `dir` (GET and HEAD). Without index.html the server still starts, and
 * the pages answer 503 with a page saying to run `npm run build`.
 */
export function registerDashboard(app: FastifyInstance, dir: string = DEFAULT_DASHBOARD_DIR): void {
  const files = loadDashboardFiles(dir);
  const page = async (_req: FastifyRequest, reply: FastifyReply) => {
    reply.header('cache-control', 'no-store').type('text/html; charset=utf-8');
    if (!files.index) return reply.code(503).send(NOT_BUILT_PAGE);
    return reply.send(files.index);
  };
  for (const path of new Set(Object.values(DASHBOARD_PAGES))) {
    app.route({ method: 'GET', url: path, onRequest: securityHeaders, handler: page });
  }
  app.route({
    method: 'GET',
    url: `${DASHBOARD_ASSETS_PREFIX}:name`,
    onRequest: securityHeaders,
    handler: async (req: FastifyRequest<{ Params: { name: string } }>, reply) => {
      const asset = files.assets.get(req.params.name);
      if (!asset) return reply.callNotFound();
      return reply.header('cache-control', ASSET_CACHE_CONTROL).type(asset.type).send(asset.body);
    },
  });
}
