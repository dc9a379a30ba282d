// The dashboard's shipped size: every JS and CSS file index.html loads from dist/dashboard (run
// `npm run build` first, or pass another build directory), raw, gzipped (level 9) and brotli.
// The budget of issue 10: at most 120 KB of gzipped JS in total.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';

const dir = resolve(process.argv[2] ?? new URL('../dist/dashboard', import.meta.url).pathname);
const indexPath = join(dir, 'index.html');
if (!existsSync(indexPath)) {
  console.error(`no ${indexPath}: run \`npm run build\` first`);
  process.exit(1);
}
const index = readFileSync(indexPath, 'utf8');
const files = [...new Set([...index.matchAll(/\s(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]))];

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const rows = files.map((file) => {
  const body = readFileSync(join(dir, file));
  return { file, kind: file.endsWith('.js') ? 'js' : 'css', raw: body.length, gzip: gzipSync(body, { level: 9 }).length, brotli: brotliCompressSync(body).length };
});
const pad = Math.max(...rows.map((r) => r.file.length), 10);
console.log(`${'file'.padEnd(pad)}  ${'raw'.padStart(9)}  ${'gzip'.padStart(9)}  ${'brotli'.padStart(9)}`);
for (const r of rows) console.log(`${r.file.padEnd(pad)}  ${kb(r.raw).padStart(9)}  ${kb(r.gzip).padStart(9)}  ${kb(r.brotli).padStart(9)}`);
for (const kind of ['js', 'css']) {
  const of = rows.filter((r) => r.kind === kind);
  const sum = (k) => of.reduce((n, r) => n + r[k], 0);
  console.log(`${`total ${kind}`.padEnd(pad)}  ${kb(sum('raw')).padStart(9)}  ${kb(sum('gzip')).padStart(9)}  ${kb(sum('brotli')).padStart(9)}`);
}
const jsGzip = rows.filter((r) => r.kind === 'js').reduce((n, r) => n + r.gzip, 0);
console.log(`JS gzipped: ${kb(jsGzip)} of the 120 KB budget (${jsGzip <= 120 * 1024 ? 'within' : 'OVER'})`);
