import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient } from '../../src/lib/api/client.js';
import { DEFAULT_ADMIN_EMAIL } from '../../src/contract/constants.js';
import { startMailSink, type MailSink, type ReceivedMail } from '../helpers/mail-sink.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { until } from '../helpers/until.js';

// Email notifications through a real SMTP server on 127.0.0.1 (smtp-server): every message the
// product promises arrives once, to the right person, with the right content, and none carries a
// value or an API key. Delivery goes through the transactional outbox.

const OWNER = DEFAULT_ADMIN_EMAIL;
const PUBLIC = 'https://krypt.example.com';
const VALUES = ['sk_live_first_value_7d1f', 'proposed-value-Q9x2', 'second-proposal-Z3k8', 'approved_but_secret_Mm41'];

describe.each(['sqlite', 'postgres'] as const)('email notifications (%s)', (dialect) => {
  let sink: MailSink;
  let server: TestServer;
  const tokens: string[] = [];
  const owner = () => createApiClient({ apiUrl: server.url, token: server.token });
  const as = (token: string) => createApiClient({ apiUrl: server.url, token });
  const mailsTo = (to: string) => sink.mails.filter((m) => m.to.includes(to));
  const waitForMails = (n: number, what: string) => until(() => sink.mails.length >= n, { what: `${what} (${sink.mails.length} of ${n} emails so far)` });

  beforeAll(async () => {
    sink = await startMailSink();
    server = await startTestServer({
      dialect,
      smtp: { url: sink.url, from: 'Krypt <krypt@example.com>', insecure: true },
      notifications: { publicUrl: PUBLIC, pollMs: 100, retry: { baseMs: 50, maxMs: 200 } },
    });
    tokens.push(server.token);
  });

  afterAll(async () => {
    await server?.close();
    await sink?.close();
  });

  it('sends the invite, key, change-request, decision, ownership and removal emails to the right people, once each', async () => {
    await owner().createProject('shop');
    await owner().writeSecrets('shop', 'production', { set: { STRIPE_KEY: VALUES[0]! } });

    // An invite: to the invitee, with the command and the dashboard link carrying the one-time code.
    const invited = await owner().createInvite('shop', { email: 'ana@example.com', role: 'member' });
    await waitForMails(1, 'the invite');
    const [invite] = mailsTo('ana@example.com');
    expect(invite!.from).toBe('krypt@example.com');
    expect(invite!.subject).toBe('You are invited to the Krypt project shop');
    expect(invite!.text).toContain(`${OWNER} invited you to the project "shop" as member.`);
    expect(invite!.text).toContain(`krypt login --invite ${invited.code} --api-url ${PUBLIC}`);
    expect(invite!.text).toContain(`${PUBLIC}/invite#code=${invited.code}`);
    expect(invite!.html).toContain(`<a href="${PUBLIC}/invite#code=${invited.code}">`);
    const ana = await createApiClient({ apiUrl: server.url }).redeemInvite(invited.code, 'Ana');
    tokens.push(ana.token);

    // A new API key on the owner's account: to the owner, naming the key, never its token.
    const key = await owner().createApiKey({ name: 'ci deploy' });
    tokens.push(key.token);
    await waitForMails(2, 'the new-key email');
    const [keyMail] = mailsTo(OWNER);
    expect(keyMail!.subject).toBe('New Krypt API key on your account');
    expect(keyMail!.text).toContain(`A personal API key named "ci deploy" (${key.key.prefix}…) was created on your account.`);

    // A Member's production write is held as a change request: the owner hears, with key names.
    const held = await as(ana.token).writeSecrets('shop', 'production', { set: { STRIPE_KEY: VALUES[1]!, NEW_FLAG: 'on' } });
    expect('changeRequest' in held).toBe(true);
    await waitForMails(3, 'the change-request email');
    const [review] = mailsTo(OWNER).filter((m) => m.subject.includes('needs review'));
    expect(review!.subject).toBe('[shop] Change request #1 for production needs review');
    expect(review!.text).toContain('ana@example.com proposes a change to production in "shop": NEW_FLAG, STRIPE_KEY.');
    expect(review!.text).toContain(`${PUBLIC}/projects/shop/change-requests/1`);

    // A rejection, with its reason, to the requester.
    await owner().rejectChangeRequest('shop', 1, 'use the restricted key');
    await waitForMails(4, 'the rejection email');
    const [rejected] = mailsTo('ana@example.com').filter((m) => m.subject.includes('#1'));
    expect(rejected!.subject).toBe('[shop] Change request #1 was rejected');
    expect(rejected!.text).toContain(`${OWNER} rejected your change request #1 to production in "shop" (NEW_FLAG, STRIPE_KEY).`);
    expect(rejected!.text).toContain('Reason: use the restricted key');

    // An approval, to the requester.
    await as(ana.token).writeSecrets('shop', 'production', { set: { STRIPE_KEY: VALUES[2]! } });
    await waitForMails(5, 'the second change-request email');
    await owner().approveChangeRequest('shop', 2);
    await waitForMails(6, 'the approval email');
    expect(mailsTo('ana@example.com').map((m) => m.subject)).toContain('[shop] Change request #2 was approved');

    // Ownership moves to bob: both hear. Then bob removes ana: ana hears.
    const bobInvite = await owner().createInvite('shop', { email: 'bob@example.com', role: 'admin' });
    const bob = await createApiClient({ apiUrl: server.url }).redeemInvite(bobInvite.code, 'Bob');
    tokens.push(bob.token);
    await owner().writeSecrets('shop', 'staging', { set: { DB_PASSWORD: VALUES[3]! } });
    await owner().transferOwnership('shop', 'bob@example.com');
    await as(bob.token).removeMember('shop', 'ana@example.com');
    await waitForMails(10, 'the ownership and removal emails');
    expect(mailsTo('bob@example.com').map((m) => m.subject)).toEqual(['You are invited to the Krypt project shop', '[shop] You now own the Krypt project shop']);
    expect(mailsTo(OWNER).map((m) => m.subject)).toContain('[shop] Ownership of shop transferred to bob@example.com');
    const removed = mailsTo('ana@example.com').find((m) => m.subject.includes('removed'));
    expect(removed!.subject).toBe('[shop] You were removed from the Krypt project shop');
    expect(removed!.text).toContain('bob@example.com removed you from "shop".');

    // Settled: no further email comes, each arrived once (one Message-ID per delivery), and the
    // outbox no longer holds the messages (an invite's code was in one).
    await until(async () => (await server.db.selectFrom('outbox').select('id').where('status', '!=', 'sent').execute()).length === 0, { what: 'every delivery sent' });
    expect(sink.mails).toHaveLength(10);
    expect(new Set(sink.mails.map((m) => m.messageId)).size).toBe(10);
    const rows = await server.db.selectFrom('outbox').select(['id', 'payload', 'attempts']).execute();
    expect(rows).toHaveLength(10);
    expect(rows.every((r) => r.payload === '' && r.attempts === 1)).toBe(true);
    expect(sink.mails.map((m) => m.messageId).sort()).toEqual(rows.map((r) => `<${r.id}@krypt.outbox>`).sort());

    // No value and no API key in any message, headers and encodings included; each invite code
    // only in its own invitee's email.
    for (const mail of sink.mails) assertNoSecrets(mail, [...VALUES, ...tokens]);
    for (const mail of sink.mails.filter((m) => m.raw.includes('kinv_'))) expect(mail.subject).toBe('You are invited to the Krypt project shop');
  });

  it('stores no email for an event whose transaction fails (an invite refused with 409)', async () => {
    await owner().createProject('solo');
    const before = sink.mails.length;
    const rowsBefore = (await server.db.selectFrom('outbox').select('id').execute()).length;
    await expect(owner().createInvite('solo', { email: OWNER, role: 'member' })).rejects.toMatchObject({ code: 'conflict' });
    expect((await server.db.selectFrom('outbox').select('id').execute()).length).toBe(rowsBefore);
    expect(sink.mails.length).toBe(before);
  });
});

