// The command tree's topics (`krypt members ...`) and what each is for: help lists them, and a topic
// alone (`krypt members`) shows its commands.
export const TOPICS: Readonly<Record<string, string>> = {
  'cache': "The CLI's encrypted offline copies of environments.",
  'change-requests': 'Review production changes proposed by members (alias: cr).',
  'invites': 'Accept invitations with the account you are logged in as.',
  'keys': 'Personal API keys and read-only service tokens for CI.',
  'members': 'Manage who belongs to a project and with which role.',
  'projects': 'Create, list and delete projects.',
  'secrets': 'Inspect secrets without printing their values (and pull/push, as aliases).',
  'server': 'Run and administer the Krypt API server.',
  'webhooks': "Signed webhooks that tell other systems about a project's changes (never values).",
};

/** Other names of topics: `krypt cr list` is `krypt change-requests list`. */
export const TOPIC_ALIASES: Readonly<Record<string, string>> = { cr: 'change-requests' };

/** The first line of `krypt --help`. */
export const CLI_DESCRIPTION = 'Krypt: a team secrets manager. Encrypted environment variables on a self-hosted server, handed to programs at run time.';
