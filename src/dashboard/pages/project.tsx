import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { KeysResponse } from '../../contract/api.js';
import { ENVIRONMENTS, KEY_PATTERN, type Environment, type Role } from '../../contract/constants.js';
import { dashboardPath } from '../../contract/dashboard-paths.js';
import type { Api } from '../api.js';
import { ErrorNotice } from '../components/error-notice.js';
import { Command, ScrollRegion } from '../components/scroll.js';
import { Link } from '../components/link.js';
import { ProjectHeader, useProjectRole } from '../components/project-header.js';
import { SecretRow } from '../components/secret-row.js';
import { navigate } from '../router.js';

type Keys = { state: 'loading' } | { state: 'error'; error: unknown } | { state: 'ready'; keys: KeysResponse };
type Notice = { kind: 'ok'; text: string } | { kind: 'pending'; id: number } | { kind: 'error'; error: unknown } | null;
type Change = { set?: Record<string, string>; delete?: string[] };

const WRITERS: readonly Role[] = ['owner', 'admin', 'member'];

/** `/projects/:slug?env=...`: the three environments as tabs, each a table of its keys. */
export function ProjectPage({ api, slug, search }: { api: Api; slug: string; search: URLSearchParams }) {
  const asked = search.get('env');
  const env: Environment = (ENVIRONMENTS as readonly string[]).includes(asked ?? '') ? (asked as Environment) : 'development';
  const role = useProjectRole(api, slug);

  return (
    <section>
      <ProjectHeader slug={slug} role={role} current="project" />
      <EnvironmentTabs slug={slug} env={env} />
      <div role="tabpanel" id={`panel-${env}`} aria-labelledby={`tab-${env}`} tabIndex={0}>
        {/* keyed by environment: switching tabs unmounts the rows, hiding any revealed value */}
        <SecretsTable key={`${slug}/${env}`} api={api} slug={slug} env={env} role={role} />
      </div>
    </section>
  );
}

function EnvironmentTabs({ slug, env }: { slug: string; env: Environment }) {
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  const go = (target: Environment) => navigate(`${dashboardPath('project', { slug })}?env=${target}`, { replace: true });
  const onKeyDown = (e: KeyboardEvent, i: number) => {
    const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    const jump = e.key === 'Home' ? 0 : e.key === 'End' ? ENVIRONMENTS.length - 1 : undefined;
    if (!step && jump === undefined) return;
    e.preventDefault();
    const next = jump ?? (i + step + ENVIRONMENTS.length) % ENVIRONMENTS.length;
    go(ENVIRONMENTS[next] as Environment);
    refs.current[next]?.focus();
  };
  return (
    <div class="tabs" role="tablist" aria-label="Environments">
      {ENVIRONMENTS.map((name, i) => (
        <button
          key={name}
          ref={(el) => void (refs.current[i] = el)}
          type="button"
          role="tab"
          id={`tab-${name}`}
          aria-selected={name === env}
          aria-controls={`panel-${name}`}
          tabIndex={name === env ? 0 : -1}
          class={name === env ? 'tab tab-active' : 'tab'}
          onClick={() => go(name)}
          onKeyDown={(e) => onKeyDown(e, i)}
        >
          {name}
        </button>
      ))}
    </div>
  );
}

