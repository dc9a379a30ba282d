import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { createSecureContext } from 'node:tls';
import { parseMasterKeyText } from '../crypto/master-key.js';
import { isSentryDsn } from '../plugins/error-reporting.js';
import { ServerStartupError } from './errors.js';

// What an operator hands `krypt server ...`, checked before anything opens: the master key (file or
// text, never the environment), the TLS files, the trusted proxies and the listening host.

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Refuses to start when KRYPT_MASTER_KEY is set: the master key never travels in the environment. */
export function assertNoMasterKeyInEnv(env: NodeJS.ProcessEnv): void {
  if (env.KRYPT_MASTER_KEY !== undefined) {
    throw new ServerStartupError(
      'master_key_in_env',
      'KRYPT_MASTER_KEY is set, but Krypt never reads the master key from an environment variable',
      'unset KRYPT_MASTER_KEY and pass the key with --master-key-file, on standard input, or at the prompt',
    );
  }
}

/** Parses the text form of a master key (64 hex characters, surrounding whitespace ignored). */
export function parseMasterKey(text: string): Buffer {
  try {
    return parseMasterKeyText(text);
  } catch (err) {
    throw new ServerStartupError('master_key_invalid', (err as Error).message, 'use the key printed by `krypt server init`');
  }
}

/** Why a file the operator named cannot be read, as the end of a sentence. */
function unreadable(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable' : `cannot be read (${code ?? 'error'})`;
}

/** Reads and parses a master key file; `warn` hears when group or others may read it (it is read anyway). */
export function readMasterKeyFile(path: string, warn: (message: string) => void = () => undefined): Buffer {
  let text: string;
  let mode: number;
  try {
    text = readFileSync(path, 'utf8');
    mode = statSync(path).mode & 0o777;
  } catch (err) {
    throw new ServerStartupError('master_key_file', `master key file ${path} ${unreadable(err)}`, 'check the --master-key-file path');
  }
  if ((mode & 0o044) !== 0) {
    warn(`the master key file ${path} is readable by group or others (mode ${mode.toString(8).padStart(4, '0')}): restrict it with \`chmod 600 ${path}\``);
  }
  return parseMasterKey(text);
}

/** Checks that the host is loopback unless the server speaks TLS itself or a TLS-terminating proxy is declared. */
export function assertHostAllowed(host: string, behindTlsProxy: boolean): void {
  if (LOOPBACK.has(host) || behindTlsProxy) return;
  throw new ServerStartupError(
    'insecure_host',
    `refusing to listen on ${host} without TLS: only 127.0.0.1, ::1 and localhost are allowed`,
    'listen on 127.0.0.1, pass --tls-cert and --tls-key, or pass --behind-tls-proxy when a TLS-terminating proxy fronts this server',
  );
}

/**
 * Checks that the metrics listener is loopback unless the operator said otherwise: it is plain HTTP
 * and unauthenticated (no values, key names or emails, but request rates and failure counts).
 */
export function assertMetricsHostAllowed(host: string, allowRemote: boolean): void {
  if (LOOPBACK.has(host) || allowRemote) return;
  throw new ServerStartupError(
    'insecure_metrics_host',
    `refusing to serve metrics on ${host}: only 127.0.0.1, ::1 and localhost are allowed, since anyone who reaches it can read them`,
    'serve metrics on 127.0.0.1, or pass --metrics-public when only your scraper can reach that address',
  );
}

/** Reads the PEM certificate chain and key for `--tls-cert/--tls-key`, and checks that they form a pair. */
export function readTlsFiles(certPath: string, keyPath: string): { cert: Buffer; key: Buffer } {
  const read = (path: string, what: string, flag: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new ServerStartupError('tls_file', `TLS ${what} file ${path} ${unreadable(err)}`, `check the ${flag} path and its permissions`);
    }
  };
  const tls = { cert: read(certPath, 'certificate', '--tls-cert'), key: read(keyPath, 'key', '--tls-key') };
  assertTlsPair(tls);
  return tls;
}

