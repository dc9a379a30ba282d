import type { Kysely } from 'kysely';
import { createAuditRecorder } from '../../src/server/services/audit-service.js';
import type { AuditEvent } from '../../src/server/services/service-deps.js';
import type { DB, Dialect } from '../../src/server/store/schema.js';

/**
 * Appends audit events straight through the server's recorder (no HTTP, no other service), each in
 * its own transaction, with the clock fixed to `at` when given.
 */
export async function appendAuditEvents(
  db: Kysely<DB>,
  dialect: Dialect,
  auditKey: Buffer,
  events: Array<Partial<AuditEvent> & { at?: string }>,
): Promise<void> {
  for (const { at, ...partial } of events) {
    const recorder = createAuditRecorder({ db, dialect, now: () => (at ? new Date(at) : new Date()), auditKey });
    await db.transaction().execute((trx) => recorder.record(trx, auditEvent(partial)));
  }
}

/** A complete event with harmless defaults for whatever the test does not care about. */
export function auditEvent(partial: Partial<AuditEvent> = {}): AuditEvent {
  return {
    action: 'secrets.read',
    actor: { userId: 'u-test', email: 'tester@example.com', keyId: 'k-test' },
    client: { ip: '127.0.0.1', userAgent: 'vitest', command: 'pull' },
    project: null,
    environment: 'development',
    keys: [],
    ...partial,
  };
}
