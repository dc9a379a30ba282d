import { Args } from '@oclif/core';
import { KryptCommand } from '../../cli/base-command.js';
import { apiFlags } from '../../cli/flags.js';
import { openSession } from '../../cli/session.js';

export default class KeysRevoke extends KryptCommand<{ revoked: string }> {
  static override description = 'Revoke an API key or service token by id (from `krypt keys list`); it stops working at once.';
  static override args = { id: Args.string({ required: true, description: 'key id' }) };
  static override flags = { ...apiFlags };

  async run(): Promise<{ revoked: string }> {
    const { args, flags } = await this.parse(KeysRevoke);
    await openSession(this.deps, flags, 'keys revoke').client.revokeApiKey(args.id);
    this.say(`Revoked key ${args.id}.`);
    return { revoked: args.id };
  }
}
