import { request } from 'node:http';

/** A response as the rate-limit tests inspect it. */
export interface FromResponse {
  status: number;
  retryAfter: string | undefined;
  json: { error?: { code: string } };
}

/**
 * `method path` against the plain-HTTP server at `base`, sent from the chosen loopback source
 * address (all of 127/8 is loopback on Linux), so each test can be its own client address.
 */
export function requestFrom(base: string, from: string, method: string, path: string, token: string | null, body?: unknown): Promise<FromResponse> {
  const url = new URL(base);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        localAddress: from,
        agent: false,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(payload ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined, json: JSON.parse(text || '{}') }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
