import { useEffect, useState } from 'preact/hooks';
import { ENVIRONMENTS, type Environment } from '../../contract/constants.js';
import type { Api, ApiKeyInfo, SessionInfo } from '../api.js';
import { ShownOnce } from '../components/copy.js';
import { ErrorNotice } from '../components/error-notice.js';
import { ScrollRegion } from '../components/scroll.js';
import { useLoad } from '../components/use-load.js';
import { When } from '../components/when.js';

const EXPIRIES: readonly { label: string; seconds: number | undefined }[] = [
  { label: '30 days', seconds: 30 * 24 * 3600 },
  { label: '90 days', seconds: 90 * 24 * 3600 },
  { label: '1 year', seconds: 365 * 24 * 3600 },
  { label: 'never', seconds: undefined },
];

type Outcome = { kind: 'ok'; text: string } | { kind: 'error'; error: unknown; title: string } | null;

/** `/account`: your API keys and service tokens (create — shown once —, list, revoke) and your browser sessions. */
export function AccountPage({ api, email, onSignedOut }: { api: Api; email: string; onSignedOut: () => void }) {
  useEffect(() => {
    document.title = 'Keys and sessions · Krypt';
  }, []);
  const [keys, reloadKeys] = useLoad(() => api.listApiKeys(), [api]);
  const [sessions, reloadSessions] = useLoad(() => api.listSessions(), [api]);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const act = async (title: string, what: () => Promise<string>) => {
    setOutcome(null);
    let done: Outcome;
    try {
      done = { kind: 'ok', text: await what() };
    } catch (error) {
      done = { kind: 'error', error, title };
    }
    // The lists are current by the time the outcome is announced.
    await Promise.all([reloadKeys(), reloadSessions()]);
    setOutcome(done);
  };
  return (
    <section>
      <h1>Keys and sessions</h1>
      <p class="muted">Signed in as {email}. API keys sign in the CLI and scripts; service tokens read one environment of one project (for CI and servers).</p>
      <div aria-live="polite">
        {outcome?.kind === 'ok' ? <p class="notice notice-ok" role="status">{outcome.text}</p> : null}
        {outcome?.kind === 'error' ? <ErrorNotice error={outcome.error} title={outcome.title} /> : null}
      </div>
      <h2>API keys and service tokens</h2>
      {keys.state === 'loading' ? <p class="muted">Loading keys…</p> : null}
      {keys.state === 'error' ? <ErrorNotice error={keys.error} title="Could not list your keys" /> : null}
      {keys.state === 'ready' ? <KeysTable keys={keys.value.filter((k) => k.revokedAt === null)} onRevoke={(k) => act(`Could not revoke ${k.name}`, async () => (await api.revokeApiKey(k.id), `Revoked ${k.name} (${k.prefix}…): it stops working at once.`))} /> : null}
      <CreateKeyForm api={api} onCreated={reloadKeys} />
      <h2>Browser sessions</h2>
      {sessions.state === 'loading' ? <p class="muted">Loading sessions…</p> : null}
      {sessions.state === 'error' ? <ErrorNotice error={sessions.error} title="Could not list your sessions" /> : null}
      {sessions.state === 'ready' ? (
        <SessionsTable
          sessions={sessions.value}
          onRevoke={async (s) => {
            if (s.current) {
              try {
                await api.signOut();
                onSignedOut();
              } catch (error) {
                setOutcome({ kind: 'error', error, title: 'Could not sign out' });
              }
              return;
            }
            await act('Could not end the session', async () => (await api.revokeSession(s.id), 'Session ended: that browser is signed out.'));
          }}
        />
      ) : null}
    </section>
  );
}

