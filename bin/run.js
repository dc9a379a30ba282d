#!/usr/bin/env node
// Start-up paths, fastest first; each runs the same command tree through the same dispatcher
// (src/cli/dispatch.ts) and pipeline. `krypt run` and `krypt get` are typed dozens of times a day:
// they load no zod (src/fast-path.ts). The server's commands load the server unbundled
// (src/server-main.ts); everything else, help and completion included, starts from src/cli-main.ts.
// Both bundles are built by `npm run build` into dist/bundle/.
const words = process.argv.slice(2);
const [command] = words;
const end = words.indexOf('--');
const own = end === -1 ? words : words.slice(0, end);
const help = own.includes('--help') || own.includes('-h');
const entry =
  help ? '../dist/bundle/cli-main.js'
  : command === 'run' || command === 'get' ? '../dist/bundle/fast-path.js'
  : command === 'server' ? '../dist/server-main.js'
  : '../dist/bundle/cli-main.js';
process.exitCode = await (await import(entry)).main(words);
