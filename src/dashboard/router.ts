import { useEffect, useState } from 'preact/hooks';
import { matchDashboardPage, type DashboardMatch } from '../contract/dashboard-paths.js';

// Client-side routing over the history API. The server answers every page path of
// DASHBOARD_PAGES with index.html, so a reload or a pasted link lands on the same page.

export interface Location {
  pathname: string;
  search: URLSearchParams;
  match: DashboardMatch | undefined;
}

const listeners = new Set<() => void>();

function current(): Location {
  return { pathname: window.location.pathname, search: new URLSearchParams(window.location.search), match: matchDashboardPage(window.location.pathname) };
}

/** Goes to `path` (same origin) without reloading. */
export function navigate(path: string, { replace = false } = {}): void {
  if (replace) window.history.replaceState(null, '', path);
  else window.history.pushState(null, '', path);
  window.scrollTo(0, 0);
  listeners.forEach((l) => l());
}

window.addEventListener('popstate', () => listeners.forEach((l) => l()));

/** The current location; re-renders on navigation. */
export function useLocation(): Location {
  const [location, setLocation] = useState(current);
  useEffect(() => {
    const update = () => setLocation(current());
    listeners.add(update);
    return () => void listeners.delete(update);
  }, []);
  return location;
}

/**
 * `next` of a sign-in link when it is a path on this origin, else '/'. Refuses absolute and
 * protocol-relative URLs (`//evil.example`, `/\evil.example`) so a link cannot send the browser away.
 */
export function safeNextPath(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  try {
    const url = new URL(next, window.location.origin);
    return url.origin === window.location.origin ? url.pathname + url.search : '/';
  } catch {
    return '/';
  }
}
