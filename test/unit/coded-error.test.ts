import { describe, expect, it } from 'vitest';
import { toKryptError } from '../../src/cli/pipeline.js';
import { CodedError, EXIT_CODES } from '../../src/contract/index.js';
import { KryptError } from '../../src/lib/errors.js';
import { MaintenanceError, ServerStartupError } from '../../src/server/entry/index.js';
import { RotationIntegrityError } from '../../src/server/services/rotation-service.js';
import { ServiceError } from '../../src/server/services/service-error.js';

// One coded error type (src/contract/coded-error.ts) for the CLI and the server: the CLI recognises
// the server's errors by instanceof and renders their code, message and hint unchanged.

describe('the shared coded error', () => {
  it('is the base of the CLI error and of every server error users see', () => {
    const errors = [
      new KryptError('usage', 'm', { hint: 'h' }),
      new ServerStartupError('insecure_host', 'm', 'h'),
      new MaintenanceError('backup_exists', 'm', 'h'),
      new RotationIntegrityError('secret A'),
      new ServiceError('forbidden', 'm'),
    ];
    for (const err of errors) expect(err).toBeInstanceOf(CodedError);
    expect(errors.map((e) => e.name)).toEqual(['KryptError', 'ServerStartupError', 'MaintenanceError', 'RotationIntegrityError', 'ServiceError']);
  });

  it('maps its kind to the exit code family', () => {
    expect(new CodedError('x', 'm').exitCode).toBe(1);
    expect(EXIT_CODES).toEqual({ local: 1, remote: 2, auth: 4, cancelled: 130 });
    expect(new KryptError('x', 'm', { kind: 'auth' }).exitCode).toBe(4);
    expect(new ServiceError('unauthorized', 'm').kind).toBe('auth');
    expect(new ServiceError('forbidden', 'm').kind).toBe('auth');
    expect(new ServiceError('conflict', 'm').kind).toBe('remote');
  });

  it('reaches the CLI with its code, message and hint', () => {
    const startup = toKryptError(new ServerStartupError('insecure_host', 'refusing to listen', 'listen on 127.0.0.1'));
    expect(startup).toBeInstanceOf(KryptError);
    expect({ code: startup.code, message: startup.message, hint: startup.hint, exit: startup.exitCode }).toEqual({
      code: 'insecure_host',
      message: 'refusing to listen',
      hint: 'listen on 127.0.0.1',
      exit: 1,
    });
    const rotation = toKryptError(new RotationIntegrityError('secret A'));
    expect(rotation.code).toBe('value_integrity');
    expect(rotation.hint).toMatch(/^nothing was changed/);
    expect(toKryptError(new MaintenanceError('database_in_use', 'in use', 'stop it'))).toMatchObject({ code: 'database_in_use', hint: 'stop it' });
  });

  it('is recognised by type, not by shape', () => {
    const lookalike = Object.assign(new Error('looks coded'), { code: 'EACCES', hint: 'a string' });
    expect(toKryptError(lookalike)).toMatchObject({ code: 'unexpected', message: 'looks coded' });
  });
});
