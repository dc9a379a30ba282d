import { CodedError } from '../../contract/index.js';
import { computeKeyCheck, decryptValue, encryptValue, IntegrityError, type DerivedKeys, type ValueContext } from '../crypto/value-crypto.js';
import { META_KEY_CHECK, setMeta } from '../store/meta-store.js';
import type { Executor } from '../store/schema.js';
import { listOutboxPayloads, listWebhookSecrets, updateOutboxPayload, updateWebhookSecret } from '../store/outbox-store.js';
import { proposedValueContext } from './change-request-records.js';
import { outboxContext, webhookSecretContext } from './outbox-service.js';

// Master key rotation inside the caller's transaction: every stored value (current secrets, every
// history version, every change-request value, every outbox message and webhook signing secret) is verified under the old keys, re-encrypted with a
// fresh IV under the new keys with the same context binding, and the key check is replaced.

/** How many stored values a rotation re-encrypted, per table. */
export interface RotationCounts {
  secrets: number;
  versions: number;
  changeRequestValues: number;
  /** Outbox messages (emails and webhook bodies) and webhook signing secrets. */
  deliveries: number;
  webhookSecrets: number;
}

/** A stored value failed its tag under the current key: the rotation stops and its transaction rolls back. */
export class RotationIntegrityError extends CodedError<'value_integrity'> {
  constructor(where: string) {
    super('value_integrity', `${where} failed its integrity check under the current master key; rotation aborted`, {
      hint: 'nothing was changed; the row was altered outside Krypt: restore it from a backup (or remove it), then rotate again',
    });
    this.name = 'RotationIntegrityError';
  }
}

function reencrypt(oldKeys: DerivedKeys, newKeys: DerivedKeys, ctx: ValueContext, value: string, tag: string, where: () => string) {
  let plaintext: string;
  try {
    plaintext = decryptValue(oldKeys, ctx, { value, tag });
  } catch (err) {
    if (err instanceof IntegrityError) throw new RotationIntegrityError(where());
    throw err;
  }
  return encryptValue(newKeys, ctx, plaintext);
}

/** Total number of stored values a rotation will rewrite (for progress messages). */
export async function countStoredValues(trx: Executor): Promise<number> {
  const count = async (table: 'secrets' | 'secret_versions' | 'change_request_items') => {
    const row = await trx
      .selectFrom(table)
      .select((eb) => eb.fn.countAll().as('n'))
      .where('value', 'is not', null)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  };
  return (await count('secrets')) + (await count('secret_versions')) + (await count('change_request_items'));
}

/** Re-encrypts every stored value from oldKeys to newKeys and stores newKeys' key check; run it in one transaction. */
export async function reencryptAll(trx: Executor, oldKeys: DerivedKeys, newKeys: DerivedKeys): Promise<RotationCounts> {
  const counts: RotationCounts = { secrets: 0, versions: 0, changeRequestValues: 0, deliveries: 0, webhookSecrets: 0 };

  const secrets = await trx
    .selectFrom('secrets')
    .innerJoin('environments', 'environments.id', 'secrets.environment_id')
    .innerJoin('projects', 'projects.id', 'environments.project_id')
    .select(['secrets.environment_id', 'secrets.key', 'secrets.version', 'secrets.value', 'secrets.tag', 'environments.project_id', 'environments.name', 'projects.slug'])
    .execute();
  for (const r of secrets) {
    const ctx: ValueContext = { projectId: r.project_id, environment: r.name, key: r.key, version: r.version };
    const next = reencrypt(oldKeys, newKeys, ctx, r.value, r.tag, () => `secret ${r.key} in ${r.slug}/${r.name} (version ${r.version})`);
    await trx.updateTable('secrets').set(next).where('environment_id', '=', r.environment_id).where('key', '=', r.key).execute();
    counts.secrets++;
  }

  const versions = await trx
    .selectFrom('secret_versions')
    .innerJoin('environments', 'environments.id', 'secret_versions.environment_id')
    .innerJoin('projects', 'projects.id', 'environments.project_id')
    .select(['secret_versions.environment_id', 'secret_versions.key', 'secret_versions.version', 'secret_versions.value', 'secret_versions.tag', 'environments.project_id', 'environments.name', 'projects.slug'])
    .where('secret_versions.value', 'is not', null)
    .execute();
  for (const r of versions) {
    const ctx: ValueContext = { projectId: r.project_id, environment: r.name, key: r.key, version: r.version };
    const next = reencrypt(oldKeys, newKeys, ctx, r.value ?? '', r.tag ?? '', () => `history version ${r.version} of ${r.key} in ${r.slug}/${r.name}`);
    await trx
      .updateTable('secret_versions')
      .set(next)
      .where('environment_id', '=', r.environment_id)
      .where('key', '=', r.key)
      .where('version', '=', r.version)
      .execute();
    counts.versions++;
  }

  const items = await trx
    .selectFrom('change_request_items')
    .innerJoin('change_requests', 'change_requests.id', 'change_request_items.change_request_id')
    .innerJoin('environments', 'environments.id', 'change_requests.environment_id')
    .innerJoin('projects', 'projects.id', 'change_requests.project_id')
    .select(['change_request_items.change_request_id', 'change_request_items.key', 'change_request_items.value', 'change_request_items.tag', 'change_requests.project_id', 'change_requests.number', 'environments.name', 'projects.slug'])
    .where('change_request_items.value', 'is not', null)
    .execute();
  for (const r of items) {
    const ctx = proposedValueContext(r.project_id, r.name, r.change_request_id, r.key);
    const next = reencrypt(oldKeys, newKeys, ctx, r.value ?? '', r.tag ?? '', () => `change request #${r.number} value of ${r.key} in ${r.slug}/${r.name}`);
    await trx.updateTable('change_request_items').set(next).where('change_request_id', '=', r.change_request_id).where('key', '=', r.key).execute();
    counts.changeRequestValues++;
  }

  for (const r of await listOutboxPayloads(trx)) {
    const next = reencrypt(oldKeys, newKeys, outboxContext(r), r.payload, r.payload_tag, () => `outbox delivery ${r.id}`);
    await updateOutboxPayload(trx, r.id, next.value, next.tag);
    counts.deliveries++;
  }
  for (const r of await listWebhookSecrets(trx)) {
    const next = reencrypt(oldKeys, newKeys, webhookSecretContext(r), r.secret, r.secret_tag, () => `the signing secret of webhook ${r.id}`);
    await updateWebhookSecret(trx, r.id, next.value, next.tag);
    counts.webhookSecrets++;
  }

  await setMeta(trx, META_KEY_CHECK, computeKeyCheck(newKeys));
  return counts;
}
