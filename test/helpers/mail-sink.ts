import { simpleParser } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

// A real SMTP server on 127.0.0.1 that keeps every message it accepts (raw and parsed), for tests
// of the emails Krypt sends. It can be taken down and brought back on the same port.

export interface ReceivedMail {
  to: string[];
  from: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  /** The whole message as it arrived (headers and encoded bodies). */
  raw: string;
}

export interface MailSink {
  port: number;
  url: string;
  mails: ReceivedMail[];
  /** Stops accepting connections (the port is free until `start`). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a sink; `options` go to smtp-server (the default: plain SMTP, any or no login accepted). */
export async function startMailSink(options: SMTPServerOptions = {}): Promise<MailSink> {
  const mails: ReceivedMail[] = [];
  const make = () =>
    new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      ...options,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          simpleParser(raw).then(
            (parsed) => {
              mails.push({
                to: session.envelope.rcptTo.map((r) => r.address),
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                subject: parsed.subject ?? '',
                text: parsed.text ?? '',
                html: typeof parsed.html === 'string' ? parsed.html : '',
                messageId: parsed.messageId ?? '',
                raw,
              });
              callback();
            },
            (err: Error) => callback(err),
          );
        });
      },
    });
  let server = make();
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server.server.address() as AddressInfo).port;
        resolve();
      });
    });
  await listen();
  const stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return {
    get port() {
      return port;
    },
    get url() {
      return `smtp://127.0.0.1:${port}`;
    },
    mails,
    stop,
    async start() {
      server = make();
      await listen();
    },
    close: stop,
  };
}
