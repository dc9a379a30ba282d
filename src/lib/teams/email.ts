import { KryptError } from '../errors.js';

/**
 * A member's email, normalised as the server stores it (trimmed, lowercase), or a usage error. The
 * contract's schema (zod) loads here, on use: commands that take no email start without it.
 */
export async function parseEmail(text: string): Promise<string> {
  const { emailSchema } = await import('../../contract/teams.js');
  const parsed = emailSchema.safeParse(text);
  if (!parsed.success) throw new KryptError('invalid_email', `"${text}" is not an email address`, { hint: 'members are named by email, e.g. ana@example.com' });
  return parsed.data;
}
