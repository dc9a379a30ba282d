import { randomUUID } from 'node:crypto';
import type { ApiKeyInfo, MeResponse } from '../../contract/index.js';
import { generateApiToken } from '../crypto/api-token.js';
import { findApiKey, insertApiKey, listApiKeys, revokeApiKey, type ApiKeyRow } from '../store/api-keys-store.js';
import type { Executor } from '../store/schema.js';
import { ServiceError } from './service-error.js';
import type { AuthContext, ServiceDeps } from './service-deps.js';

/** Maps a stored key to its public description (never the hash). */
export function toApiKeyInfo(row: ApiKeyRow): ApiKeyInfo {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

/** Creates and stores a new key for a user; the token is returned here and never again. */
export async function issueApiKey(
  db: Executor,
  userId: string,
  name: string,
  now: Date,
  expiresInSeconds?: number,
): Promise<{ key: ApiKeyInfo; token: string }> {
  const { token, hash, prefix } = generateApiToken();
  const row: ApiKeyRow = {
    id: randomUUID(),
    user_id: userId,
    name,
    prefix,
    hash,
    created_at: now.toISOString(),
    expires_at: expiresInSeconds ? new Date(now.getTime() + expiresInSeconds * 1000).toISOString() : null,
    revoked_at: null,
    last_used_at: null,
  };
  await insertApiKey(db, row);
  return { key: toApiKeyInfo(row), token };
}

/** Creates the service for the caller's own identity and personal API keys. */
export function createApiKeysService(deps: ServiceDeps) {
  async function ownKey(auth: AuthContext, id: string): Promise<ApiKeyRow> {
    const row = await findApiKey(deps.db, auth.user.id, id === 'current' ? auth.keyId : id);
    if (!row) throw new ServiceError('not_found', `API key "${id}" not found`);
    return row;
  }
  return {
    /** Who the caller is and which key they used. */
    async me(auth: AuthContext): Promise<MeResponse> {
      return { user: auth.user, key: toApiKeyInfo(await ownKey(auth, 'current')) };
    },
    /** The caller's keys, prefix only. */
    async list(auth: AuthContext): Promise<{ keys: ApiKeyInfo[] }> {
      return { keys: (await listApiKeys(deps.db, auth.user.id)).map(toApiKeyInfo) };
    },
    /** Issues a new personal key for the caller. */
    async create(auth: AuthContext, body: { name: string; expiresInSeconds?: number | undefined }) {
      return issueApiKey(deps.db, auth.user.id, body.name, deps.now(), body.expiresInSeconds);
    },
    /** Revokes one of the caller's keys (`current` = the key making the request); idempotent. */
    async revoke(auth: AuthContext, id: string): Promise<void> {
      const row = await ownKey(auth, id);
      await revokeApiKey(deps.db, row.id, deps.now().toISOString());
    },
  };
}
export type ApiKeysService = ReturnType<typeof createApiKeysService>;
