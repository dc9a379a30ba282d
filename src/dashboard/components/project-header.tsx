import { useEffect, useState } from 'preact/hooks';
import type { Role } from '../../contract/constants.js';
import { dashboardPath, type DashboardPage } from '../../contract/dashboard-paths.js';
import type { Api } from '../api.js';
import { Link } from './link.js';

/** The caller's role in `slug`: undefined until known, null when not a member (or unknown after an error). */
export function useProjectRole(api: Api, slug: string, generation = 0): Role | null | undefined {
  const [role, setRole] = useState<Role | null | undefined>(undefined);
  useEffect(() => {
    let live = true;
    api.listProjects().then(
      (projects) => live && setRole(projects.find((p) => p.slug === slug)?.role ?? null),
      () => live && setRole(null),
    );
    return () => {
      live = false;
    };
  }, [api, slug, generation]);
  return role;
}

const SECTIONS: readonly { page: DashboardPage; label: string }[] = [
  { page: 'project', label: 'Secrets' },
  { page: 'compare', label: 'Compare' },
  { page: 'changeRequests', label: 'Change requests' },
  { page: 'members', label: 'Members' },
  { page: 'audit', label: 'Audit log' },
];

/** A project page's breadcrumb, title (with the caller's role) and section links; sets the document title. */
export function ProjectHeader({ slug, role, current, title }: { slug: string; role: Role | null | undefined; current: DashboardPage; title?: string }) {
  const section = SECTIONS.find((s) => s.page === current)?.label ?? '';
  useEffect(() => {
    document.title = `${title ?? section} · ${slug} · Krypt`;
  }, [slug, section, title]);
  return (
    <>
      <p class="breadcrumb">
        <Link href="/">Projects</Link> / <span>{slug}</span>
      </p>
      <h1>
        {slug} {role ? <span class={`role role-${role}`}>{role}</span> : null}
      </h1>
      <nav class="sections" aria-label={`Project ${slug}`}>
        {SECTIONS.map((s) => (
          <Link key={s.page} href={dashboardPath(s.page, { slug })} class={s.page === current ? 'section section-current' : 'section'} current={s.page === current}>
            {s.label}
          </Link>
        ))}
      </nav>
    </>
  );
}
