import type { Migration, MigrationProvider } from 'kysely';
import { initialMigration } from './0001-initial.js';
import { teamsMigration } from './0002-teams.js';
import { auditMigration } from './0003-audit.js';
import { normaliseEmailsMigration } from './0004-normalise-emails.js';
import { sessionsMigration } from './0005-sessions.js';
import { authFailuresMigration } from './0006-auth-failures.js';
import { outboxMigration } from './0007-outbox.js';

// In-code migrations (no filesystem scan), so bundles and compiled builds see the same set.
const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': initialMigration,
  '0002-teams': teamsMigration,
  '0003-audit': auditMigration,
  '0004-normalise-emails': normaliseEmailsMigration,
  '0005-sessions': sessionsMigration,
  '0006-auth-failures': authFailuresMigration,
  '0007-outbox': outboxMigration,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