function KeysTable({ keys, onRevoke }: { keys: ApiKeyInfo[]; onRevoke: (k: ApiKeyInfo) => Promise<void> }) {
  const [confirming, setConfirming] = useState<string | null>(null);
  if (keys.length === 0) return <p class="empty">No active keys. Create one below, or from a terminal: <code>krypt keys create --name NAME</code>.</p>;
  return (
    <ScrollRegion label="API keys">
      <table class="table keys stack">
        <caption>{keys.length} active {keys.length === 1 ? 'key' : 'keys'}</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Kind</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">Expires</th>
            <th scope="col"><span class="visually-hidden">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.id}>
              <th scope="row">
                {k.name} <code class="muted">{k.prefix}…</code>
              </th>
              <td data-label="Kind">{k.service ? <>service token: <code>{k.service.project}/{k.service.environment}</code></> : 'personal'}</td>
              <td data-label="Created"><When iso={k.createdAt} /></td>
              <td data-label="Last used">{k.lastUsedAt ? <When iso={k.lastUsedAt} /> : <span class="muted">never</span>}</td>
              <td data-label="Expires">{k.expiresAt ? <When iso={k.expiresAt} /> : <span class="muted">never</span>}</td>
              <td class="actions">
                {confirming === k.id ? (
                  <div class="confirm" role="group" aria-label={`Revoke ${k.name}`}>
                    <span>Revoke {k.name}? Whatever uses it stops working.</span>
                    <button type="button" class="button-danger" onClick={async () => { await onRevoke(k); setConfirming(null); }}>Revoke</button>
                    <button type="button" class="button-secondary" onClick={() => setConfirming(null)}>Keep</button>
                  </div>
                ) : (
                  <button type="button" class="button-secondary" aria-label={`Revoke ${k.name}`} onClick={() => setConfirming(k.id)}>Revoke</button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}

function CreateKeyForm({ api, onCreated }: { api: Api; onCreated: () => Promise<void> }) {
  const [name, setName] = useState('');
  const [kind, setKind] = useState<'personal' | 'service'>('personal');
  const [project, setProject] = useState('');
  const [environment, setEnvironment] = useState<Environment>('development');
  const [expiry, setExpiry] = useState(EXPIRIES[1]!.label);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [made, setMade] = useState<{ name: string; token: string } | null>(null);
  const [projects] = useLoad(() => api.listProjects(), [api]);
  const slugs = projects.state === 'ready' ? projects.value.map((p) => p.slug) : [];

  return (
    <form
      class="panel form"
      aria-labelledby="create-key-title"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        setMade(null);
        try {
          const seconds = EXPIRIES.find((x) => x.label === expiry)?.seconds;
          const created = await api.createApiKey({
            name: name.trim(),
            ...(seconds !== undefined ? { expiresInSeconds: seconds } : {}),
            ...(kind === 'service' ? { service: { project: project || (slugs[0] ?? ''), environment } } : {}),
          });
          setMade({ name: created.key.name, token: created.token });
          setName('');
          await onCreated();
        } catch (err) {
          setError(err);
        } finally {
          setBusy(false);
        }
      }}
    >
      <h2 id="create-key-title">Create a key</h2>
      <label for="key-name">Name</label>
      <input id="key-name" value={name} onInput={(e) => setName(e.currentTarget.value)} required maxLength={100} autocomplete="off" aria-describedby="key-name-hint" />
      <p id="key-name-hint" class="hint">Where it will be used, e.g. "laptop" or "github-actions".</p>
      <fieldset>
        <legend>Kind</legend>
        <label class="radio"><input type="radio" name="kind" checked={kind === 'personal'} onChange={() => setKind('personal')} /> Personal API key (acts as you)</label>
        <label class="radio"><input type="radio" name="kind" checked={kind === 'service'} onChange={() => setKind('service')} /> Service token (read-only, one project and environment)</label>
      </fieldset>
      {kind === 'service' ? (
        <>
          <label for="key-project">Project</label>
          <select id="key-project" value={project || slugs[0] || ''} onChange={(e) => setProject(e.currentTarget.value)} required>
            {slugs.map((s) => (
              <option key={s} value={s}>{s}</option>
            ))}
          </select>
          <label for="key-environment">Environment</label>
          <select id="key-environment" value={environment} onChange={(e) => setEnvironment(e.currentTarget.value as Environment)}>
            {ENVIRONMENTS.map((env) => (
              <option key={env} value={env}>{env}</option>
            ))}
          </select>
        </>
      ) : null}
      <label for="key-expiry">Expires after</label>
      <select id="key-expiry" value={expiry} onChange={(e) => setExpiry(e.currentTarget.value)}>
        {EXPIRIES.map((x) => (
          <option key={x.label} value={x.label}>{x.label}</option>
        ))}
      </select>
      {error ? <ErrorNotice error={error} title="Could not create the key" /> : null}
      <button type="submit" disabled={busy || !name.trim() || (kind === 'service' && slugs.length === 0)}>{busy ? 'Creating…' : 'Create key'}</button>
      {made ? (
        <div class="notice notice-ok" role="status">
          <p>
            <strong>{made.name} created.</strong> Copy the token now: it is shown only once and cannot be recovered (revoke it and make another if lost).
          </p>
          <ShownOnce id="new-token" label="Token" value={made.token} copyLabel="Copy token" />
          <div class="buttons">
            <button type="button" class="button-secondary" onClick={() => setMade(null)}>Done, hide it</button>
          </div>
          <p class="hint">Use it as <code>KRYPT_TOKEN</code>, or <code>krypt login --token-stdin</code>.</p>
        </div>
      ) : null}
    </form>
  );
}

function SessionsTable({ sessions, onRevoke }: { sessions: SessionInfo[]; onRevoke: (s: SessionInfo) => Promise<void> }) {
  return (
    <ScrollRegion label="Sessions">
      <table class="table sessions stack">
        <caption>{sessions.length} open {sessions.length === 1 ? 'session' : 'sessions'}</caption>
        <thead>
          <tr>
            <th scope="col">Browser</th>
            <th scope="col">Signed in</th>
            <th scope="col">Last active</th>
            <th scope="col">Ends</th>
            <th scope="col"><span class="visually-hidden">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          {sessions.map((s) => (
            <tr key={s.id}>
              <th scope="row">
                <span title={s.userAgent ?? ''}>{shortAgent(s.userAgent)}</span>
                {s.ip ? <span class="muted"> {s.ip}</span> : null}
                {s.current ? <span class="role"> this browser</span> : null}
              </th>
              <td data-label="Signed in"><When iso={s.createdAt} /></td>
              <td data-label="Last active"><When iso={s.lastSeenAt} /></td>
              <td data-label="Ends">
                <When iso={s.idleExpiresAt < s.expiresAt ? s.idleExpiresAt : s.expiresAt} />
                <span class="muted"> if idle; at the latest <When iso={s.expiresAt} /></span>
              </td>
              <td class="actions">
                <button type="button" class="button-secondary" onClick={() => void onRevoke(s)} aria-label={s.current ? 'Sign out of this browser' : `End the session of ${shortAgent(s.userAgent)} signed in ${s.createdAt}`}>
                  {s.current ? 'Sign out' : 'End session'}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}

function shortAgent(ua: string | null): string {
  if (!ua) return 'unknown browser';
  const m = /(Firefox|Edg|Chrome|Safari)\/([\d]+)/.exec(ua);
  const os = /Windows|Mac OS X|Linux|Android|iPhone/.exec(ua)?.[0];
  return m ? `${m[1] === 'Edg' ? 'Edge' : m[1]} ${m[2]}${os ? ` on ${os}` : ''}` : ua.slice(0, 40);
}
