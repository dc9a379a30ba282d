import { randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { WEBHOOK_SECRET_PREFIX } from '../crypto/api-token.js';
import { ServiceError } from './service-error.js';

// Sending one signed webhook (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature
// headers over `id.timestamp.body` with HMAC-SHA256) to a destination that is checked first: a URL
// that resolves to loopback, link-local, private or other internal ranges is refused unless the
// operator allows private destinations (SSRF). The connection goes to the address that was checked,
// so a second DNS answer cannot swap in an internal one; redirects are not followed.

const INTERNAL = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24],
  ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) INTERNAL.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['::', 128], ['::1', 128], ['64:ff9b::', 96], ['100::', 64], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8]] as const) {
  INTERNAL.addSubnet(net, bits, 'ipv6');
}

/** Whether an address is loopback, link-local, private, reserved or otherwise not on the public internet. */
export function isInternalAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return INTERNAL.check(mapped[1] as string, 'ipv4');
  const family = isIP(address);
  return family === 0 || INTERNAL.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** A new signing secret in the Standard Webhooks form (whsec_ + base64 of 24 random bytes). */
export function generateWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(24).toString('base64');
}

/** Checks a webhook URL's form (http or https, a host, no credentials, at most 2000 characters). */
export function parseWebhookUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ServiceError('validation', 'the webhook URL is not a valid URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ServiceError('validation', `the webhook URL must be http:// or https://, not ${url.protocol}//`);
  if (url.username || url.password) throw new ServiceError('validation', 'the webhook URL must not carry a user name or password; check the signature instead');
  if (text.length > 2000) throw new ServiceError('validation', 'the webhook URL may be at most 2000 characters');
  return url;
}

/** The address the URL's host resolves to, refused when it is internal and private destinations are not allowed. */
export async function resolveDestination(url: URL, allowPrivate: boolean): Promise<{ address: string; family: number }> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: { address: string; family: number }[];
  try {
    addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true, verbatim: true });
  } catch {
    throw new ServiceError('validation', `the webhook host ${host} does not resolve`);
  }
  if (!allowPrivate) {
    // The address itself is not named: the answer would map the server's network for the asker.
    if (addresses.some((a) => isInternalAddress(a.address))) {
      throw new ServiceError(
        'validation',
        `the webhook host ${host} resolves to a loopback, private or link-local address: refused unless the server runs with --webhooks-allow-private`,
      );
    }
  }
  const first = addresses[0];
  if (!first) throw new ServiceError('validation', `the webhook host ${host} does not resolve`);
  return first;
}

export interface WebhookAttempt {
  url: string;
  /** The delivery's id: the same on every retry (webhook-id), so receivers can drop repeats. */
  id: string;
  body: string;
  secret: string;
  at: Date;
  allowPrivate: boolean;
  timeoutMs: number;
}

/** POSTs one signed delivery; resolves with the HTTP status, rejects when no answer came (refused, reset, timeout). */
export async function postWebhook(attempt: WebhookAttempt): Promise<number> {
  const url = parseWebhookUrl(attempt.url);
  const pinned = await resolveDestination(url, attempt.allowPrivate);
  const pin: LookupFunction = (_host, options, callback) => {
    if ((options as { all?: boolean }).all) (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  };
  const signature = new Webhook(attempt.secret).sign(attempt.id, attempt.at, attempt.body);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        lookup: pin,
        timeout: attempt.timeoutMs,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Krypt-Webhooks/1',
          'webhook-id': attempt.id,
          'webhook-timestamp': String(Math.floor(attempt.at.getTime() / 1000)),
          'webhook-signature': signature,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${attempt.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(attempt.body);
  });
}
