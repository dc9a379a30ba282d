import Fastify from 'fastify';
import pg from 'pg';
import autocannon from 'autocannon';
const body = JSON.stringify({ project: 'bench', environment: 'development', revision: 1, secrets: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`KEY_${i}`, 'x'.repeat(40)])) });
const pool = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:5432/test', max: 10 });
const n = Number(process.argv[2]);
const app = Fastify({ logger: false });
app.get('/*', async (_req, reply) => {
  for (let i = 0; i < n; i++) await pool.query('select $1::int as x', [i]);
  reply.header('content-type', 'application/json; charset=utf-8').send(body);
});
const url = await app.listen({ host: '127.0.0.1', port: 0 });
const r = await autocannon({ url, connections: 50, duration: 5 });
console.log(`queries/request ${n}: ${r.requests.average} req/s p99 ${r.latency.p99}`);
await app.close(); await pool.end();
