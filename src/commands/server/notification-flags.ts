import { flag } from '../../cli/command.js';
import type { StartServerOptions } from '../../server/entry/index.js';
import { serverEntry } from './entry.js';

// The flags of `krypt server start` for email and webhooks, and what they resolve to. The SMTP
// password never comes from argv: KRYPT_SMTP_PASSWORD or --smtp-password-file.

export const notificationFlags = {
  'smtp-url': flag.string({
    description: 'send notification emails (invites, change requests, ownership, removals, new keys) through this SMTP server: smtp://[user@]host[:port] (STARTTLS required) or smtps://... (TLS); the password comes from KRYPT_SMTP_PASSWORD or --smtp-password-file',
    exclusive: ['dev'],
  }),
  'smtp-from': flag.string({ description: 'the From address of emails, e.g. "Krypt <krypt@example.com>" (default: the --smtp-url user when it is an email address)', dependsOn: ['smtp-url'] }),
  'smtp-password-file': flag.string({ description: 'file whose first line is the SMTP password (else KRYPT_SMTP_PASSWORD)', dependsOn: ['smtp-url'] }),
  'smtp-ca-file': flag.string({ description: 'PEM CA certificates to trust for the SMTP server (besides the system ones)', dependsOn: ['smtp-url'] }),
  'smtp-insecure': flag.boolean({ description: 'plain SMTP without STARTTLS, to a loopback relay only', dependsOn: ['smtp-url'] }),
  'public-url': flag.string({ description: 'the origin people reach this server at (e.g. https://krypt.example.com), for dashboard links in emails', exclusive: ['dev'] }),
  'webhooks-allow-private': flag.boolean({ description: 'let webhooks reach loopback, private and link-local addresses (refused by default: SSRF)', exclusive: ['dev'] }),
};

type NotificationFlags = { [K in keyof typeof notificationFlags]?: string | boolean | undefined };

/** The server options the flags ask for (checked: a bad URL or a password in argv stops here, before the master key is asked for). */
export async function resolveNotifications(flags: NotificationFlags, env: NodeJS.ProcessEnv): Promise<Pick<StartServerOptions, 'smtp' | 'notifications'>> {
  const { parsePublicUrl, parseSmtpInput, readSmtpCaFile, readSmtpPasswordFile } = await serverEntry();
  const text = (name: keyof NotificationFlags): string | undefined => (typeof flags[name] === 'string' ? (flags[name] as string) : undefined);
  const smtpUrl = text('smtp-url');
  const passwordFile = text('smtp-password-file');
  const caFile = text('smtp-ca-file');
  const password = passwordFile !== undefined ? readSmtpPasswordFile(passwordFile) : env.KRYPT_SMTP_PASSWORD || undefined;
  const publicUrl = text('public-url');
  const from = text('smtp-from');
  const smtp =
    smtpUrl !== undefined
      ? parseSmtpInput({
          url: smtpUrl,
          insecure: flags['smtp-insecure'] === true,
          ...(password !== undefined ? { password } : {}),
          ...(from !== undefined ? { from } : {}),
          ...(caFile !== undefined ? { ca: readSmtpCaFile(caFile) } : {}),
        })
      : undefined;
  const notifications = {
    ...(publicUrl !== undefined ? { publicUrl: parsePublicUrl(publicUrl) } : {}),
    ...(flags['webhooks-allow-private'] === true ? { allowPrivateWebhooks: true } : {}),
  };
  return { ...(smtp ? { smtp } : {}), ...(Object.keys(notifications).length > 0 ? { notifications } : {}) };
}
