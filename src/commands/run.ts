import { Command } from '@oclif/core';
import { createCliDeps } from '../cli/deps.js';
import { RUN_FLAGS } from '../cli/hot/flag-specs.js';
import { main } from '../cli/hot/main.js';
import { toOclifFlags } from '../cli/hot/oclif-flags.js';

// bin/run.js runs `krypt run` without oclif (src/cli/hot); this class gives it help, manifest and
// README entries from the same flag definitions, and runs the same code when oclif dispatches.
export default class Run extends Command {
  static override description = [
    "Run a command with the environment's secrets in its environment.",
    "Exit code is the child's (128+n when killed by signal n). Secrets override inherited variables,",
    'except PATH, HOME, SHELL, USER and PWD (--allow-reserved); KRYPT_TOKEN never reaches the child.',
    'When the server is unreachable, an encrypted offline copy younger than --max-stale (24h) stands in.',
  ].join('\n');
  static override examples = [
    '<%= config.bin %> run -- npm start',
    '<%= config.bin %> run --env production -- node server.js',
    '<%= config.bin %> run --command "echo $PORT"',
    '<%= config.bin %> run --mask --only DATABASE_URL -- ./migrate.sh',
  ];
  static override strict = false;
  static override usage = 'run [FLAGS] -- CMD [ARGS...]';
  static override flags = toOclifFlags(RUN_FLAGS);

  async run(): Promise<void> {
    // Parsing happens in main(), with the same parser as the start-up path.
    this.parsed = true;
    const code = await main('run', this.argv, createCliDeps());
    if (code !== 0) this.exit(code);
  }
}
