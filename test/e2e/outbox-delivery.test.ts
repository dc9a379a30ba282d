import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient } from '../../src/lib/api/client.js';
import type { OutboxReport } from '../../src/server/entry/outbox.js';
import { krypt, makeSandbox, type CliResult } from '../helpers/cli.js';
import { startMailSink, type MailSink } from '../helpers/mail-sink.js';
import { createTestPgDatabase, type TestPgDatabase } from '../helpers/pg.js';
import { killServerProcesses, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { until } from '../helpers/until.js';

// The transactional outbox through real processes: `krypt server start` replicas on SQLite and on
// one PostgreSQL database, a real SMTP server (smtp-server) on 127.0.0.1, and `krypt server outbox`
// reading the same store. `server start` has no flags for the sender's timing: the defaults apply
// (a poll every 2 s, a first retry 5 s after a failure), so every wait is bounded by `until` and no
// scenario waits for more than one backoff. Needs `npm run build` (npm test does it first).

const FROM = 'krypt@example.com';
// A bound, never a wait: the longest expected path (a restart, the 5 s backoff, a 2 s poll) fits
// twice over, and it fires before vitest's 30 s test timeout, so a failure names what was missing.
const DELIVERY = { timeoutMs: 20_000 };

type Box = ReturnType<typeof makeSandbox>;
const boxes: Box[] = [];
function sandbox(): Box {
  const box = makeSandbox();
  boxes.push(box);
  return box;
}

/** `krypt server init` on this store; the first user's API key. */
async function initStore(box: Box, storage: string[]): Promise<string> {
  const init = await krypt(['server', 'init', ...storage, '--master-key-out', join(box.home, 'master.key')], { cwd: box.cwd, env: box.env });
  expect(init.code, init.stderr).toBe(0);
  return /^api-key: (krypt_\S+)$/m.exec(init.stdout)![1]!;
}

const startArgs = (box: Box, storage: string[], smtpUrl: string): string[] => [
  ...storage,
  '--master-key-file',
  join(box.home, 'master.key'),
  '--port',
  '0',
  '--smtp-url',
  smtpUrl,
  '--smtp-from',
  FROM,
  '--smtp-insecure',
];

const outboxCli = (box: Box, storage: string[], extra: string[] = []): Promise<CliResult> => krypt(['server', 'outbox', ...storage, ...extra], { cwd: box.cwd, env: box.env });

async function outboxReport(box: Box, storage: string[]): Promise<OutboxReport> {
  const res = await outboxCli(box, storage, ['--json']);
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(res.stdout) as OutboxReport;
}

/** Waits until `krypt server outbox --json` reports these counts (the sender settles a row just after the SMTP server accepted it). */
async function untilCounts(box: Box, storage: string[], counts: OutboxReport['counts'], what: string): Promise<OutboxReport> {
  let last: OutboxReport | undefined;
  await until(
    async () => {
      last = await outboxReport(box, storage);
      return last.counts.pending === counts.pending && last.counts.failed === counts.failed && last.counts.sent === counts.sent;
    },
    { ...DELIVERY, what: `${what} (outbox ${JSON.stringify(counts)}; last seen ${JSON.stringify(last?.counts)})` },
  );
  return last!;
}

const recipients = (sink: MailSink): string[] => sink.mails.flatMap((m) => m.to).sort();
const messageIds = (sink: MailSink): string[] => sink.mails.map((m) => m.messageId).sort();

afterAll(() => {
  killServerProcesses();
  for (const box of boxes) rmSync(box.home, { recursive: true, force: true });
});

describe('outbox: a server SIGKILLed between commit and send (SQLite)', () => {
  const box = sandbox();
  const storage = ['--data-dir', join(box.home, 'data')];
  const invitees = ['ana@example.com', 'bob@example.com', 'cy@example.com'];
  let sink: MailSink;
  let server: ServerProcess;
  let token: string;
  let ids: string[] = [];

  beforeAll(async () => {
    token = await initStore(box, storage);
    sink = await startMailSink();
    // Down from the start: nothing the first process stores can be sent before it dies.
    await sink.stop();
    server = await startServerProcess(startArgs(box, storage, sink.url), box.env);
  });

  afterAll(async () => {
    killServerProcesses();
    await sink?.close();
  });

  it('commits one pending email per invite, listed by `krypt server outbox --json` while the server runs', async () => {
    const owner = createApiClient({ apiUrl: server.url, token });
    await owner.createProject('crash');
    for (const email of invitees) await owner.createInvite('crash', { email, role: 'viewer' });

    // Each has had its first attempt (connection refused) and waits for its retry, so no attempt
    // is in flight when the process is killed (a killed attempt would hold its 60 s lease).
    let report: OutboxReport | undefined;
    await until(
      async () => {
        report = await outboxReport(box, storage);
        return report.unsent.length === 3 && report.unsent.every((d) => d.attempts >= 1);
      },
      { ...DELIVERY, what: `three attempted deliveries (last seen ${JSON.stringify(report?.unsent)})` },
    );
    expect(report!.counts).toEqual({ pending: 3, failed: 0, sent: 0 });
    expect(report!.unsent.map((d) => [d.status, d.channel, d.topic, d.recipient]).sort()).toEqual(invitees.map((r) => ['pending', 'email', 'invite', r]));
    for (const d of report!.unsent) {
      expect(d.lastError).toMatch(/ECONNREFUSED/);
      expect(d.nextAttemptAt).not.toBeNull();
    }
    ids = report!.unsent.map((d) => d.id);
    expect(sink.mails).toEqual([]);
  });

  it('after SIGKILL and a restart with the SMTP server back, every invite arrives exactly once', async () => {
    expect(ids).toHaveLength(3);
    server.child.kill('SIGKILL');
    expect(await server.exited).toBeNull();
    await sink.start();
    server = await startServerProcess(startArgs(box, storage, sink.url), box.env);

    await until(() => sink.mails.length >= 3, { ...DELIVERY, what: `three invites after the restart (${sink.mails.length} so far)` });
    const report = await untilCounts(box, storage, { pending: 0, failed: 0, sent: 3 }, 'three deliveries settled');
    expect(report.unsent).toEqual([]);
    // One message per recipient, and each is the stored delivery (its Message-ID is the row's id).
    expect(recipients(sink)).toEqual(invitees);
    expect(messageIds(sink)).toEqual(ids.map((id) => `<${id}@krypt.outbox>`).sort());
    expect(sink.mails.every((m) => m.from === FROM && m.subject === 'You are invited to the Krypt project crash')).toBe(true);
  });
});

describe('outbox: two replicas on one PostgreSQL database', () => {
  const box = sandbox();
  let pgDb: TestPgDatabase;
  let storage: string[];
  let sink: MailSink;
  let a: ServerProcess;
  let b: ServerProcess;
  let token: string;
  const first = Array.from({ length: 20 }, (_, i) => `user${String(i).padStart(2, '0')}@example.com`);
  const late = ['late0@example.com', 'late1@example.com', 'late2@example.com', 'late3@example.com'];

  beforeAll(async () => {
    pgDb = await createTestPgDatabase();
    storage = ['--database-url', pgDb.url];
    token = await initStore(box, storage);
    sink = await startMailSink();
    [a, b] = await Promise.all([startServerProcess(startArgs(box, storage, sink.url), box.env), startServerProcess(startArgs(box, storage, sink.url), box.env)]);
    await createApiClient({ apiUrl: a.url, token }).createProject('fleet');
  });

  afterAll(async () => {
    killServerProcesses();
    await sink?.close();
    await pgDb?.drop();
  });

  it('20 invites made at once, alternating between A and B, arrive exactly once each', async () => {
    // Concurrent: each replica's pass after its commit finds the other's rows due too, so both
    // contend for the same rows; only the conditional UPDATE's winner may send one.
    await Promise.all(first.map((email, i) => createApiClient({ apiUrl: (i % 2 === 0 ? a : b).url, token }).createInvite('fleet', { email, role: 'viewer' })));

    await until(() => sink.mails.length >= 20, { ...DELIVERY, what: `20 invites (${sink.mails.length} so far)` });
    await untilCounts(box, storage, { pending: 0, failed: 0, sent: 20 }, '20 deliveries settled');
    expect(sink.mails).toHaveLength(20);
    expect(recipients(sink)).toEqual(first);
    expect(new Set(messageIds(sink)).size).toBe(20);
  });

  it('invites stored through B just before it is SIGKILLed (SMTP down) are sent by A once SMTP is back', async () => {
    await sink.stop();
    const viaB = createApiClient({ apiUrl: b.url, token });
    for (const email of late) await viaB.createInvite('fleet', { email, role: 'viewer' });
    // Attempted once (refused) and waiting out the backoff: no attempt of B's is in flight.
    await until(
      async () => {
        const report = await outboxReport(box, storage);
        return report.unsent.length === late.length && report.unsent.every((d) => d.attempts >= 1);
      },
      { ...DELIVERY, what: 'the late invites attempted while SMTP is down' },
    );
    b.child.kill('SIGKILL');
    expect(await b.exited).toBeNull();
    await sink.start();

    await until(() => sink.mails.length >= 24, { ...DELIVERY, what: `the late invites from A (${sink.mails.length} of 24 so far)` });
    await untilCounts(box, storage, { pending: 0, failed: 0, sent: 24 }, '24 deliveries settled');
    expect(sink.mails).toHaveLength(24);
    expect(recipients(sink)).toEqual([...first, ...late].sort());
    expect(new Set(messageIds(sink)).size).toBe(24);
    expect(a.child.exitCode).toBeNull();
  });
});

describe('outbox: the SMTP password never comes from argv', () => {
  const box = sandbox();
  const storage = ['--data-dir', join(box.home, 'data')];
  const PASSWORD = 'pw-from-env-5Zq8';
  const auths: { username: string | null | undefined; password: string | null | undefined }[] = [];
  let sink: MailSink;
  let token: string;

  beforeAll(async () => {
    token = await initStore(box, storage);
    sink = await startMailSink({
      authOptional: false,
      // The relay is plain SMTP on loopback (--smtp-insecure): smtp-server refuses AUTH on a
      // connection without TLS unless told otherwise.
      allowInsecureAuth: true,
      onAuth(auth, _session, callback) {
        auths.push({ username: auth.username, password: auth.password });
        if (auth.username === 'mailer@example.com' && auth.password === PASSWORD) callback(null, { user: auth.username });
        else callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      },
    });
  });

  afterAll(async () => {
    killServerProcesses();
    await sink?.close();
  });

  const start = (args: string[], env: Record<string, string> = box.env): Promise<CliResult> =>
    krypt(['server', 'start', ...storage, '--master-key-file', join(box.home, 'master.key'), '--port', '0', ...args], { cwd: box.cwd, env, timeoutMs: 15_000 });

  it('refuses a password in --smtp-url, naming KRYPT_SMTP_PASSWORD and --smtp-password-file, without repeating it', async () => {
    const res = await start(['--smtp-url', `smtp://mailer:hunter2-in-argv@127.0.0.1:${sink.port}`, '--smtp-from', FROM, '--smtp-insecure']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('--smtp-url carries a password');
    expect(res.stderr).toContain('KRYPT_SMTP_PASSWORD');
    expect(res.stderr).toContain('--smtp-password-file');
    expect(res.stderr + res.stdout).not.toContain('hunter2');
    expect(res.stderr).not.toMatch(/listening on/);
  });

  it('refuses --smtp-insecure to a host that is not loopback', async () => {
    const res = await start(['--smtp-url', 'smtp://mail.example.com', '--smtp-from', FROM, '--smtp-insecure']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('refusing plain SMTP to mail.example.com');
    expect(res.stderr).toContain('loopback');
    expect(res.stderr).not.toMatch(/listening on/);
  });

  it('logs in to an SMTP server that requires AUTH with KRYPT_SMTP_PASSWORD from the environment', async () => {
    const server = await startServerProcess(startArgs(box, storage, `smtp://mailer%40example.com@127.0.0.1:${sink.port}`), { ...box.env, KRYPT_SMTP_PASSWORD: PASSWORD });
    const owner = createApiClient({ apiUrl: server.url, token });
    await owner.createProject('auth');
    await owner.createInvite('auth', { email: 'dee@example.com', role: 'viewer' });

    await until(() => sink.mails.length >= 1, { ...DELIVERY, what: `the invite through an authenticating SMTP server (logins seen: ${JSON.stringify(auths.map((x) => x.username))})` });
    expect(recipients(sink)).toEqual(['dee@example.com']);
    expect(auths).toEqual([{ username: 'mailer@example.com', password: PASSWORD }]);
    await untilCounts(box, storage, { pending: 0, failed: 0, sent: 1 }, 'the delivery settled');
    await server.stop();
  });
});

describe('outbox: `krypt server outbox --retry-failed`', () => {
  const box = sandbox();
  const storage = ['--data-dir', join(box.home, 'data')];
  const refused = new Set(['bounce@example.com']);
  let sink: MailSink;
  let token: string;
  let server: ServerProcess;

  beforeAll(async () => {
    token = await initStore(box, storage);
    sink = await startMailSink({
      onRcptTo(address, _session, callback) {
        if (refused.has(address.address)) callback(Object.assign(new Error('no such mailbox here'), { responseCode: 550 }));
        else callback();
      },
    });
    server = await startServerProcess(startArgs(box, storage, sink.url), box.env);
  });

  afterAll(async () => {
    killServerProcesses();
    await sink?.close();
  });

  it('lists a delivery the SMTP server refused (550) as failed, with its last error', async () => {
    const owner = createApiClient({ apiUrl: server.url, token });
    await owner.createProject('bounce');
    await owner.createInvite('bounce', { email: 'bounce@example.com', role: 'viewer' });
    await owner.createInvite('bounce', { email: 'fine@example.com', role: 'viewer' });
    await untilCounts(box, storage, { pending: 0, failed: 1, sent: 1 }, 'one delivery refused, one sent');

    const res = await outboxCli(box, storage);
    expect(res.code).toBe(0);
    expect(res.stderr).toBe('Outbox: 0 pending, 1 failed, 1 sent.\n');
    // Piped: tab-separated, no header; a failed delivery has no next attempt.
    const rows = res.stdout.split('\n').filter(Boolean).map((line) => line.split('\t'));
    expect(rows).toHaveLength(1);
    const [status, channel, topic, recipient, attempts, next, lastError] = rows[0]!;
    expect([status, channel, topic, recipient, attempts, next]).toEqual(['failed', 'email', 'invite', 'bounce@example.com', '1', '']);
    expect(lastError).toMatch(/^SMTP refused the message: .*550/);
    expect(lastError).toContain('no such mailbox here');
    expect(recipients(sink)).toEqual(['fine@example.com']);
  });

  it('puts it back in line; the running server then delivers it once', async () => {
    refused.clear();
    const res = await outboxCli(box, storage, ['--retry-failed']);
    expect(res.code).toBe(0);
    // Listed right after the UPDATE: the running server has at most just claimed it.
    expect(res.stderr).toMatch(/^Put 1 failed deliveries back in line\.\nOutbox: 1 pending, 0 failed, 1 sent\.\n$/);

    await until(() => sink.mails.length >= 2, { ...DELIVERY, what: 'the retried invite' });
    await untilCounts(box, storage, { pending: 0, failed: 0, sent: 2 }, 'the retried delivery settled');
    expect(recipients(sink)).toEqual(['bounce@example.com', 'fine@example.com']);
    const after = await outboxCli(box, storage);
    expect(after.stderr).toBe('Outbox: 0 pending, 0 failed, 2 sent.\n');
    expect(after.stdout).toBe('');
  });
});
