import { DASHBOARD_PAGES, dashboardPath } from '../../contract/dashboard-paths.js';
import type { Notice } from './notices.js';

// The emails a notice becomes: plain text plus the same in HTML, with key names where useful and
// never a value or an API key. The one credential an email carries is an invite's one-time code,
// for the person invited (the outbox stores it encrypted).

export interface Email {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** What rendering needs beyond the notice: the server's public origin for links, and who manages the project. */
export interface EmailContext {
  /** e.g. https://krypt.example.com; links are left out without it. */
  origin: string | null;
  /** Owner and admins of the notice's project (for a new change request). */
  managers: readonly string[];
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** One email from paragraphs: each paragraph is text, or a command/link shown as code. */
type Part = string | { code: string } | { link: string; label: string };

function email(to: string, subject: string, parts: Part[]): Email {
  const text = parts.map((p) => (typeof p === 'string' ? p : 'code' in p ? `    ${p.code}` : `${p.label}: ${p.link}`)).join('\n\n');
  const html = parts
    .map((p) =>
      typeof p === 'string'
        ? `<p>${escapeHtml(p)}</p>`
        : 'code' in p
          ? `<pre><code>${escapeHtml(p.code)}</code></pre>`
          : `<p><a href="${escapeHtml(p.link)}">${escapeHtml(p.label)}</a></p>`,
    )
    .join('\n');
  return {
    to,
    subject,
    text: `${text}\n\n-- \nKrypt\n`,
    html: `<!doctype html>\n<html><body style="font-family: sans-serif">\n${html}\n<p style="color: #666">Krypt</p>\n</body></html>\n`,
  };
}

const keyList = (keys: readonly string[]): string => (keys.length <= 20 ? keys.join(', ') : `${keys.slice(0, 20).join(', ')} and ${keys.length - 20} more`);
const link = (origin: string | null, path: string, label: string): Part[] => (origin ? [{ link: origin + path, label }] : []);

/** The emails for a notice (none for the topics only webhooks hear). */
export function noticeEmails(notice: Notice, ctx: EmailContext): Email[] {
  switch (notice.topic) {
    case 'invite': {
      const p = notice.project.slug;
      const fragment = new URLSearchParams({ code: notice.code }).toString();
      return [
        email(notice.to, `You are invited to the Krypt project ${p}`, [
          `${notice.invitedBy} invited you to the project "${p}" as ${notice.role}. The invite works once, until ${notice.expiresAt}.`,
          ...(ctx.origin ? ['Join from a terminal:', { code: `krypt login --invite ${notice.code} --api-url ${ctx.origin}` }] : []),
          ...link(ctx.origin, `${DASHBOARD_PAGES.invite}#${fragment}`, 'Or join in the browser'),
          'If you did not expect this, ignore this email.',
        ]),
      ];
    }
    case 'change_request.created': {
      const p = notice.project.slug;
      const path = dashboardPath('changeRequest', { slug: p, id: String(notice.number) });
      return ctx.managers
        .filter((to) => to !== notice.requestedBy)
        .map((to) =>
          email(to, `[${p}] Change request #${notice.number} for ${notice.environment} needs review`, [
            `${notice.requestedBy} proposes a change to ${notice.environment} in "${p}": ${keyList(notice.keys)}.`,
            { code: `krypt change-requests show ${notice.number} --project ${p}` },
            ...link(ctx.origin, path, 'Review it in the dashboard'),
          ]),
        );
    }
    case 'change_request.decided': {
      // The requester cancelling their own request needs no email.
      if (notice.decision === 'cancelled' || notice.decidedBy === notice.requestedBy) return [];
      const p = notice.project.slug;
      const path = dashboardPath('changeRequest', { slug: p, id: String(notice.number) });
      return [
        email(notice.requestedBy, `[${p}] Change request #${notice.number} was ${notice.decision}`, [
          `${notice.decidedBy} ${notice.decision} your change request #${notice.number} to ${notice.environment} in "${p}" (${keyList(notice.keys)}).`,
          ...(notice.reason ? [`Reason: ${notice.reason}`] : []),
          ...link(ctx.origin, path, 'See it in the dashboard'),
        ]),
      ];
    }
    case 'ownership.transferred': {
      const p = notice.project.slug;
      return [
        email(notice.owner, `[${p}] You now own the Krypt project ${p}`, [`${notice.previousOwner} transferred ownership of "${p}" to you. ${notice.previousOwner} is now an admin.`]),
        email(notice.previousOwner, `[${p}] Ownership of ${p} transferred to ${notice.owner}`, [`You transferred ownership of "${p}" to ${notice.owner}. You are now an admin of it.`]),
      ];
    }
    case 'member.removed': {
      const p = notice.project.slug;
      return [email(notice.email, `[${p}] You were removed from the Krypt project ${p}`, [`${notice.by} removed you from "${p}". You no longer have access to its secrets.`])];
    }
    case 'api_key.created': {
      const what = notice.service ? `A read-only service token for ${notice.service.project}/${notice.service.environment}` : 'A personal API key';
      return [
        email(notice.to, `New Krypt ${notice.service ? 'service token' : 'API key'} on your account`, [
          `${what} named "${notice.name}" (${notice.prefix}…) was created on your account${notice.expiresAt ? `; it expires ${notice.expiresAt}` : ''}.`,
          'If this was not you, revoke it now:',
          { code: 'krypt keys list' },
        ]),
      ];
    }
    default:
      return [];
  }
}
