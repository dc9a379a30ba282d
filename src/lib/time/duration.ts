import { KryptError } from '../errors.js';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
const DURATION = /^(\d{1,9})\s*([smhdw])$/;
const HINT = 'use a whole number and a unit: s, m, h, d or w (e.g. 90m, 12h, 30d)';

/** Seconds in a duration such as `90m`, `12h`, `30d` or `2w`; `label` names the flag in errors. */
export function parseDuration(text: string, label = 'duration'): number {
  const match = DURATION.exec(text.trim().toLowerCase());
  if (!match) throw new KryptError('invalid_duration', `${label} "${text}" is not a duration`, { hint: HINT });
  const seconds = Number(match[1]) * (UNIT_SECONDS[match[2]!] ?? 0);
  if (seconds <= 0) throw new KryptError('invalid_duration', `${label} must be longer than zero`, { hint: HINT });
  return seconds;
}

/** An ISO time from `--since`: a duration back from `now` (`7d`) or an ISO 8601 date or time. */
export function parseSince(text: string, now: Date): string {
  if (DURATION.test(text.trim().toLowerCase())) return new Date(now.getTime() - parseDuration(text, '--since') * 1000).toISOString();
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const time = new Date(text);
    if (!Number.isNaN(time.getTime())) return time.toISOString();
  }
  throw new KryptError('invalid_since', `--since "${text}" is neither a duration nor a date`, {
    hint: 'use a duration back from now (e.g. 24h, 7d) or an ISO date (e.g. 2025-01-31 or 2025-01-31T12:00:00Z)',
  });
}
