#!/usr/bin/env node
// Start-up paths, fastest first; each runs the same command definitions through the same pipeline.
// `krypt run` and `krypt get` are typed dozens of times a day: they load neither oclif nor zod
// (src/fast-path.ts). Every other client command loads zod but not oclif (src/cli-main.ts; both
// bundled in dist/bundle/ by npm run build), the server's commands neither oclif nor a bundle
// (src/server-main.ts). oclif takes help, --version and anything unknown (its "did you mean").
const words = process.argv.slice(2);
const [command] = words;
const end = words.indexOf('--');
const own = end === -1 ? words : words.slice(0, end);
const help = own.includes('--help') || own.includes('-h') || command === 'help';
const entry =
  help || command === undefined || command.startsWith('-') ? undefined
  : command === 'run' || command === 'get' ? '../dist/bundle/fast-path.js'
  : command === 'server' ? '../dist/server-main.js'
  : '../dist/bundle/cli-main.js';
// undefined: the line names no command these know (a topic alone, a typo): oclif says so.
const code = entry === undefined ? undefined : await (await import(entry)).main(words);
if (code !== undefined) process.exitCode = code;
else {
  const { execute } = await import('@oclif/core');
  await execute({ dir: import.meta.url });
}
