import { Flags } from '@oclif/core';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { KryptCommand } from '../../cli/base-command.js';
import { resolveStorage, storageFlags } from '../../cli/storage.js';
import { DEFAULT_ADMIN_EMAIL, initInstance } from '../../server/main.js';

interface InitResult {
  masterKey?: string;
  masterKeyFile?: string;
  token: string;
  user: { id: string; email: string; name: string };
}

export default class ServerInit extends KryptCommand<InitResult> {
  static override description = [
    'Create a fresh instance: generates the master key (printed once, or written to --master-key-out with mode 0600)',
    'and the first user with an API key (printed once). Neither can be recovered later.',
  ].join('\n');
  static override examples = ['<%= config.bin %> server init --data-dir /var/lib/krypt --master-key-out /run/secrets/krypt-master-key --email you@example.com'];
  static override flags = {
    ...storageFlags,
    'master-key-out': Flags.string({ description: 'write the master key to this new file (0600) instead of printing it' }),
    email: Flags.string({ description: 'email of the first user', default: DEFAULT_ADMIN_EMAIL }),
    name: Flags.string({ description: 'name of the first user' }),
  };

  async run(): Promise<InitResult> {
    const { flags } = await this.parse(ServerInit);
    const database = resolveStorage(flags, this.deps.env);
    const out = flags['master-key-out'] ? resolve(this.deps.cwd, flags['master-key-out']) : undefined;
    const init = await initInstance({ database, email: flags.email, ...(flags.name ? { name: flags.name } : {}), warn: (message) => this.warn(message) });
    if (out) {
      try {
        writeFileSync(out, init.masterKey + '\n', { mode: 0o600, flag: 'wx' });
      } catch (err) {
        // The instance exists now; the key must not be lost, so show it rather than fail silently.
        this.deps.stderr.write(`Could not write ${out} (${(err as NodeJS.ErrnoException).code}); here is the master key instead:\n`);
        this.deps.stdout.write(`master-key: ${init.masterKey}\n`);
      }
    }
    this.say(`Initialised. First user: ${init.user.email}. Both keys below are shown once and cannot be recovered.`);
    if (!out) this.print(`master-key: ${init.masterKey}\n`);
    else this.say(`Master key written to ${out} (mode 0600).`);
    this.print(`api-key: ${init.token}\n`);
    this.say('Start the server with `krypt server start --master-key-file FILE ...`, then `krypt login --api-url URL`.');
    return { ...(out ? { masterKeyFile: out } : { masterKey: init.masterKey }), token: init.token, user: init.user };
  }
}
