#!/usr/bin/env node
// `krypt run` and `krypt get` are typed dozens of times a day: they start on a path that loads
// neither oclif nor zod (dist/hot.js, the bundle of src/fast-path.ts). Everything else, and their
// --help, goes through oclif; both dispatch to the same command definitions and pipeline.
const [command, ...argv] = process.argv.slice(2);
const own = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
if ((command === 'run' || command === 'get') && !own.includes('--help') && !own.includes('-h')) {
  const { main } = await import('../dist/hot.js');
  process.exitCode = await main(command, argv);
} else {
  const { execute } = await import('@oclif/core');
  await execute({ dir: import.meta.url });
}
