import nodemailer from 'nodemailer';
import { permanentFailure, type Mailer } from './outbox-sender.js';

// SMTP through nodemailer: STARTTLS required on smtp:// (implicit TLS on smtps://) unless the
// operator allowed a plain connection to a loopback relay. The password never comes from argv.

export interface SmtpOptions {
  /** smtp://[user@]host[:port] (STARTTLS, default port 587) or smtps://[user@]host[:port] (TLS, default 465). */
  url: string;
  /** The SMTP password (from KRYPT_SMTP_PASSWORD or --smtp-password-file). */
  password?: string;
  /** The From address, e.g. "Krypt <krypt@example.com>". */
  from: string;
  /** Plain SMTP without STARTTLS (a loopback relay only). */
  insecure?: boolean;
  /** Extra CA certificates (PEM) to trust for the SMTP server's certificate. */
  ca?: Buffer;
  /** Give up on a connection, the greeting or a reply after this long, each (default 20 s). */
  timeoutMs?: number;
}

/** A mailer over SMTP; a refused recipient or message (5xx) is not retried, anything else is. */
export function createSmtpMailer(opts: SmtpOptions): Mailer {
  const url = new URL(opts.url);
  const secure = url.protocol === 'smtps:';
  const timeout = opts.timeoutMs ?? 20_000;
  const user = decodeURIComponent(url.username);
  const transport = nodemailer.createTransport({
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    requireTLS: !secure && !opts.insecure,
    ignoreTLS: !secure && opts.insecure === true,
    ...(user ? { auth: { user, pass: opts.password ?? '' } } : {}),
    tls: { minVersion: 'TLSv1.2', ...(opts.ca ? { ca: opts.ca } : {}) },
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    // No connection pool: a send is rare, and each gets a fresh connection.
    pool: false,
  });
  return {
    async send(email, messageId) {
      try {
        await transport.sendMail({ from: opts.from, to: email.to, subject: email.subject, text: email.text, html: email.html, messageId });
      } catch (err) {
        const { responseCode, command } = err as { responseCode?: number; command?: string };
        const message = (err as Error).message;
        // A 5xx to the recipient or the message is final; a 5xx to AUTH or MAIL FROM is the
        // operator's configuration, which may be fixed: retried like an outage.
        const refused = responseCode !== undefined && responseCode >= 500 && (command === 'RCPT TO' || command === 'DATA');
        throw refused ? permanentFailure(`SMTP refused the message: ${message}`) : new Error(`SMTP: ${message}`);
      }
    },
    close() {
      transport.close();
    },
  };
}