describe('email through an SMTP outage', () => {
  let sink: MailSink;
  let server: TestServer;

  beforeAll(async () => {
    sink = await startMailSink();
    server = await startTestServer({
      smtp: { url: sink.url, from: 'krypt@example.com', insecure: true },
      notifications: { pollMs: 50, retry: { baseMs: 50, maxMs: 100 } },
    });
  });

  afterAll(async () => {
    await server?.close();
    await sink?.close();
  });

  it('keeps retrying while the SMTP server is down and delivers every message exactly once when it is back', async () => {
    const owner = createApiClient({ apiUrl: server.url, token: server.token });
    await owner.createProject('outage');
    await sink.stop();
    for (const who of ['a', 'b', 'c']) await owner.createInvite('outage', { email: `${who}@example.com`, role: 'viewer' });
    // Every delivery has failed at least twice (connection refused) and is still pending.
    await until(
      async () => {
        const rows = await server.db.selectFrom('outbox').select(['status', 'attempts', 'last_error']).execute();
        return rows.length === 3 && rows.every((r) => r.status === 'pending' && r.attempts >= 2 && /ECONNREFUSED|connect/i.test(r.last_error ?? ''));
      },
      { what: 'three deliveries retried while SMTP is down' },
    );
    await sink.start();
    await until(() => sink.mails.length >= 3, { what: 'the three invites after SMTP came back' });
    await until(async () => (await server.db.selectFrom('outbox').select('id').where('status', '=', 'sent').execute()).length === 3, { what: 'three deliveries settled' });
    expect(sink.mails.map((m) => m.to[0]).sort()).toEqual(['a@example.com', 'b@example.com', 'c@example.com']);
    // No --public-url: an invite's links are this server as the inviter reached it.
    for (const mail of sink.mails) expect(mail.text).toMatch(new RegExp(`krypt login --invite kinv_\\S+ --api-url ${server.url}\n[\\s\\S]*${server.url}/invite#code=kinv_`));
    expect(new Set(sink.mails.map((m) => m.messageId)).size).toBe(3);
  });
});

