import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { ApiKeyInfo, Environment, MeResponse } from '../../contract/index.js';
import { generateApiToken } from '../crypto/api-token.js';
import { findApiKey, insertApiKey, listApiKeys, revokeApiKey, type ApiKeyWithScope } from '../store/api-keys-store.js';
import type { DB, Executor } from '../store/schema.js';
import { authorize, requireProjectScope } from './access.js';
import { requirePersonalKey } from './policy.js';
import { ServiceError } from './service-error.js';
import { auditActor, type AuditEvent, type AuthContext, type ServiceDeps } from './service-deps.js';

/** Maps a stored key to its public description (never the hash). */
export function toApiKeyInfo(row: ApiKeyWithScope): ApiKeyInfo {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
    service:
      row.service_project_slug !== null && row.service_environment !== null
        ? { project: row.service_project_slug, environment: row.service_environment as Environment }
        : null,
  };
}

/** A service token's scope as stored: the project's id and slug and one environment. */
export interface ServiceTokenScope {
  projectId: string;
  projectSlug: string;
  environment: Environment;
}

/** Creates and stores a new key for a user; the token is returned here and never again. */
export async function issueApiKey(
  db: Executor,
  userId: string,
  name: string,
  now: Date,
  expiresInSeconds?: number,
  service?: ServiceTokenScope,
): Promise<{ key: ApiKeyInfo; token: string }> {
  const { token, hash, prefix } = generateApiToken();
  const row = {
    id: randomUUID(),
    user_id: userId,
    name,
    prefix,
    hash,
    created_at: now.toISOString(),
    expires_at: expiresInSeconds ? new Date(now.getTime() + expiresInSeconds * 1000).toISOString() : null,
    revoked_at: null,
    last_used_at: null,
    service_project_id: service?.projectId ?? null,
    service_environment: service?.environment ?? null,
  };
  await insertApiKey(db, row);
  return { key: toApiKeyInfo({ ...row, service_project_slug: service?.projectSlug ?? null }), token };
}

/** Told about a key revoked through this server, once the revocation has committed. */
export interface KeyRevocationListener {
  keyRevoked(keyId: string): void;
}

/**
 * Creates the service for the caller's own identity, personal API keys and service tokens;
 * `revocations` hears each revocation (the open change streams of that key end).
 */
export function createApiKeysService(deps: ServiceDeps, revocations: KeyRevocationListener = { keyRevoked: () => undefined }) {
  const transaction = <T>(fn: (trx: Transaction<DB>) => Promise<T>) => deps.db.transaction().execute(fn);

  async function ownKey(db: Executor, auth: AuthContext, id: string): Promise<ApiKeyWithScope> {
    const keyId = id === 'current' ? auth.keyId : id;
    if (keyId === null) throw new ServiceError('not_found', 'this request is signed in with a browser session, not an API key (see GET /v1/session)');
    const row = await findApiKey(db, auth.user.id, keyId);
    if (!row) throw new ServiceError('not_found', `API key "${id}" not found`);
    return row;
  }
  const keyAudit = (auth: AuthContext, action: 'key.create' | 'key.revoke', key: ApiKeyInfo, project: AuditEvent['project']): AuditEvent => ({
    ...auditActor(auth),
    action,
    project,
    environment: key.service?.environment ?? null,
    details: { keyId: key.id, name: key.name, service: key.service !== null },
  });

  return {
    /** Who the caller is and which key they used (service tokens may ask too). */
    async me(auth: AuthContext): Promise<MeResponse> {
      return { user: auth.user, key: toApiKeyInfo(await ownKey(deps.db, auth, 'current')) };
    },
    /** The caller's keys, prefix only (personal keys only). */
    async list(auth: AuthContext): Promise<{ keys: ApiKeyInfo[] }> {
      requirePersonalKey(auth.service);
      return { keys: (await listApiKeys(deps.db, auth.user.id)).map(toApiKeyInfo) };
    },
    /**
     * Issues a personal key, or with `service` a read-only token for one project and environment
     * (Owner/Admin: any environment; Member: development and staging).
     */
    async create(auth: AuthContext, body: { name: string; expiresInSeconds?: number | undefined; service?: { project: string; environment: Environment } | undefined }) {
      requirePersonalKey(auth.service);
      return transaction(async (trx) => {
        let scope: ServiceTokenScope | undefined;
        let project: AuditEvent['project'] = null;
        if (body.service) {
          const access = await requireProjectScope(trx, auth, body.service.project);
          authorize(access, 'create-service-token', body.service.environment);
          scope = { projectId: access.project.id, projectSlug: access.project.slug, environment: body.service.environment };
          project = access.audit;
        }
        const created = await issueApiKey(trx, auth.user.id, body.name, deps.now(), body.expiresInSeconds, scope);
        await deps.audit.record(trx, keyAudit(auth, 'key.create', created.key, project));
        await deps.outbox.enqueue(trx, {
          topic: 'api_key.created',
          to: auth.user.email,
          name: created.key.name,
          prefix: created.key.prefix,
          service: scope ? { project: scope.projectSlug, environment: scope.environment } : null,
          expiresAt: created.key.expiresAt,
        });
        return created;
      });
    },
    /** Revokes one of the caller's keys (`current` = the key making the request); idempotent. A service token may revoke only itself. */
    async revoke(auth: AuthContext, id: string): Promise<void> {
      if (auth.service && id !== 'current' && id !== auth.keyId) requirePersonalKey(auth.service);
      const keyId = await transaction(async (trx) => {
        const row = await ownKey(trx, auth, id);
        if (row.revoked_at !== null) return row.id;
        await revokeApiKey(trx, row.id, deps.now().toISOString());
        const info = toApiKeyInfo(row);
        const project = row.service_project_id && row.service_project_slug ? { id: row.service_project_id, slug: row.service_project_slug } : null;
        await deps.audit.record(trx, keyAudit(auth, 'key.revoke', info, project));
        return row.id;
      });
      revocations.keyRevoked(keyId);
    },
  };
}
export type ApiKeysService = ReturnType<typeof createApiKeysService>;