function SecretsTable({ api, slug, env, role }: { api: Api; slug: string; env: Environment; role: Role | null | undefined }) {
  const [loadedKeys, setKeys] = useState<Keys>({ state: 'loading' });
  const [notice, setNotice] = useState<Notice>(null);
  const canWrite = role != null && WRITERS.includes(role);
  // The table is drawn once, when both the keys and the caller's role are known (not again to add
  // the edit buttons); the revision the next write is based on is read from a ref, so the write
  // callback stays the same object and unchanged rows are not drawn again.
  const keys: Keys = role === undefined && loadedKeys.state === 'ready' ? { state: 'loading' } : loadedKeys;
  const revision = useRef<number | undefined>(undefined);

  const load = useCallback(async () => {
    try {
      const listed = await api.listKeys(slug, env);
      revision.current = listed.revision;
      setKeys({ state: 'ready', keys: listed });
    } catch (error) {
      setKeys({ state: 'error', error });
    }
  }, [api, slug, env]);
  useEffect(() => void load(), [load]);

  /** Sends the change; the page shows the outcome. True when the server took it (applied or held). */
  const write = useCallback(async (change: Change): Promise<boolean> => {
    setNotice(null);
    const baseRevision = revision.current;
    try {
      const outcome = await api.writeSecrets(slug, env, { ...change, ...(baseRevision !== undefined ? { baseRevision } : {}) });
      if (outcome.status === 202) {
        setNotice({ kind: 'pending', id: outcome.changeRequest.id });
      } else {
        const parts = [
          ...(outcome.changed.length ? [`Saved ${outcome.changed.join(', ')}`] : []),
          ...(outcome.deleted.length ? [`Deleted ${outcome.deleted.join(', ')}`] : []),
        ];
        setNotice({ kind: 'ok', text: parts.length ? `${parts.join('; ')} (revision ${outcome.revision}).` : 'Nothing changed: the value was already that.' });
      }
      await load();
      return true;
    } catch (error) {
      setNotice({ kind: 'error', error });
      return false;
    }
  }, [api, slug, env, load]);

  return (
    <>
      {role === 'member' && env === 'production' ? (
        <p class="notice notice-info">As a Member, your production changes become change requests for an Owner or Admin to approve.</p>
      ) : null}
      {role === 'viewer' ? <p class="notice notice-info">As a Viewer you can reveal one value at a time; every reveal is recorded in the audit log.</p> : null}
      <div aria-live="polite">
        {notice && notice.kind === 'error' ? <ErrorNotice error={notice.error} title="The change was not saved" /> : null}
        {notice && notice.kind === 'ok' ? <p class="notice notice-ok" role="status">{notice.text}</p> : null}
        {notice && notice.kind === 'pending' ? (
          <p class="notice notice-pending" role="status">
            <Link href={dashboardPath('changeRequest', { slug, id: String(notice.id) })}>Change request #{notice.id}</Link> was opened: nothing changed yet. An Owner or
            Admin approves or rejects it.
          </p>
        ) : null}
      </div>
      {keys.state === 'loading' ? <p class="muted">Loading keys…</p> : null}
      {keys.state === 'error' ? <ErrorNotice error={keys.error} title={`Could not list the keys of ${env}`} /> : null}
      {keys.state === 'ready' && keys.keys.keys.length === 0 ? (
        <div class="empty">
          <p>No keys in {env} yet.{canWrite ? ' Add one below, or push a .env file:' : ''}</p>
          {canWrite ? <Command text={`krypt push --project ${slug} --env ${env}`} /> : null}
        </div>
      ) : null}
      {keys.state === 'ready' && keys.keys.keys.length > 0 ? (
        <ScrollRegion label="Secrets">
          <table class="table secrets stack">
            <caption>
              {keys.keys.keys.length} {keys.keys.keys.length === 1 ? 'key' : 'keys'} in {env}, revision {keys.keys.revision}
            </caption>
            <colgroup>
              <col class="col-name" />
              <col class="col-changed" />
              <col class="col-value" />
              <col class="col-actions" />
            </colgroup>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Last changed</th>
                <th scope="col">Value</th>
                <th scope="col"><span class="visually-hidden">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {keys.keys.keys.map((meta) => (
                <SecretRow key={meta.key} api={api} slug={slug} env={env} meta={meta} canWrite={canWrite} onWrite={write} />
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      ) : null}
      {canWrite ? <AddSecretForm env={env} onAdd={write} /> : null}
    </>
  );
}

function AddSecretForm({ env, onAdd }: { env: Environment; onAdd: (change: Change) => Promise<boolean> }) {
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const valid = KEY_PATTERN.test(name) && name.length <= 256;
  return (
    <form
      class="panel form"
      aria-labelledby="add-secret-title"
      onSubmit={async (e) => {
        e.preventDefault();
        if (!valid || busy) return;
        setBusy(true);
        const taken = await onAdd({ set: { [name]: value } });
        setBusy(false);
        // Kept on a refusal so it can be corrected; cleared once the server has it.
        if (taken) {
          setName('');
          setValue('');
        }
      }}
    >
      <h2 id="add-secret-title">Add a key to {env}</h2>
      <label for="new-key-name">Name</label>
      <input id="new-key-name" value={name} onInput={(e) => setName(e.currentTarget.value)} required maxLength={256} autocomplete="off" spellcheck={false} aria-describedby="new-key-hint" />
      <p id="new-key-hint" class="hint">Letters, digits and _, not starting with a digit (e.g. DATABASE_URL). An existing name is overwritten.</p>
      <label for="new-key-value">Value</label>
      <textarea id="new-key-value" value={value} onInput={(e) => setValue(e.currentTarget.value)} rows={3} autocomplete="off" spellcheck={false} />
      <button type="submit" disabled={!valid || busy}>{busy ? 'Saving…' : 'Add key'}</button>
    </form>
  );
}
