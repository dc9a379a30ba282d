import { useEffect, useState } from 'preact/hooks';
import { ApiError, type Api } from '../api.js';
import { ErrorNotice } from '../components/error-notice.js';
import { Command } from '../components/scroll.js';
import { navigate, safeNextPath } from '../router.js';

// /sign-in#code=<one-time code>&next=<path>: the link `krypt open` prints. The code sits in the
// fragment, so it never reaches a server log or a Referer; it leaves the address bar before the
// request is even sent.

/** Reads and removes the sign-in fragment (once, at load). */
function takeFragment(): { code: string | null; next: string } {
  const fragment = new URLSearchParams(window.location.hash.replace(/^#/, ''));
  const code = fragment.get('code');
  if (window.location.hash) window.history.replaceState(null, '', window.location.pathname);
  return { code: code && code.length > 0 ? code : null, next: safeNextPath(fragment.get('next')) };
}

type State = { state: 'signing-in' } | { state: 'no-code' } | { state: 'refused'; error: ApiError } | { state: 'failed'; error: unknown };

export function SignInPage({ api, onSignedIn }: { api: Api; onSignedIn: () => Promise<void> }) {
  const [link] = useState(takeFragment);
  const [state, setState] = useState<State>(link.code ? { state: 'signing-in' } : { state: 'no-code' });

  useEffect(() => {
    document.title = 'Sign in · Krypt';
    if (!link.code) return;
    let live = true;
    api.createSession(link.code).then(
      async () => {
        await onSignedIn();
        if (live) navigate(link.next, { replace: true });
      },
      (error: unknown) => {
        if (!live) return;
        // A used, expired or unknown code is refused with a 4xx; anything else is a failure to retry.
        if (error instanceof ApiError && error.status >= 400 && error.status < 500) setState({ state: 'refused', error });
        else setState({ state: 'failed', error });
      },
    );
    return () => {
      live = false;
    };
  }, [api, link, onSignedIn]);

  if (state.state === 'signing-in') return <p class="muted" role="status">Signing you in…</p>;
  if (state.state === 'no-code') return <SignedOut />;
  if (state.state === 'failed') return <ErrorNotice error={state.error} title="Sign-in failed" />;
  return (
    <section class="panel">
      <h1>This sign-in link no longer works</h1>
      <p>Sign-in links work once, and for two minutes at most. This one was already used, has expired, or was not issued by this server.</p>
      <ErrorNotice error={state.error} />
      <p>Get a new link from your terminal:</p>
      <Command text="krypt open" />
    </section>
  );
}

/** What a visitor without a session sees: how to sign in. */
export function SignedOut() {
  useEffect(() => {
    document.title = 'Sign in · Krypt';
  }, []);
  return (
    <section class="panel">
      <h1>Sign in to Krypt</h1>
      <p>The dashboard has no passwords. Sign in from a terminal where the Krypt CLI is logged in to this server:</p>
      <Command text="krypt open" />
      <p class="muted">It opens this page with a one-time link that is valid for two minutes at most. No CLI yet? Run <code>krypt login</code> first.</p>
    </section>
  );
}
