import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throw-away CA and a server certificate it signed, as files in a fresh temporary directory. */
export interface TestPki {
  dir: string;
  /** CA certificate (PEM): what clients pass with --ca-file. */
  caFile: string;
  certFile: string;
  keyFile: string;
  /** A second, unrelated CA: trusting it must not make the server trusted. */
  otherCaFile: string;
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string): void {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`,
    '-days', '2', '-subj', `/CN=Krypt test ${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
}

/**
 * Creates a CA and a certificate for 127.0.0.1, ::1 and localhost (subjectAltName: what clients
 * check) with the Debian openssl CLI. Keys live only in the temporary directory.
 */
export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'krypt-pki-'));
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], dir);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext'], dir);
  const file = (name: string) => join(dir, name);
  return {
    dir,
    caFile: file('ca.pem'),
    certFile: file('server.pem'),
    keyFile: file('server.key'),
    otherCaFile: file('other-ca.pem'),
    cert: readFileSync(file('server.pem')),
    key: readFileSync(file('server.key')),
    ca: readFileSync(file('ca.pem')),
  };
}
