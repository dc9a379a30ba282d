import { CodedError } from '../../contract/index.js';

export type ServerStartupCode =
  | 'master_key_in_env'
  | 'master_key_invalid'
  | 'master_key_file'
  | 'master_key_mismatch'
  | 'not_initialised'
  | 'already_initialised'
  | 'insecure_host'
  | 'tls_file'
  | 'tls_invalid'
  | 'trusted_proxy'
  | 'invalid_email';

/** Why the server could not be started or initialised; `code` is stable, `hint` names the next step. */
export class ServerStartupError extends CodedError<ServerStartupCode> {
  constructor(code: ServerStartupCode, message: string, hint: string) {
    super(code, message, { hint });
    this.name = 'ServerStartupError';
  }
}
