import { useState } from 'preact/hooks';
import { AUDIT_ACTIONS, ENVIRONMENTS, type Environment } from '../../contract/constants.js';
import { dashboardPath } from '../../contract/dashboard-paths.js';
import type { Api, AuditEntry, AuditFilter } from '../api.js';
import { ErrorNotice } from '../components/error-notice.js';
import { ScrollRegion } from '../components/scroll.js';
import { ProjectHeader, useProjectRole } from '../components/project-header.js';
import { useLoad } from '../components/use-load.js';
import { When } from '../components/when.js';
import { navigate } from '../router.js';

const PAGE_SIZE = 50;
const KEYS_SHOWN = 8;
type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** The filters the address holds (never a value: names, an email, times). */
interface Filters {
  actor: string;
  action: string;
  environment: string;
  since: string;
  until: string;
}
const FILTER_NAMES = ['actor', 'action', 'environment', 'since', 'until'] as const;

function filtersFrom(search: URLSearchParams): Filters {
  return { actor: search.get('actor') ?? '', action: search.get('action') ?? '', environment: search.get('environment') ?? '', since: search.get('since') ?? '', until: search.get('until') ?? '' };
}

/** A `datetime-local` value (the reader's local time) as an ISO instant, or undefined. */
function instant(local: string): string | undefined {
  if (!local) return undefined;
  const at = new Date(local);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}

function apiFilter(f: Filters, before: number | undefined): AuditFilter {
  return {
    limit: PAGE_SIZE,
    before,
    actor: f.actor.trim() || undefined,
    action: (AUDIT_ACTIONS as readonly string[]).includes(f.action) ? (f.action as AuditAction) : undefined,
    environment: (ENVIRONMENTS as readonly string[]).includes(f.environment) ? (f.environment as Environment) : undefined,
    since: instant(f.since),
    until: instant(f.until),
  };
}

/** `/projects/:slug/audit`: the project's audit log, newest first, filtered and paged. */
export function AuditPage({ api, slug, search }: { api: Api; slug: string; search: URLSearchParams }) {
  const role = useProjectRole(api, slug);
  const applied = filtersFrom(search);
  const key = FILTER_NAMES.map((n) => applied[n]).join('\0');
  return (
    <section>
      <ProjectHeader slug={slug} role={role} current="audit" />
      <p class="muted">Every read and change of this project: who, when, from where, and which keys (never a value).</p>
      <FilterForm key={key} slug={slug} applied={applied} />
      {/* keyed by the filters: a new filter starts again at the newest page */}
      <AuditPages key={key} api={api} slug={slug} filters={applied} />
    </section>
  );
}

