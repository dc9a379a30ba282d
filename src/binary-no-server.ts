import { KryptError } from './lib/errors.js';

// Stands in for the server's entry (src/server/entry/index.ts) inside the standalone binary
// (scripts/release.mjs): the server runs on Node.js, where better-sqlite3's addon loads. Importing
// this module fails, and `krypt server ...` renders the error like any other.
throw new KryptError('server_not_in_binary', 'the standalone krypt binary carries the client only; the server runs on Node.js', {
  hint: 'on the server machine (Node.js 20.19+): from a checkout of Krypt, `npm ci && npm run build`, then `node bin/run.js server start` (docs/self-hosting.md)',
});
