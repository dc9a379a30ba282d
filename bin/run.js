#!/usr/bin/env node
// `krypt run` and `krypt get` are typed dozens of times a day: they start on a path that loads
// neither oclif nor zod (dist/cli/hot). Everything else, and their --help, goes through oclif.
const [command, ...argv] = process.argv.slice(2);
const own = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
if ((command === 'run' || command === 'get') && !own.includes('--help') && !own.includes('-h')) {
  const { main } = await import('../dist/hot.js');
  process.exitCode = await main(command, argv);
} else {
  const { execute } = await import('@oclif/core');
  await execute({ dir: import.meta.url });
}