/** Refuses a certificate or key that is not PEM, or a key that does not belong to the certificate. */
export function assertTlsPair(tls: { cert: Buffer; key: Buffer }): void {
  try {
    createSecureContext({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.3' });
  } catch (err) {
    const reason = (err as Error).message.replace(/^error:[0-9A-F]+:/i, '');
    throw new ServerStartupError(
      'tls_invalid',
      `the TLS certificate and key cannot be used (${reason})`,
      'pass a PEM certificate chain with --tls-cert and its matching PEM private key with --tls-key',
    );
  }
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** `--trusted-proxy` values (repeated and/or comma-separated) -> addresses, CIDRs or loopback/linklocal/uniquelocal. */
export function parseTrustedProxies(values: readonly string[]): string[] {
  const list = values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  for (const entry of list) {
    const [addr, bits, extra] = entry.split('/');
    const family = isIP(addr ?? '');
    const max = family === 4 ? 32 : 128;
    const validBits = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= max);
    if (PROXY_NAMES.has(entry) || (family !== 0 && validBits && extra === undefined)) continue;
    throw new ServerStartupError(
      'trusted_proxy',
      `invalid --trusted-proxy "${entry}"`,
      'give IP addresses or CIDR ranges (e.g. 10.0.0.5, 10.0.0.0/8), or loopback, linklocal, uniquelocal',
    );
  }
  return list;
}

/** Refuses a `--sentry-dsn` that is not a Sentry DSN, without repeating it (it holds the project's key). */
export function assertSentryDsn(dsn: string): void {
  if (isSentryDsn(dsn)) return;
  throw new ServerStartupError(
    'invalid_sentry_dsn',
    'the Sentry DSN is not valid (it is not repeated here: a DSN holds the project key)',
    "copy the DSN from the Sentry project's settings (Client Keys), e.g. https://PUBLIC_KEY@o0.ingest.sentry.io/PROJECT_ID",
  );
}

/** `--smtp-url` and friends, checked: where email goes and how the connection is protected. */
export interface SmtpInput {
  url: string;
  password?: string;
  from: string;
  insecure: boolean;
  ca?: Buffer;
}

/**
 * Checks the SMTP settings: smtp:// (STARTTLS required) or smtps:// (TLS); no password in the URL
 * (argv is visible to every local user: it comes from KRYPT_SMTP_PASSWORD or a file); a plain
 * connection (--smtp-insecure) only to a loopback relay; a From address.
 */
export function parseSmtpInput(opts: { url: string; password?: string; from?: string; insecure?: boolean; ca?: Buffer }): SmtpInput {
  let url: URL;
  try {
    url = new URL(opts.url);
  } catch {
    throw new ServerStartupError('smtp_url', `invalid --smtp-url "${opts.url.replace(/:[^:@/]*@/, ':***@')}"`, 'give smtp://[user@]host[:port] (STARTTLS, port 587 by default) or smtps://[user@]host[:port] (TLS, 465)');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    throw new ServerStartupError('smtp_url', `--smtp-url must start with smtp:// or smtps://, not ${url.protocol}//`, 'give smtp://[user@]host[:port] or smtps://[user@]host[:port]');
  }
  if (url.password) {
    throw new ServerStartupError(
      'smtp_password_in_url',
      '--smtp-url carries a password: a command line is visible to every user of this machine',
      'drop the password from the URL and set KRYPT_SMTP_PASSWORD, or pass --smtp-password-file FILE',
    );
  }
  if (url.pathname && url.pathname !== '/' && url.pathname !== '') {
    throw new ServerStartupError('smtp_url', '--smtp-url takes no path', 'give smtp://[user@]host[:port]');
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (opts.insecure && url.protocol === 'smtps:') {
    throw new ServerStartupError('smtp_insecure', '--smtp-insecure turns off STARTTLS, but an smtps:// URL always uses TLS', 'drop --smtp-insecure, or use an smtp:// URL for a plain loopback relay');
  }
  if (opts.insecure && !LOOPBACK.has(host)) {
    throw new ServerStartupError(
      'smtp_insecure',
      `refusing plain SMTP to ${host}: --smtp-insecure is allowed for a loopback relay only (127.0.0.1, ::1, localhost)`,
      'drop --smtp-insecure (STARTTLS is then required), or relay through a local MTA on 127.0.0.1',
    );
  }
  const user = decodeURIComponent(url.username);
  const from = opts.from ?? (user.includes('@') ? user : undefined);
  if (from === undefined) throw new ServerStartupError('smtp_from', 'no From address for email', 'pass --smtp-from "Krypt <krypt@example.com>"');
  if (!/^[^\r\n]*@[^\r\n]*$/.test(from)) throw new ServerStartupError('smtp_from', `--smtp-from "${from}" is not an email address`, 'pass --smtp-from "Krypt <krypt@example.com>"');
  return { url: url.toString(), from, insecure: opts.insecure ?? false, ...(opts.password !== undefined ? { password: opts.password } : {}), ...(opts.ca ? { ca: opts.ca } : {}) };
}

/** Reads the SMTP password file (--smtp-password-file): its first line, without the line end. */
export function readSmtpPasswordFile(path: string): string {
  try {
    return readFileSync(path, 'utf8').split(/\r?\n/)[0] ?? '';
  } catch (err) {
    throw new ServerStartupError('smtp_password_file', `SMTP password file ${path} ${unreadable(err)}`, 'check the --smtp-password-file path and its permissions');
  }
}

/** Reads a PEM file of extra CA certificates for the SMTP server (--smtp-ca-file). */
export function readSmtpCaFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ServerStartupError('smtp_ca_file', `SMTP CA file ${path} ${unreadable(err)}`, 'check the --smtp-ca-file path');
  }
}

/** `--public-url`: the origin people reach the server and dashboard at, for links in emails. */
export function parsePublicUrl(text: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
    throw new ServerStartupError('public_url', `invalid --public-url "${text}"`, 'give the origin only, e.g. https://krypt.example.com');
  }
  return url.origin;
}
