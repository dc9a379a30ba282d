// The dashboard's pages, free of zod: the server answers these paths with the dashboard's
// index.html (client-side routing), and the dashboard's router matches the same templates.
// A path not listed here is not a page: the server answers it as any unknown path.

/** Page path templates, parameters written `:name` (one path segment each). */
export const DASHBOARD_PAGES = {
  projects: '/',
  signIn: '/sign-in',
  invite: '/invite',
  account: '/account',
  project: '/projects/:slug',
  compare: '/projects/:slug/compare',
  changeRequests: '/projects/:slug/change-requests',
  changeRequest: '/projects/:slug/change-requests/:id',
  members: '/projects/:slug/members',
  audit: '/projects/:slug/audit',
} as const;

export type DashboardPage = keyof typeof DASHBOARD_PAGES;

/** Where the built files live under the dashboard's origin (hashed names, cached immutably). */
export const DASHBOARD_ASSETS_PREFIX = '/assets/';

/** A matched page and its decoded parameters. */
export interface DashboardMatch {
  page: DashboardPage;
  params: Record<string, string>;
}

/** The page `pathname` shows (no query, no fragment), or undefined when it is not a dashboard page. */
export function matchDashboardPage(pathname: string): DashboardMatch | undefined {
  const parts = pathname.split('/');
  for (const [page, template] of Object.entries(DASHBOARD_PAGES) as [DashboardPage, string][]) {
    const want = template.split('/');
    if (want.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < want.length && ok; i++) {
      const w = want[i] as string;
      const got = parts[i] as string;
      if (w.startsWith(':')) {
        const value = safeDecode(got);
        ok = got !== '' && value !== undefined;
        if (ok) params[w.slice(1)] = value as string;
      } else ok = w === got;
    }
    if (ok) return { page, params };
  }
  return undefined;
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** The path of `page` with its parameters percent-encoded. */
export function dashboardPath(page: DashboardPage, params: Record<string, string> = {}): string {
  return DASHBOARD_PAGES[page].replace(/:(\w+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${page}: no value for :${name}`);
    return encodeURIComponent(value);
  });
}
