import { emailSchema } from '../../contract/index.js';
import { KryptError } from '../errors.js';

/** A member's email, normalised as the server stores it (trimmed, lowercase), or a usage error. */
export function parseEmail(text: string): string {
  const parsed = emailSchema.safeParse(text);
  if (!parsed.success) throw new KryptError('invalid_email', `"${text}" is not an email address`, { hint: 'members are named by email, e.g. ana@example.com' });
  return parsed.data;
}
