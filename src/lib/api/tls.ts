import { readFileSync } from 'node:fs';
import { KryptError } from '../errors.js';

// TLS policy of every CLI request: TLS 1.3 at least, certificates always verified, and an optional
// private CA added to Node's roots. NODE_EXTRA_CA_CERTS is honoured by Node itself whenever no CA
// file is given. On the start-up path of `krypt run`: node:tls is imported only when a CA file is
// set, and the file is read only when an https request is about to be sent.

export interface TlsRequestOptions {
  minVersion: 'TLSv1.3';
  /**
   * Always true, explicitly: Node's default comes from NODE_TLS_REJECT_UNAUTHORIZED, and "0" there
   * (often left set from debugging) would silently hand every secret to whoever answers.
   */
  rejectUnauthorized: true;
  /** Node's bundled roots plus the private CA; absent = Node's default store (with NODE_EXTRA_CA_CERTS). */
  ca?: string[];
}

/** The TLS options of one https request; `caFile` comes from --ca-file / KRYPT_CA_FILE / the config file. */
export async function tlsRequestOptions(caFile: string | undefined): Promise<TlsRequestOptions> {
  if (caFile === undefined) return { minVersion: 'TLSv1.3', rejectUnauthorized: true };
  let pem: string;
  try {
    pem = readFileSync(caFile, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable' : `cannot be read (${code ?? 'error'})`;
    throw new KryptError('ca_file_unreadable', `the CA file ${caFile} ${why}`, { hint: 'check --ca-file / KRYPT_CA_FILE' });
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new KryptError('ca_file_invalid', `the CA file ${caFile} holds no PEM certificate`, {
      hint: 'pass the CA certificate in PEM form (-----BEGIN CERTIFICATE-----) with --ca-file / KRYPT_CA_FILE',
    });
  }
  const { rootCertificates } = await import('node:tls');
  return { minVersion: 'TLSv1.3', rejectUnauthorized: true, ca: [...rootCertificates, pem] };
}

/** The warning to print once per command when NODE_TLS_REJECT_UNAUTHORIZED=0 is set (which Krypt overrides), else undefined. */
export function tlsOverrideWarning(env: NodeJS.ProcessEnv): string | undefined {
  if (env.NODE_TLS_REJECT_UNAUTHORIZED !== '0') return undefined;
  return 'NODE_TLS_REJECT_UNAUTHORIZED=0 is set; Krypt ignores it and still verifies certificates (use --ca-file for a private CA)';
}

// OpenSSL's verification failures, as Node reports them in err.code.
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REJECTED',
  'INVALID_CA',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const WRONG_VERSION = new Set([
  'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
  'ERR_SSL_UNSUPPORTED_PROTOCOL',
  'ERR_SSL_NO_PROTOCOLS_AVAILABLE',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

/**
 * A failed certificate check or TLS version negotiation as a clear remote error, or undefined for
 * anything else. Never `unavailable`: retrying or an offline copy would only hide a misconfiguration
 * (or an attack), so these never fall back to the offline copy.
 */
export function tlsFailure(url: URL, err: Error & { code?: string }): KryptError | undefined {
  const code = err.code ?? '';
  if (UNTRUSTED.has(code)) {
    const what =
      code === 'ERR_TLS_CERT_ALTNAME_INVALID'
        ? 'does not match the host name'
        : code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID'
          ? 'is not valid now'
          : 'is not trusted';
    return new KryptError('tls_untrusted', `the certificate of ${url.origin} ${what} (${code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? '' : code + ': '}${oneLine(err.message)})`, {
      kind: 'remote',
      hint:
        code === 'ERR_TLS_CERT_ALTNAME_INVALID'
          ? 'use the host name the certificate was issued for (its subjectAltName)'
          : 'pass --ca-file (or KRYPT_CA_FILE) with your CA certificate',
      cause: err,
      unavailable: false,
    });
  }
  if (WRONG_VERSION.has(code) || (code === 'EPROTO' && /protocol version|unsupported protocol|wrong version number|no protocols available/i.test(err.message))) {
    // Node says it in the message; bun only in the code (ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION).
    const reason =
      /(tlsv1 alert protocol version|unsupported protocol|wrong version number|no protocols available)/i.exec(err.message)?.[1] ??
      (code.startsWith('ERR_SSL_') ? code.slice('ERR_SSL_'.length).toLowerCase().replaceAll('_', ' ') : undefined);
    return new KryptError('tls_version', `cannot agree on TLS 1.3 with ${url.origin} (${code}${reason ? `: ${reason}` : ''})`, {
      kind: 'remote',
      hint: 'Krypt requires TLS 1.3: enable it on the server or its proxy (and use https:// only for a TLS endpoint)',
      cause: err,
      unavailable: false,
    });
  }
  return undefined;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
