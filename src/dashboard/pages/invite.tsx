import { useEffect, useState } from 'preact/hooks';
import { dashboardPath } from '../../contract/dashboard-paths.js';
import { ApiError, type Api, type CurrentSession } from '../api.js';
import { ErrorNotice } from '../components/error-notice.js';
import { Command } from '../components/scroll.js';
import { navigate } from '../router.js';

// /invite#code=<one-time code>: the link an Owner or Admin sends. The code sits in the fragment
// (never in a server log or a Referer) and leaves the address bar at once; it is kept in memory only.
// Someone new joins here and is signed in; someone signed in accepts as themselves. An invite for an
// existing account never signs anyone in to it: that person signs in first (`krypt open`).

function takeCode(): string | null {
  const code = new URLSearchParams(window.location.hash.replace(/^#/, '')).get('code');
  if (window.location.hash) window.history.replaceState(null, '', window.location.pathname);
  return code && code.length > 0 ? code : null;
}

export function InvitePage({ api, session, onJoined }: { api: Api; session: CurrentSession | null; onJoined: () => Promise<void> }) {
  const [code] = useState(takeCode);
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    document.title = 'Accept an invite · Krypt';
  }, []);

  if (!code) {
    return (
      <section class="panel">
        <h1>No invite code here</h1>
        <p>Open the whole invite link you were sent (it ends with <code>#code=…</code>), or join from a terminal with the command that came with it.</p>
      </section>
    );
  }
  const done = async (project: string) => {
    await onJoined();
    navigate(dashboardPath('project', { slug: project }), { replace: true });
  };
  const run = async (what: () => Promise<{ project: string }>) => {
    setBusy(true);
    setError(null);
    try {
      await done((await what()).project);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  const existing = error instanceof ApiError && error.status === 409;

  if (session) {
    return (
      <section class="panel">
        <h1>Accept the invite</h1>
        <p>
          You are signed in as <strong>{session.user.email}</strong>. The invite must be for this address.
        </p>
        {error ? <ErrorNotice error={error} title="Could not accept the invite" /> : null}
        <button type="button" disabled={busy} onClick={() => run(() => api.acceptInvite(code))}>{busy ? 'Joining…' : 'Accept and open the project'}</button>
      </section>
    );
  }
  return (
    <section class="panel">
      <h1>Join Krypt</h1>
      <p>You were invited to a project. Accepting creates your account for the invited email address and signs you in to this browser.</p>
      <form
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          void run(() => api.redeemInvite(code, name.trim() || undefined));
        }}
      >
        <label for="invite-name">Your name (optional)</label>
        <input id="invite-name" value={name} onInput={(e) => setName(e.currentTarget.value)} maxLength={100} autocomplete="name" />
        {error ? <ErrorNotice error={error} title="Could not accept the invite" /> : null}
        {existing ? (
          <div class="notice notice-info">
            <p>That address already has an account, so the invite cannot sign you in. Accept it as yourself, from a terminal logged in to this server:</p>
            <Command text={`krypt invites accept ${code}`} />
            <p class="muted">Or sign in with <code>krypt open</code> and open the invite link again.</p>
          </div>
        ) : null}
        <button type="submit" disabled={busy}>{busy ? 'Joining…' : 'Accept the invite'}</button>
      </form>
      <p class="muted">Prefer the terminal? <code>krypt login --invite CODE --api-url {window.location.origin}</code> with the code from your link.</p>
    </section>
  );
}
