import { defineCommand, flag } from '../cli/command.js';
import { contextFlags, offlineFlags } from '../cli/flags.js';
import { runCommand } from '../cli/run/run-command.js';

/** `krypt run -- CMD ARGS...`: the child gets the secrets in its environment; krypt exits with the child's code. */
export default defineCommand({
  id: 'run',
  description: [
    "Run a command with the environment's secrets in its environment.",
    "Exit code is the child's (128+n when killed by signal n). Secrets override inherited variables,",
    'except PATH, HOME, SHELL, USER and PWD (--allow-reserved); KRYPT_TOKEN never reaches the child.',
    'When the server is unreachable, an encrypted offline copy younger than --max-stale (24h) stands in.',
  ].join('\n'),
  examples: [
    'krypt run -- npm start',
    'krypt run --env production -- node server.js',
    "krypt run --command 'echo $PORT'",
    'krypt run --mask --only DATABASE_URL -- ./migrate.sh',
  ],
  usage: 'run [FLAGS] -- CMD [ARGS...]',
  flags: {
    ...contextFlags,
    command: flag.string({ char: 'c', description: 'run this string through your shell instead of CMD ARGS...' }),
    'preserve-env': flag.string({ optionalValue: true, description: 'inherited variables win over secrets: all of them, or only those named (--preserve-env=A,B)' }),
    'allow-reserved': flag.boolean({ description: 'let secrets override PATH, HOME, SHELL, USER and PWD' }),
    only: flag.string({ description: 'inject only these comma-separated keys' }),
    mask: flag.boolean({ description: "replace injected secret values in the child's output with *****" }),
    watch: flag.boolean({ description: 'restart the command when the environment changes on the server' }),
    'on-change': flag.string({ description: 'with --watch: restart (default) or signal:NAME (e.g. signal:SIGHUP)' }),
    ...offlineFlags,
    json: flag.boolean({ description: "krypt's own errors as JSON on stderr (the command's output is its own)", helpGroup: 'GLOBAL' }),
  },
  // Words before `--` are refused by run itself, with a hint about where the command goes.
  variadic: true,
  passthrough: true,
  output: 'self',
  run: ({ deps }, { flags, argv, rest }) => runCommand(deps, flags, argv, rest),
  exitCode: (code) => code,
});
