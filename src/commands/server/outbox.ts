import { defineCommand, flag } from '../../cli/command.js';
import { renderTable } from '../../cli/render.js';
import { resolveStorage, storageFlags } from '../../cli/storage.js';
import type { OutboxReport } from '../../server/entry/index.js';
import { serverEntry } from './entry.js';

export default defineCommand({
  id: 'server:outbox',
  description: [
    'Show the email and webhook deliveries not yet sent: pending ones (with their next attempt) and failed ones (with the',
    'last error), read straight from the database. No master key is needed: the messages stay encrypted, only',
    'recipients, topics and states are shown. --retry-failed puts failed deliveries back in line; a running server sends',
    'them within seconds.',
  ].join('\n'),
  examples: ['krypt server outbox --data-dir /var/lib/krypt', 'krypt server outbox --data-dir /var/lib/krypt --retry-failed'],
  flags: {
    ...storageFlags,
    'retry-failed': flag.boolean({ description: 'put every failed delivery back in line first' }),
    limit: flag.integer({ description: 'list at most this many deliveries (default 100)', min: 1, max: 10_000 }),
  },
  async run(ctx, { flags }): Promise<OutboxReport> {
    const { inspectOutbox } = await serverEntry();
    const database = resolveStorage(flags, ctx.deps.env);
    const report = await inspectOutbox(database, { retryFailed: flags['retry-failed'], ...(flags.limit ? { limit: flags.limit } : {}) });
    if (flags['retry-failed']) ctx.say(`Put ${report.retried} failed deliveries back in line.`);
    const { pending, failed, sent } = report.counts;
    ctx.say(`Outbox: ${pending} pending, ${failed} failed, ${sent} sent.`);
    if (report.unsent.length > 0) {
      const rows = report.unsent.map((d) => [d.status, d.channel, d.topic, d.recipient, String(d.attempts), d.nextAttemptAt ?? '', d.lastError ?? '']);
      ctx.print(renderTable(['status', 'channel', 'topic', 'recipient', 'attempts', 'next attempt', 'last error'], rows, Boolean(ctx.deps.stdout.isTTY)));
    }
    return report;
  },
});
