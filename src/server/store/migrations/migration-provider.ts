import type { Migration, MigrationProvider } from 'kysely';
import { initialMigration } from './0001-initial.js';

// In-code migrations (no filesystem scan), so bundles and compiled builds see the same set.
const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': initialMigration,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
