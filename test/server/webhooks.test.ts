import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient } from '../../src/lib/api/client.js';
import { isInternalAddress } from '../../src/server/services/webhook-delivery.js';
import { api, join } from '../commands/team-fixture.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { until } from '../helpers/until.js';

// Webhooks end to end: a real receiver on 127.0.0.1 (allowed with the operator's flag), signatures
// verified with the Standard Webhooks reference library, retries through the outbox, the delivery
// log, and the SSRF refusal of internal destinations without the flag.

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** An HTTP endpoint that records every POST and answers with the next status of `statuses` (then 200). */
async function startReceiver(statuses: number[] = []): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = statuses.shift() ?? 200;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks/krypt`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const VALUE = 'whk-secret-value-8Jq2';

describe.each(['sqlite', 'postgres'] as const)('webhooks (%s)', (dialect) => {
  let server: TestServer;
  const owner = () => api(server, server.token);

  beforeAll(async () => {
    server = await startTestServer({ dialect, notifications: { allowPrivateWebhooks: true, pollMs: 50, retry: { baseMs: 50, maxMs: 100 } } });
    await owner().createProject('hooks');
  });
  afterAll(() => server?.close());

  it('delivers a signed secrets.changed event with key names, never values, and a secret shown once', async () => {
    const receiver = await startReceiver();
    try {
      const { webhook, secret } = await owner().createWebhook('hooks', { url: receiver.url, events: ['secrets.changed', 'member.joined'] });
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
      expect(webhook.events).toEqual(['member.joined', 'secrets.changed']);
      // The secret is not in the list, nor in the database as written.
      expect(JSON.stringify(await owner().listWebhooks('hooks'))).not.toContain(secret);
      expect(JSON.stringify(await server.db.selectFrom('webhooks').selectAll().execute())).not.toContain(secret.slice(6));

      const written = await owner().writeSecrets('hooks', 'staging', { set: { API_TOKEN: VALUE, REGION: 'eu-west-1' } });
      await until(() => receiver.received.length >= 1, { what: 'the secrets.changed delivery' });
      const [delivery] = receiver.received;
      const payload = new Webhook(secret).verify(delivery!.body, delivery!.headers as Record<string, string>) as { type: string; data: Record<string, unknown> };
      expect(payload.type).toBe('secrets.changed');
      expect(payload.data).toEqual({ project: 'hooks', environment: 'staging', revision: 'revision' in written ? written.revision : -1, keys: ['API_TOKEN', 'REGION'], keyCount: 2, by: 'admin@krypt.local' });
      expect(delivery!.headers['content-type']).toBe('application/json');
      expect(JSON.stringify(delivery)).not.toContain(VALUE);
      expect(JSON.stringify(delivery)).not.toContain('eu-west-1');
      // A body altered in transit no longer verifies.
      expect(() => new Webhook(secret).verify(delivery!.body.replace('staging', 'production'), delivery!.headers as Record<string, string>)).toThrow();

      // A member joining is the other subscribed event; a role change is not subscribed.
      await join(server, server.token, 'hooks', 'ana@example.com', 'member');
      await owner().setMemberRole('hooks', 'ana@example.com', 'viewer');
      await until(() => receiver.received.length >= 2, { what: 'the member.joined delivery' });
      await until(async () => (await server.db.selectFrom('outbox').select('id').where('status', '=', 'pending').execute()).length === 0, { what: 'nothing pending' });
      expect(receiver.received.map((r) => (JSON.parse(r.body) as { type: string }).type)).toEqual(['secrets.changed', 'member.joined']);

      const log = await owner().listWebhookDeliveries('hooks', webhook.id);
      expect(log.deliveries.map((d) => [d.event, d.status, d.attempts, d.responseStatus])).toEqual([
        ['member.joined', 'sent', 1, 200],
        ['secrets.changed', 'sent', 1, 200],
      ]);
      // Removing the webhook removes its deliveries (its log, and any not yet sent).
      await owner().deleteWebhook('hooks', webhook.id);
      expect(await server.db.selectFrom('outbox').select('id').where('webhook_id', '=', webhook.id).execute()).toHaveLength(0);
      await expect(owner().listWebhookDeliveries('hooks', webhook.id)).rejects.toMatchObject({ code: 'not_found' });
    } finally {
      await receiver.close();
    }
  });

  it('retries a failing endpoint with the same webhook-id until it answers 2xx, and logs each outcome', async () => {
    const receiver = await startReceiver([500, 503]);
    try {
      const { webhook, secret } = await owner().createWebhook('hooks', { url: receiver.url, events: ['secrets.changed'] });
      await owner().writeSecrets('hooks', 'development', { set: { RETRIED: 'x' } });
      await until(() => receiver.received.length >= 3, { what: 'three attempts' });
      await until(async () => (await owner().listWebhookDeliveries('hooks', webhook.id)).deliveries[0]?.status === 'sent', { what: 'the delivery settled' });
      const ids = new Set(receiver.received.map((r) => r.headers['webhook-id']));
      expect(ids.size).toBe(1);
      for (const r of receiver.received) expect(() => new Webhook(secret).verify(r.body, r.headers as Record<string, string>)).not.toThrow();
      const [entry] = (await owner().listWebhookDeliveries('hooks', webhook.id)).deliveries;
      expect(entry).toMatchObject({ event: 'secrets.changed', status: 'sent', attempts: 3, responseStatus: 200, lastError: null });
      expect(entry!.id).toBe([...ids][0]);

      // `webhooks test` sends webhook.test to this hook only.
      const { delivery } = await owner().testWebhook('hooks', webhook.id);
      expect(delivery).toMatchObject({ event: 'webhook.test', status: 'pending', attempts: 0 });
      await until(() => receiver.received.length >= 4, { what: 'the test delivery' });
      expect((JSON.parse(receiver.received[3]!.body) as { type: string }).type).toBe('webhook.test');
      await owner().deleteWebhook('hooks', webhook.id);
    } finally {
      await receiver.close();
    }
  });

  it('delivers to a host name (resolved once, the connection pinned to the address that was checked)', async () => {
    const receiver = await startReceiver();
    try {
      const { webhook } = await owner().createWebhook('hooks', { url: receiver.url.replace('127.0.0.1', 'localhost'), events: ['secrets.changed'] });
      await owner().testWebhook('hooks', webhook.id);
      await until(() => receiver.received.length >= 1, { what: 'the delivery to localhost' });
      expect(receiver.received[0]!.headers.host).toMatch(/^localhost:\d+$/);
      await owner().deleteWebhook('hooks', webhook.id);
    } finally {
      await receiver.close();
    }
  });

  it('keeps a webhook URL (often itself a credential, as Slack\'s are) out of the audit log every member reads', async () => {
    const url = 'http://127.0.0.1:9/services/T0AAA/B0BBB/xoxhooksecret42?token=qs-secret-99';
    const { webhook } = await owner().createWebhook('hooks', { url, events: ['secrets.changed'] });
    await owner().deleteWebhook('hooks', webhook.id);
    const viewerToken = await join(server, server.token, 'hooks', 'vi@example.com', 'viewer');
    const { entries } = await createApiClient({ apiUrl: server.url, token: viewerToken }).listAudit('hooks', { limit: 200 });
    const hookEntries = entries.filter((e) => e.action.startsWith('webhook.') && e.details.webhook === webhook.id);
    expect(hookEntries.map((e) => e.action).sort()).toEqual(['webhook.create', 'webhook.delete']);
    for (const e of hookEntries) expect(e.details).toMatchObject({ webhook: webhook.id, destination: 'http://127.0.0.1:9' });
    expect(JSON.stringify(entries)).not.toMatch(/xoxhooksecret42|qs-secret-99|T0AAA/);
  });

  it('lets only owners and admins manage webhooks', async () => {
    const memberToken = await join(server, server.token, 'hooks', 'mo@example.com', 'member');
    const member = createApiClient({ apiUrl: server.url, token: memberToken });
    await expect(member.listWebhooks('hooks')).rejects.toMatchObject({ code: 'forbidden' });
    await expect(member.createWebhook('hooks', { url: 'http://127.0.0.1:9/x', events: ['secrets.changed'] })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(owner().createWebhook('hooks', { url: 'ftp://example.com/x', events: ['secrets.changed'] })).rejects.toMatchObject({ code: 'validation' });
    await expect(owner().deleteWebhook('hooks', 'no-such-hook')).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('webhook destinations without --webhooks-allow-private (SSRF)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    await api(server, server.token).createProject('ssrf');
  });
  afterAll(() => server?.close());

  it.each(['http://127.0.0.1:8080/hook', 'http://localhost/hook', 'http://[::1]/hook', 'http://169.254.169.254/latest/meta-data', 'http://10.1.2.3/x', 'http://192.168.1.1/', 'http://[::ffff:127.0.0.1]/x', 'http://0.0.0.0/'])(
    'refuses %s',
    async (url) => {
      const err = await api(server, server.token).createWebhook('ssrf', { url, events: ['secrets.changed'] }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'validation' });
      expect((err as Error).message).toMatch(/loopback, private or link-local address: refused unless the server runs with --webhooks-allow-private/);
      expect(await server.db.selectFrom('webhooks').select('id').execute()).toHaveLength(0);
    },
  );

  it('checks who asks before resolving a destination: a member or an outsider learns nothing of the host', async () => {
    const memberToken = await join(server, server.token, 'ssrf', 'mem@example.com', 'member');
    const outsider = await server.createUser('out@example.com');
    for (const [token, code] of [[memberToken, 'forbidden'], [outsider, 'not_found']] as const) {
      for (const url of ['http://10.1.2.3/x', 'http://no-such-host.invalid/x']) {
        const err = await createApiClient({ apiUrl: server.url, token }).createWebhook('ssrf', { url, events: ['secrets.changed'] }).catch((e: unknown) => e);
        expect(err, url).toMatchObject({ code });
        expect((err as Error).message, url).not.toMatch(/resolve|10\.1\.2\.3|private/);
      }
    }
  });

  it('does not name the internal address a host resolves to', async () => {
    const err = await api(server, server.token).createWebhook('ssrf', { url: 'http://localhost:9/x', events: ['secrets.changed'] }).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      'the webhook host localhost resolves to a loopback, private or link-local address: refused unless the server runs with --webhooks-allow-private',
    );
  });

  it('classifies addresses: internal ranges are refused, public ones are not', () => {
    for (const a of ['127.0.0.1', '10.0.0.1', '172.16.5.4', '192.168.0.1', '169.254.1.1', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:10.0.0.1', '224.0.0.1']) {
      expect(isInternalAddress(a), a).toBe(true);
    }
    for (const a of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect(isInternalAddress(a), a).toBe(false);
  });
});
