// The floor for `krypt run`: what any tool must do at minimum — one node:http(s) GET of the
// environment, then spawn the child with it. bench/run-latency.mjs times it beside krypt. It loads
// node:https and node:tls only for an https URL: no more than the work it stands for.
import { spawn } from 'node:child_process';

const [url, token, ...cmd] = process.argv.slice(2);
const target = new URL(url);
let request;
let tls = {};
if (target.protocol === 'https:') {
  const [{ request: httpsRequest }, { rootCertificates }, { readFileSync }] = await Promise.all([import('node:https'), import('node:tls'), import('node:fs')]);
  request = httpsRequest;
  // The same TLS work krypt does: TLS 1.3 and the private CA (KRYPT_CA_FILE) beside Node's roots.
  const caFile = process.env.KRYPT_CA_FILE;
  tls = { minVersion: 'TLSv1.3', ...(caFile ? { ca: [...rootCertificates, readFileSync(caFile, 'utf8')] } : {}) };
} else {
  ({ request } = await import('node:http'));
}
request(target, { headers: { authorization: `Bearer ${token}` }, ...tls }, (res) => {
  const chunks = [];
  res.on('data', (c) => chunks.push(c));
  res.on('end', () => {
    const { secrets } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const child = spawn(cmd[0], cmd.slice(1), { stdio: 'inherit', env: { ...process.env, ...secrets } });
    child.on('exit', (code) => process.exit(code ?? 1));
  });
}).end();