describe('links in emails without --public-url', () => {
  it('puts no link in an email about another member\'s action (its Host is the caller\'s to choose)', async () => {
    const sink = await startMailSink();
    const server = await startTestServer({ smtp: { url: sink.url, from: 'krypt@example.com', insecure: true }, notifications: { pollMs: 50 } });
    try {
      const owner = createApiClient({ apiUrl: server.url, token: server.token });
      await owner.createProject('links');
      const { code } = await owner.createInvite('links', { email: 'mia@example.com', role: 'member' });
      const mia = await createApiClient({ apiUrl: server.url }).redeemInvite(code, 'Mia');
      // A request naming another Host, as a hostile member could send it.
      const res = await fetch(`${server.url}/v1/projects/links/environments/production/secrets`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${mia.token}`, 'content-type': 'application/json', host: 'evil.example' },
        body: JSON.stringify({ set: { A: '1' } }),
      });
      expect(res.status).toBe(202);
      await until(() => sink.mails.some((m) => m.subject.includes('needs review')), { what: 'the review email' });
      const review = sink.mails.find((m) => m.subject.includes('needs review'))!;
      expect(review.text).not.toMatch(/https?:\/\//);
      expect(review.html).not.toContain('<a ');
    } finally {
      await server.close();
      await sink.close();
    }
  });
});

describe('email refused by SMTP', () => {
  it('does not retry a recipient the SMTP server refuses (550), and lists it as failed', async () => {
    const sink = await startMailSink({
      onRcptTo(address, _session, callback) {
        if (address.address.startsWith('nobody')) callback(Object.assign(new Error('no such mailbox'), { responseCode: 550 }));
        else callback();
      },
    });
    const server = await startTestServer({ smtp: { url: sink.url, from: 'krypt@example.com', insecure: true }, notifications: { pollMs: 50, retry: { baseMs: 50 } } });
    try {
      const owner = createApiClient({ apiUrl: server.url, token: server.token });
      await owner.createProject('bounce');
      await owner.createInvite('bounce', { email: 'nobody@example.com', role: 'viewer' });
      await owner.createInvite('bounce', { email: 'somebody@example.com', role: 'viewer' });
      await until(async () => (await server.db.selectFrom('outbox').select('id').where('status', '!=', 'pending').execute()).length === 2, { what: 'both deliveries settled' });
      const rows = await server.db.selectFrom('outbox').select(['recipient', 'status', 'attempts', 'last_error']).orderBy('recipient').execute();
      expect(rows.map((r) => [r.recipient, r.status, r.attempts])).toEqual([
        ['nobody@example.com', 'failed', 1],
        ['somebody@example.com', 'sent', 1],
      ]);
      expect(rows[0]!.last_error).toMatch(/^SMTP refused the message: .*550/);
      expect(sink.mails.map((m) => m.to)).toEqual([['somebody@example.com']]);
    } finally {
      await server.close();
      await sink.close();
    }
  });

  it('requires STARTTLS: a server that does not offer it gets no message (and the error says why)', async () => {
    const sink = await startMailSink();
    const server = await startTestServer({ smtp: { url: sink.url, from: 'krypt@example.com', insecure: false }, notifications: { pollMs: 50, retry: { baseMs: 50, maxMs: 100 } } });
    try {
      const owner = createApiClient({ apiUrl: server.url, token: server.token });
      await owner.createProject('plain');
      await owner.createInvite('plain', { email: 'ana@example.com', role: 'viewer' });
      await until(async () => (await server.db.selectFrom('outbox').select('last_error').where('attempts', '>=', 1).execute()).length === 1, { what: 'one attempt' });
      const [row] = await server.db.selectFrom('outbox').select(['status', 'last_error']).execute();
      expect(row!.status).toBe('pending');
      expect(row!.last_error).toMatch(/STARTTLS/);
      expect(sink.mails).toHaveLength(0);
    } finally {
      await server.close();
      await sink.close();
    }
  });
});

/** Fails naming the secret when any part of the message (raw, decoded text or HTML) contains it. */
function assertNoSecrets(mail: ReceivedMail, secrets: readonly string[]): void {
  for (const secret of secrets) {
    for (const [part, text] of [['raw', mail.raw], ['text', mail.text], ['html', mail.html], ['subject', mail.subject]] as const) {
      expect(text.includes(secret), `"${mail.subject}" (${part}) contains a secret: ${secret.slice(0, 12)}…`).toBe(false);
    }
  }
}
