// The reference server of bench/server-throughput: bare Fastify 5 answering every GET with the
// exact bytes (and content-type, etag, cache-control) of a Krypt bulk read, fetched once from Krypt
// and handed over in a file. No auth, no database, no crypto: what the HTTP stack alone costs.
// Usage: node bench/bare-fastify.mjs BODY_FILE ETAG — prints `listening on URL` on stderr.
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const [bodyFile, etag] = process.argv.slice(2);
const body = readFileSync(bodyFile, 'utf8');
const app = Fastify({ logger: false });
app.get('/*', (_req, reply) => {
  reply.header('content-type', 'application/json; charset=utf-8').header('etag', etag).header('cache-control', 'no-store').send(body);
});
const url = await app.listen({ host: '127.0.0.1', port: 0 });
process.stderr.write(`listening on ${url}\n`);
for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => void app.close().then(() => process.exit(0)));
