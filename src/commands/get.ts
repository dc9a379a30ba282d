import { Command } from '@oclif/core';
import { createCliDeps } from '../cli/deps.js';
import { GET_FLAGS } from '../cli/hot/flag-specs.js';
import { main } from '../cli/hot/main.js';
import { toOclifFlags } from '../cli/hot/oclif-flags.js';

// bin/run.js runs `krypt get` without oclif (src/cli/hot); this class gives it help, manifest and
// README entries from the same flag definitions, and runs the same code when oclif dispatches.
export default class Get extends Command {
  static override description = 'Print secret values: one per line, in the order asked (raw, for `$(krypt get KEY)`).';
  static override examples = [
    'DATABASE_URL=$(<%= config.bin %> get DATABASE_URL)',
    '<%= config.bin %> get -n API_KEY | pbcopy',
    '<%= config.bin %> get A B --json',
  ];
  static override strict = false;
  static override usage = 'get KEY... [-n] [--json]';
  static override flags = toOclifFlags(GET_FLAGS);

  async run(): Promise<void> {
    // Parsing happens in main(), with the same parser as the start-up path.
    this.parsed = true;
    const code = await main('get', this.argv, createCliDeps());
    if (code !== 0) this.exit(code);
  }
}
