import type { AnyCommand } from '../cli/command.js';
import { CLIENT_COMMANDS } from './client.js';
import ServerBackup from './server/backup.js';
import ServerInit from './server/init.js';
import ServerOutbox from './server/outbox.js';
import ServerRotateKey from './server/rotate-key.js';
import ServerStart from './server/start.js';
import ServerVerifyAudit from './server/verify-audit.js';

// Every command, by id (topic and verb joined by ':'): the client's (client.ts) and the server's.
// tree.ts adds the topics; help, completion, dispatch and tests in process all read this registry.
export const COMMANDS: Record<string, AnyCommand> = {
  ...CLIENT_COMMANDS,
  'server:backup': ServerBackup,
  'server:init': ServerInit,
  'server:outbox': ServerOutbox,
  'server:rotate-key': ServerRotateKey,
  'server:start': ServerStart,
  'server:verify-audit': ServerVerifyAudit,
};
