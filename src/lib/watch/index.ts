// Watching an environment for changes (`krypt run --watch`): the server's change stream client.
export { watchRevisions, type WatchRevisionsOptions } from './watch-revisions.js';
export { createSseParser, type SseEvent, type SseParser } from './sse-parser.js';
