import type { ChangeRequest } from '../contract/index.js';
import { KryptError } from '../lib/errors.js';

// Shared by the commands that may create a change request (push, set, unset, secrets rollback)
// and by the `change-requests` topic.

/** The lines a write prints when it became a pending change request instead of being applied. */
export function pendingLines(cr: ChangeRequest): string[] {
  return [
    `Change request #${cr.id} created; an owner or admin must approve it`,
    `Nothing changed in ${cr.project}/${cr.environment} yet. Follow it with \`krypt cr show ${cr.id} -p ${cr.project}\`.`,
  ];
}

/** A change request number as typed: `3` or `#3`. */
export function parseChangeRequestId(text: string): number {
  const match = /^#?(\d{1,9})$/.exec(text.trim());
  const id = match ? Number(match[1]) : 0;
  if (id <= 0) {
    throw new KryptError('usage', `"${text}" is not a change request number`, { hint: 'run `krypt cr list` to see their numbers' });
  }
  return id;
}

/** Table row of a change request: number, environment, status, who asked, when, what, and the outcome. */
export function changeRequestRow(cr: ChangeRequest): string[] {
  const what = cr.changes.map((c) => (c.action === 'delete' ? `-${c.key}` : c.key)).join(',');
  const outcome = cr.decidedBy ? `${cr.decidedBy}${cr.reason ? `: ${cr.reason}` : ''}` : '';
  return [`#${cr.id}`, cr.environment, cr.status, cr.requestedBy, cr.createdAt, what, outcome];
}
export const CHANGE_REQUEST_HEADERS = ['id', 'env', 'status', 'requested by', 'created', 'changes', 'decided by'];
