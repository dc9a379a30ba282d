// Plain constants of the contract, free of zod: `krypt run` and `krypt get` load this on their
// start-up path, where importing zod would cost ~80 ms.

/** The three fixed environments of every project, in their canonical order. */
export const ENVIRONMENTS = ['development', 'staging', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** Short names the CLI accepts for environments. */
export const ENVIRONMENT_ALIASES: Record<string, Environment> = {
  dev: 'development',
  stg: 'staging',
  prod: 'production',
};

export const ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const SLUG_PATTERN = /^[a-z0-9-]{1,64}$/;
export const KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const MAX_KEY_LENGTH = 256;
/** Values are UTF-8 strings of at most 64 KiB (counted in bytes). */
export const MAX_VALUE_BYTES = 64 * 1024;
/** The port `krypt server start` listens on unless told otherwise. */
export const DEFAULT_SERVER_PORT = 8420;
/** The first user of an instance made by `krypt server init` without --email. */
export const DEFAULT_ADMIN_EMAIL = 'admin@krypt.local';

/** Longest email address (RFC 5321 path limit). */
export const MAX_EMAIL_LENGTH = 254;
/**
 * Longest path parameter the contract allows, as sent (percent-encoded): an email of
 * MAX_EMAIL_LENGTH characters, each encoded as at most 3. The server's router must accept it.
 */
export const MAX_PATH_PARAM_LENGTH = 3 * MAX_EMAIL_LENGTH;
/** Most keys one bulk write may touch. */
export const MAX_KEYS_PER_WRITE = 20_000;

/** Resolves a CLI environment name or alias to its canonical name, or undefined. */
export function canonicalEnvironment(name: string): Environment | undefined {
  if ((ENVIRONMENTS as readonly string[]).includes(name)) return name as Environment;
  return ENVIRONMENT_ALIASES[name];
}

/** Header the CLI sends naming the command, recorded in the audit log. */
export const CLI_COMMAND_HEADER = 'x-krypt-command';

/** The SSE event name of the change stream (GET .../environments/:env/events); data: {"revision":N}. */
export const REVISION_EVENT = 'revision';
/** How often the change stream sends a `: ping` comment; a client hearing nothing for ~3x this reconnects. */
export const EVENTS_HEARTBEAT_MS = 15_000;

/**
 * Privileged variables: names that make a program load or run code chosen by whoever sets them
 * (preloaded libraries, interpreter start-up files and options, commands a tool runs). Only Owners
 * and Admins may write them, in every environment; `krypt run` names those it injects. Compared
 * case-insensitively (Windows environment names are). Certificate-trust variables
 * (NODE_EXTRA_CA_CERTS, SSL_CERT_FILE) are not listed: they change trust, not code.
 */
export const PRIVILEGED_VARIABLES: readonly string[] = [
  // Node.js
  'NODE_OPTIONS', 'NODE_PATH', 'NODE_REPL_EXTERNAL_MODULE',
  // shells
  'BASH_ENV', 'ENV', 'PROMPT_COMMAND', 'PS4', 'SHELLOPTS', 'BASHOPTS', 'ZDOTDIR',
  // Python, Perl, Ruby, PHP, Lua, R
  'PYTHONSTARTUP', 'PYTHONPATH', 'PYTHONHOME', 'PYTHONUSERBASE', 'PYTHONBREAKPOINT', 'PYTHONWARNINGS',
  'PERL5OPT', 'PERL5LIB', 'PERLLIB', 'PERL5DB', 'RUBYOPT', 'RUBYLIB', 'PHPRC', 'PHP_INI_SCAN_DIR',
  'LUA_INIT', 'LUA_PATH', 'LUA_CPATH', 'R_PROFILE', 'R_PROFILE_USER', 'R_ENVIRON', 'R_ENVIRON_USER',
  // JVM and .NET
  'JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'JDK_JAVA_OPTIONS', 'JAVA_OPTS', 'CLASSPATH',
  'DOTNET_STARTUP_HOOKS', 'COR_ENABLE_PROFILING', 'COR_PROFILER', 'COR_PROFILER_PATH',
  'CORECLR_ENABLE_PROFILING', 'CORECLR_PROFILER', 'CORECLR_PROFILER_PATH',
  // git and the commands tools run for you
  'GIT_SSH', 'GIT_SSH_COMMAND', 'GIT_EXEC_PATH', 'GIT_ASKPASS', 'GIT_EDITOR', 'GIT_PAGER', 'GIT_EXTERNAL_DIFF',
  'GIT_PROXY_COMMAND', 'GIT_TEMPLATE_DIR', 'GIT_CONFIG', 'EDITOR', 'VISUAL', 'PAGER', 'MANPAGER', 'BROWSER',
  'SSH_ASKPASS', 'SUDO_ASKPASS', 'LESSOPEN', 'LESSCLOSE',
  // C libraries and OpenSSL
  'GCONV_PATH', 'OPENSSL_CONF', 'OPENSSL_ENGINES',
  // Windows: the command interpreter and the extensions a bare command name may run
  'COMSPEC', 'PATHEXT',
];

/** Prefixes of privileged families: the dynamic linkers' LD_* and DYLD_*, npm's npm_config_*, git's GIT_CONFIG_*, Lua's LUA_INIT_5_x. */
export const PRIVILEGED_PREFIXES: readonly string[] = ['LD_', 'DYLD_', 'NPM_CONFIG_', 'GIT_CONFIG_', 'LUA_INIT_'];

const PRIVILEGED = new Set(PRIVILEGED_VARIABLES);

/** Whether writing `name` needs the owner or admin role (see PRIVILEGED_VARIABLES). */
export function isPrivilegedVariable(name: string): boolean {
  const upper = name.toUpperCase();
  return PRIVILEGED.has(upper) || PRIVILEGED_PREFIXES.some((p) => upper.startsWith(p));
}

/** The dashboard's session cookie. */
export const SESSION_COOKIE = 'krypt_session';
/** The header a cookie-authenticated, state-changing request carries its CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';
/** The longest a sign-in link lives (seconds). */
export const MAX_SIGN_IN_LINK_SECONDS = 120;

/** Every action the audit log records (the dashboard's filter lists them). */
export const AUDIT_ACTIONS = [
  'project.create',
  'project.delete',
  'secrets.read',
  'secret.read',
  /** The environments compared (equality of values, never the values); details give the key count. */
  'secrets.compare',
  'secrets.write',
  'secret.rollback',
  'secret.history.reveal',
  'change_request.create',
  'change_request.approve',
  'change_request.reject',
  'change_request.cancel',
  'change_request.reveal',
  'member.invite',
  'member.invite_revoke',
  'member.join',
  'member.remove',
  'member.role',
  'member.transfer_ownership',
  'webhook.create',
  'webhook.delete',
  'key.create',
  'key.revoke',
  /** A browser session began (a sign-in link was swapped for it); details name the session, never the code. */
  'session.sign_in',
  /** The session's own user signed out of it. */
  'session.sign_out',
  /** One of the user's other sessions was ended. */
  'session.revoke',
  /** The server keyed a chain written before keying (instance-wide: no project). */
  'audit.chain_keyed',
] as const;

/** How much of an API key is public (stored in clear, listed by `krypt keys list`, shown by `whoami`). */
export const API_KEY_PREFIX_LENGTH = 12;

/** Roles an invite or set-role may grant; ownership moves only by transfer. */
export const ASSIGNABLE_ROLES = ['admin', 'member', 'viewer'] as const;

export const CHANGE_REQUEST_STATUSES = ['pending', 'approved', 'rejected', 'cancelled'] as const;

/** The events a webhook may subscribe to. */
export const WEBHOOK_EVENTS = [
  'secrets.changed',
  'change_request.created',
  'change_request.decided',
  'member.joined',
  'member.removed',
  'member.role_changed',
  'ownership.transferred',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** The type of the event `krypt webhooks test` sends (to one webhook, whatever its events). */
export const WEBHOOK_TEST_EVENT = 'webhook.test';