function FilterForm({ slug, applied }: { slug: string; applied: Filters }) {
  const [draft, setDraft] = useState<Filters>(applied);
  const set = (name: keyof Filters) => (e: Event) => setDraft({ ...draft, [name]: (e.currentTarget as HTMLInputElement).value });
  const go = (f: Filters) => {
    const query = new URLSearchParams();
    for (const n of FILTER_NAMES) if (f[n]) query.set(n, f[n]);
    const text = query.toString();
    navigate(`${dashboardPath('audit', { slug })}${text ? `?${text}` : ''}`, { replace: true });
  };
  const empty: Filters = { actor: '', action: '', environment: '', since: '', until: '' };
  return (
    <form class="panel filter-form" aria-label="Filter the audit log" onSubmit={(e) => { e.preventDefault(); go(draft); }}>
      <div class="field">
        <label for="audit-actor">Actor (email)</label>
        <input id="audit-actor" type="email" value={draft.actor} onInput={set('actor')} autocomplete="off" />
      </div>
      <div class="field">
        <label for="audit-action">Action</label>
        <select id="audit-action" value={draft.action} onChange={set('action')}>
          <option value="">any</option>
          {AUDIT_ACTIONS.filter((a) => a !== 'audit.chain_keyed').map((a) => (
            <option key={a} value={a}>{a}</option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="audit-environment">Environment</label>
        <select id="audit-environment" value={draft.environment} onChange={set('environment')}>
          <option value="">any</option>
          {ENVIRONMENTS.map((env) => (
            <option key={env} value={env}>{env}</option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="audit-since">From</label>
        <input id="audit-since" type="datetime-local" value={draft.since} onInput={set('since')} />
      </div>
      <div class="field">
        <label for="audit-until">Until</label>
        <input id="audit-until" type="datetime-local" value={draft.until} onInput={set('until')} />
      </div>
      <div class="buttons">
        <button type="submit">Apply filters</button>
        <button type="button" class="button-secondary" onClick={() => { setDraft(empty); go(empty); }}>Clear</button>
      </div>
    </form>
  );
}

function AuditPages({ api, slug, filters }: { api: Api; slug: string; filters: Filters }) {
  // The cursors of the pages before this one: Newer pops, Older pushes.
  const [cursors, setCursors] = useState<(number | undefined)[]>([undefined]);
  const before = cursors[cursors.length - 1];
  const [loaded] = useLoad(() => api.listAudit(slug, apiFilter(filters, before)), [api, slug, before, filters.actor, filters.action, filters.environment, filters.since, filters.until]);
  const page = cursors.length;
  if (loaded.state === 'loading') return <p class="muted">Loading the audit log…</p>;
  if (loaded.state === 'error') return <ErrorNotice error={loaded.error} title="Could not read the audit log" />;
  const { entries, next } = loaded.value;
  const filtered = FILTER_NAMES.some((n) => filters[n]);
  return (
    <>
      {entries.length === 0 ? <p class="empty">{filtered ? 'No entries match these filters.' : 'No entries yet.'}</p> : <AuditTable entries={entries} page={page} />}
      <nav class="pager" aria-label="Audit log pages">
        <button type="button" class="button-secondary" disabled={page === 1} onClick={() => setCursors(cursors.slice(0, -1))}>Newer</button>
        <span>Page {page}</span>
        <button type="button" class="button-secondary" disabled={next === null} onClick={() => next !== null && setCursors([...cursors, next])}>Older</button>
      </nav>
    </>
  );
}

function AuditTable({ entries, page }: { entries: AuditEntry[]; page: number }) {
  return (
    <ScrollRegion label="Audit entries">
      <table class="table audit">
        <caption>
          Page {page}: {entries.length} {entries.length === 1 ? 'entry' : 'entries'}, newest first
        </caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Actor</th>
            <th scope="col">Action</th>
            <th scope="col">Environment</th>
            <th scope="col">Keys and details</th>
            <th scope="col">From</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.id} data-entry={e.id}>
              <td><When iso={e.at} /></td>
              <td>{e.actor ?? <span class="muted">(none)</span>}</td>
              <td><code>{e.action}</code></td>
              <td>{e.environment ?? <span class="muted">–</span>}</td>
              <td class="audit-keys">
                {e.keys.slice(0, KEYS_SHOWN).map((k) => (
                  <code key={k} class="key-chip">{k}</code>
                ))}
                {e.keys.length > KEYS_SHOWN ? <span class="muted"> and {e.keys.length - KEYS_SHOWN} more</span> : null}
                {Object.keys(e.details).length > 0 ? (
                  <span class="details">
                    {Object.entries(e.details).map(([k, v]) => `${k}=${String(v)}`).join(' ')}
                  </span>
                ) : null}
              </td>
              <td>
                {e.command ? <code>krypt {e.command}</code> : e.userAgent ? <span title={e.userAgent}>{browserName(e.userAgent)}</span> : null}
                {e.ip ? <span class="muted"> {e.ip}</span> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}

/** A short name for a user agent (the full one is in the title). */
function browserName(ua: string): string {
  if (/krypt-cli/.test(ua)) return 'krypt CLI';
  if (/Chrome\//.test(ua)) return 'browser (Chrome)';
  if (/Firefox\//.test(ua)) return 'browser (Firefox)';
  if (/Safari\//.test(ua)) return 'browser (Safari)';
  return ua.slice(0, 40);
}
