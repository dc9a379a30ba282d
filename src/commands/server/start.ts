import { Flags } from '@oclif/core';
import { KryptCommand } from '../../cli/base-command.js';
import { defineStorageFlags, resolveStorage } from '../../cli/storage.js';
import { readMasterKeyText } from '../../cli/prompt.js';
import { KryptError } from '../../lib/errors.js';
import {
  assertNoMasterKeyInEnv,
  DEFAULT_PORT,
  installShutdownHandlers,
  parseMasterKey,
  parseTrustedProxies,
  readMasterKeyFile,
  readTlsFiles,
  startDevServer,
  startServer,
} from '../../server/entry/index.js';

export default class ServerStart extends KryptCommand<void> {
  static override description = [
    'Run the Krypt API server until SIGTERM/SIGINT (in-flight requests finish, the database closes cleanly).',
    'The master key comes from --master-key-file, standard input, or a hidden prompt; never from the environment.',
    '--dev runs a throw-away instance (in-memory SQLite and key) and prints `export KRYPT_API_URL=...` and `export KRYPT_TOKEN=...`.',
  ].join('\n');
  static override examples = [
    'eval "$(<%= config.bin %> server start --dev --port 0)"',
    '<%= config.bin %> server start --data-dir /var/lib/krypt --master-key-file /run/secrets/krypt-master-key',
    '<%= config.bin %> server start --database-url postgres://krypt@db/krypt --master-key-file key.txt',
    '<%= config.bin %> server start --host 0.0.0.0 --tls-cert cert.pem --tls-key key.pem --data-dir /var/lib/krypt --master-key-file key.txt',
    '<%= config.bin %> server start --host 0.0.0.0 --behind-tls-proxy --trusted-proxy 10.0.0.5 --data-dir /var/lib/krypt --master-key-file key.txt',
  ];
  static override enableJsonFlag = false;
  static override flags = {
    dev: Flags.boolean({ description: 'throw-away dev instance: in-memory SQLite, random in-memory key, 127.0.0.1 only' }),
    host: Flags.string({ description: 'address to listen on (loopback only unless --behind-tls-proxy)', default: '127.0.0.1' }),
    port: Flags.integer({ description: 'port; 0 picks a free one', default: DEFAULT_PORT, min: 0, max: 65535 }),
    ...defineStorageFlags({ exclusive: ['dev'] }),
    'master-key-file': Flags.string({ description: 'file holding the master key (e.g. a mounted secret)', exclusive: ['dev'] }),
    'behind-tls-proxy': Flags.boolean({ description: 'allow a non-loopback --host: a TLS-terminating proxy fronts this server' }),
    'tls-cert': Flags.string({ description: 'PEM certificate chain: serve HTTPS (TLS 1.3 only)', dependsOn: ['tls-key'], exclusive: ['dev'] }),
    'tls-key': Flags.string({ description: 'PEM private key of --tls-cert', dependsOn: ['tls-cert'], exclusive: ['dev'] }),
    'trusted-proxy': Flags.string({
      description: 'proxy address or CIDR whose X-Forwarded-For/-Proto are trusted (repeatable, or a comma list); others are not',
      multiple: true,
      exclusive: ['dev'],
    }),
    'log-level': Flags.string({ options: ['fatal', 'error', 'warn', 'info', 'debug', 'trace'], default: 'info' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ServerStart);
    assertNoMasterKeyInEnv(this.deps.env);
    const logLevel = flags['log-level'] as 'info';
    if (flags.dev) {
      if (flags.host !== '127.0.0.1') {
        throw new KryptError('usage', '--dev listens on 127.0.0.1 only', { hint: 'drop --host, or run a real instance (`krypt server init`)' });
      }
      const dev = await startDevServer({ port: flags.port, logLevel });
      this.deps.stderr.write(`Krypt dev server listening on ${dev.url} (in-memory: everything is lost when it stops)\n`);
      this.deps.stdout.write(`export KRYPT_API_URL=${dev.url}\nexport KRYPT_TOKEN=${dev.token}\n`);
      return this.serveUntilSignal(dev);
    }
    const database = resolveStorage(flags, this.deps.env, 'pass --data-dir DIR (SQLite) or --database-url postgres://... (or use --dev)');
    const tls = flags['tls-cert'] && flags['tls-key'] ? readTlsFiles(flags['tls-cert'], flags['tls-key']) : undefined;
    const trustedProxies = parseTrustedProxies(flags['trusted-proxy'] ?? []);
    const masterKey = await this.masterKey(flags['master-key-file']);
    const server = await startServer({
      database,
      masterKey,
      host: flags.host,
      port: flags.port,
      behindTlsProxy: flags['behind-tls-proxy'],
      ...(tls ? { tls } : {}),
      trustedProxies,
      logLevel,
      warn: (message) => this.warn(message),
    });
    masterKey.fill(0);
    this.deps.stderr.write(`Krypt server listening on ${server.url}\n`);
    return this.serveUntilSignal(server);
  }

  private async masterKey(file: string | undefined): Promise<Buffer> {
    if (file) return readMasterKeyFile(file, (message) => this.warn(message));
    return parseMasterKey(await readMasterKeyText(this.deps));
  }

  private serveUntilSignal(server: { close(): Promise<void> }): Promise<void> {
    return new Promise((resolve, reject) => {
      installShutdownHandlers(server, (err) => {
        if (err) reject(err);
        else {
          this.deps.stderr.write('Krypt server stopped.\n');
          resolve();
        }
      });
    });
  }
}
