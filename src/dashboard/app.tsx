import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, createApi, type CurrentSession } from './api.js';
import { ErrorNotice } from './components/error-notice.js';
import { Link } from './components/link.js';
import { AccountPage } from './pages/account.js';
import { AuditPage } from './pages/audit.js';
import { ChangeRequestPage, ChangeRequestsPage } from './pages/change-requests.js';
import { ComparePage } from './pages/compare.js';
import { InvitePage } from './pages/invite.js';
import { MembersPage } from './pages/members.js';
import { ProjectPage } from './pages/project.js';
import { ProjectsPage } from './pages/projects.js';
import { SignInPage, SignedOut } from './pages/sign-in.js';
import { navigate, useLocation } from './router.js';
import { dashboardPath } from '../contract/dashboard-paths.js';

type SessionState = { state: 'loading' } | { state: 'signed-out' } | { state: 'error'; error: unknown } | { state: 'signed-in'; current: CurrentSession };

/** The app shell: finds the session, then draws the header and the page the address names. */
export function App() {
  const [session, setSession] = useState<SessionState>({ state: 'loading' });
  const api = useMemo(() => createApi({ onUnauthorized: () => setSession({ state: 'signed-out' }) }), []);
  const location = useLocation();

  const loadSession = useCallback(async () => {
    try {
      const current = await api.currentSession();
      setSession(current ? { state: 'signed-in', current } : { state: 'signed-out' });
    } catch (error) {
      setSession({ state: 'error', error });
    }
  }, [api]);

  // After a navigation (not the first load), keyboard and screen-reader users start at the new page:
  // in the same commit that renders it (a layout effect), not after the next paint, when the page is
  // already on screen and a keystroke could still land on the old focus.
  const firstPath = useRef(location.pathname);
  useLayoutEffect(() => {
    if (location.pathname !== firstPath.current) document.getElementById('main')?.focus();
    firstPath.current = '';
  }, [location.pathname]);

  const onSignIn = location.match?.page === 'signIn';
  useEffect(() => {
    // The sign-in page makes the session itself, then asks for it.
    if (!onSignIn) void loadSession();
  }, [onSignIn, loadSession]);

  // Signed out only once the server has ended the session; a failure says so and keeps the page.
  const [signOutError, setSignOutError] = useState<unknown>(null);
  const signOut = async () => {
    setSignOutError(null);
    try {
      await api.signOut();
      setSession({ state: 'signed-out' });
      navigate('/');
    } catch (error) {
      // A 401 means the session had already ended: onUnauthorized shows the signed-out page.
      if (!(error instanceof ApiError && error.status === 401)) setSignOutError(error);
    }
  };

  const match = location.match;
  const slug = match?.params.slug ?? '';
  let page;
  if (onSignIn) page = <SignInPage api={api} onSignedIn={loadSession} />;
  else if (session.state === 'loading') page = <p class="muted">Loading…</p>;
  else if (session.state === 'error') page = <ErrorNotice error={session.error} title="Could not load your session" />;
  else if (match?.page === 'invite') page = <InvitePage api={api} session={session.state === 'signed-in' ? session.current : null} onJoined={loadSession} />;
  else if (session.state === 'signed-out') page = <SignedOut />;
  else if (!match) page = <NotFound />;
  else {
    const me = session.current.user.email;
    switch (match.page) {
      case 'project':
        page = <ProjectPage api={api} slug={slug} search={location.search} />;
        break;
      case 'compare':
        page = <ComparePage api={api} slug={slug} />;
        break;
      case 'changeRequests':
        page = <ChangeRequestsPage api={api} slug={slug} search={location.search} />;
        break;
      case 'changeRequest': {
        const id = Number(match.params.id);
        page = Number.isSafeInteger(id) && id > 0 ? <ChangeRequestPage api={api} slug={slug} id={id} me={me} /> : <NotFound />;
        break;
      }
      case 'members':
        page = <MembersPage api={api} slug={slug} me={me} />;
        break;
      case 'audit':
        page = <AuditPage api={api} slug={slug} search={location.search} />;
        break;
      case 'account':
        page = <AccountPage api={api} email={me} onSignedOut={() => { setSession({ state: 'signed-out' }); navigate('/'); }} />;
        break;
      default:
        page = <ProjectsPage api={api} />;
    }
  }

  return (
    <>
      <a class="skip-link" href="#main">Skip to content</a>
      <header class="app-header">
        <Link href="/" class="brand">Krypt</Link>
        {session.state === 'signed-in' ? (
          <div class="account">
            <span class="account-email" title="Signed in as">{session.current.user.email}</span>
            <Link href={dashboardPath('account')} class="account-link">Keys and sessions</Link>
            <button type="button" class="button-secondary" onClick={signOut}>Sign out</button>
          </div>
        ) : null}
      </header>
      <main id="main" tabIndex={-1}>
        {signOutError ? <ErrorNotice error={signOutError} title="Could not sign out" /> : null}
        {page}
      </main>
    </>
  );
}

function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        <Link href="/">Back to your projects</Link>
      </p>
    </section>
  );
}
