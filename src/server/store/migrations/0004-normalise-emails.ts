import { sql, type Kysely, type Migration } from 'kysely';

// Emails are stored trimmed and lowercase, and looked up exactly (invites, members, accepting an
// invite as oneself). Instances created before the first user's email was normalised may hold a
// mixed-case one (`krypt server init --email Boss@Example.COM`): lowercase it, unless that would
// collide with another account (then both stay as they are, for the operator to merge).

export const normaliseEmailsMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql`
      UPDATE users SET email = lower(trim(email))
      WHERE email <> lower(trim(email))
        AND NOT EXISTS (SELECT 1 FROM users AS other WHERE other.email = lower(trim(users.email)))`.execute(db);
    await sql`UPDATE invites SET email = lower(trim(email)) WHERE email <> lower(trim(email))`.execute(db);
  },
  async down(): Promise<void> {
    // The original spelling is not kept: nothing to undo.
  },
};
