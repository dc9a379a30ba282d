// The floor for `krypt run`: what any tool must do at minimum — one node:http(s) GET of the
// environment, then spawn the child with it. bench/run-latency.mjs times it beside krypt.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';

const [url, token, ...cmd] = process.argv.slice(2);
const target = new URL(url);
const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
// Over https, the same TLS work krypt does: TLS 1.3 and the private CA (KRYPT_CA_FILE) beside Node's roots.
const caFile = process.env.KRYPT_CA_FILE;
const tls = target.protocol === 'https:' ? { minVersion: 'TLSv1.3', ...(caFile ? { ca: [...rootCertificates, readFileSync(caFile, 'utf8')] } : {}) } : {};
request(target, { headers: { authorization: `Bearer ${token}` }, ...tls }, (res) => {
  const chunks = [];
  res.on('data', (c) => chunks.push(c));
  res.on('end', () => {
    const { secrets } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const child = spawn(cmd[0], cmd.slice(1), { stdio: 'inherit', env: { ...process.env, ...secrets } });
    child.on('exit', (code) => process.exit(code ?? 1));
  });
}).end();
