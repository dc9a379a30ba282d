import { main } from './cli-main.js';

// The standalone binary's entry (scripts/release.mjs compiles it with `bun build --compile`): the
// same dispatcher and command tree as bin/run.js's cli-main bundle. The server is not in it
// (better-sqlite3 is a Node addon); its commands say where to get it (binary-no-server.ts).
process.exitCode = await main(process.argv.slice(2));
