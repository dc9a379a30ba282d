import { CodedError } from '../../contract/index.js';

// The refusals of `krypt server ...`: the shared coded error, always with a hint naming the next step.

export type ServerStartupCode =
  | 'master_key_in_env'
  | 'master_key_invalid'
  | 'master_key_file'
  | 'master_key_mismatch'
  | 'not_initialised'
  | 'already_initialised'
  | 'insecure_host'
  | 'insecure_metrics_host'
  | 'metrics_listen'
  | 'tls_file'
  | 'tls_invalid'
  | 'trusted_proxy'
  | 'invalid_sentry_dsn'
  | 'smtp_url'
  | 'smtp_password_in_url'
  | 'smtp_insecure'
  | 'smtp_from'
  | 'smtp_password_file'
  | 'smtp_ca_file'
  | 'public_url'
  | 'invalid_email';

export type MaintenanceCode =
  | 'not_initialised'
  | 'master_key_mismatch'
  | 'database_in_use'
  | 'incomplete_rotation'
  | 'audit_chain_broken'
  | 'backup_exists'
  | 'backup_unsupported';

/** A refused server command; `code` is stable and `hint` names the next step. */
class ServerCommandError<Code extends string> extends CodedError<Code> {
  constructor(code: Code, message: string, hint: string) {
    super(code, message, { hint });
  }
}

/** Why the server could not be started or initialised. */
export class ServerStartupError extends ServerCommandError<ServerStartupCode> {
  override name = 'ServerStartupError';
}

/** A refused maintenance operation (verify-audit, rotate-key, backup). */
export class MaintenanceError extends ServerCommandError<MaintenanceCode> {
  override name = 'MaintenanceError';
}
