import { useState } from 'preact/hooks';
import { ENVIRONMENTS, type Environment } from '../../contract/constants.js';
import { dashboardPath } from '../../contract/dashboard-paths.js';
import type { Api, CompareEntry } from '../api.js';
import { ErrorNotice } from '../components/error-notice.js';
import { Command, ScrollRegion } from '../components/scroll.js';
import { Link } from '../components/link.js';
import { ProjectHeader, useProjectRole } from '../components/project-header.js';
import { useLoad } from '../components/use-load.js';

type Filter = 'all' | 'attention' | 'missing' | 'different';
const FILTERS: readonly { id: Filter; label: string }[] = [
  { id: 'attention', label: 'Missing or different' },
  { id: 'missing', label: 'Missing somewhere' },
  { id: 'different', label: 'Different values' },
  { id: 'all', label: 'All keys' },
];
// Letters for value groups: environments showing the same letter hold the same value.
const GROUP_LETTERS = ['A', 'B', 'C'];

/**
 * `/projects/:slug/compare`: every key of the project against the three environments: missing
 * where it is, and which environments hold the same value (A, B, C), never a value. The server
 * compares (an audited read); a Viewer, who may not read in bulk, sees presence only.
 */
export function ComparePage({ api, slug }: { api: Api; slug: string }) {
  const role = useProjectRole(api, slug);
  return (
    <section>
      <ProjectHeader slug={slug} role={role} current="compare" />
      {role === undefined ? <p class="muted">Loading…</p> : role === 'viewer' ? <PresenceOnly api={api} slug={slug} /> : <Comparison api={api} slug={slug} />}
    </section>
  );
}

function Comparison({ api, slug }: { api: Api; slug: string }) {
  const [loaded] = useLoad(() => api.compareEnvironments(slug), [api, slug]);
  const [filter, setFilter] = useState<Filter>('attention');
  if (loaded.state === 'loading') return <p class="muted">Comparing environments…</p>;
  if (loaded.state === 'error') return <ErrorNotice error={loaded.error} title="Could not compare the environments" />;
  const all = loaded.value.keys;
  const counts = { missing: all.filter((k) => k.status === 'missing').length, different: all.filter((k) => k.status === 'different').length };
  const shown = all.filter((k) => filter === 'all' || (filter === 'attention' ? k.status !== 'same' : k.status === filter));
  return (
    <>
      <p>
        {all.length} {all.length === 1 ? 'key' : 'keys'}: {counts.missing} missing from an environment, {counts.different} with different values,{' '}
        {all.length - counts.missing - counts.different} the same everywhere. Values are compared by the server and never shown here; the comparison is
        recorded in the audit log.
      </p>
      <FilterButtons filter={filter} onChange={setFilter} />
      {all.length === 0 ? <EmptyProject slug={slug} /> : <CompareTable slug={slug} entries={shown} withValues filter={filter} />}
    </>
  );
}

function FilterButtons({ filter, onChange }: { filter: Filter; onChange: (f: Filter) => void }) {
  return (
    <div class="filters" role="group" aria-label="Show">
      {FILTERS.map((f) => (
        <button key={f.id} type="button" class={f.id === filter ? 'chip chip-on' : 'chip'} aria-pressed={f.id === filter} onClick={() => onChange(f.id)}>
          {f.label}
        </button>
      ))}
    </div>
  );
}

/** A Viewer's comparison: which environments have each key, from the key lists (no values are compared). */
function PresenceOnly({ api, slug }: { api: Api; slug: string }) {
  const [loaded] = useLoad(async () => {
    const lists = await Promise.all(ENVIRONMENTS.map((env) => api.listKeys(slug, env)));
    const entries = new Map<string, CompareEntry>();
    lists.forEach((list, i) => {
      const env = ENVIRONMENTS[i] as Environment;
      for (const meta of list.keys) {
        const entry = entries.get(meta.key) ?? { key: meta.key, status: 'missing', development: null, staging: null, production: null };
        entry[env] = { version: meta.version, updatedAt: meta.updatedAt, updatedBy: meta.updatedBy, group: null };
        entries.set(meta.key, entry);
      }
    });
    return [...entries.values()]
      .map((e): CompareEntry => ({ ...e, status: ENVIRONMENTS.every((env) => e[env] !== null) ? 'same' : 'missing' }))
      .sort((a, b) => (a.key < b.key ? -1 : 1));
  }, [api, slug]);
  const [missingOnly, setMissingOnly] = useState(true);
  if (loaded.state === 'loading') return <p class="muted">Loading keys…</p>;
  if (loaded.state === 'error') return <ErrorNotice error={loaded.error} title="Could not list the keys" />;
  const shown = loaded.value.filter((e) => !missingOnly || e.status === 'missing');
  return (
    <>
      <p class="notice notice-info">As a Viewer you see which environments have each key; comparing values needs a role that may read every environment.</p>
      <label class="checkbox">
        <input type="checkbox" checked={missingOnly} onChange={(e) => setMissingOnly(e.currentTarget.checked)} /> Only keys missing somewhere
      </label>
      {loaded.value.length === 0 ? <EmptyProject slug={slug} /> : <CompareTable slug={slug} entries={shown} withValues={false} filter={missingOnly ? 'missing' : 'all'} />}
    </>
  );
}

function CompareTable({ slug, entries, withValues, filter }: { slug: string; entries: CompareEntry[]; withValues: boolean; filter: Filter }) {
  if (entries.length === 0) {
    return <p class="empty">{filter === 'all' ? 'No keys.' : 'Nothing to show: every key is present in all three environments' + (withValues ? ' with one value.' : '.')}</p>;
  }
  return (
    <ScrollRegion label="Comparison">
      <table class="table compare">
        <caption>
          {entries.length} {entries.length === 1 ? 'key' : 'keys'} shown
          {withValues ? '; environments with the same letter hold the same value' : ''}
        </caption>
        <thead>
          <tr>
            <th scope="col">Key</th>
            {ENVIRONMENTS.map((env) => (
              <th scope="col" key={env}>
                <Link href={`${dashboardPath('project', { slug })}?env=${env}`}>{env}</Link>
              </th>
            ))}
            {withValues ? <th scope="col">Status</th> : null}
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.key} class={`compare-${e.status}`}>
              <th scope="row" class="key-name">
                <code>{e.key}</code>
              </th>
              {ENVIRONMENTS.map((env) => {
                const cell = e[env];
                if (!cell) return <td key={env} class="cell-missing">missing</td>;
                const letter = cell.group === null ? null : GROUP_LETTERS[cell.group];
                return (
                  <td key={env} class="cell-present">
                    {withValues ? (letter ? <span class={`group group-${letter}`} title={`value ${letter}`}>{letter}</span> : <span class="group">unreadable</span>) : 'present'}
                    <span class="muted"> v{cell.version}</span>
                  </td>
                );
              })}
              {withValues ? <td>{e.status === 'same' ? 'same everywhere' : e.status === 'different' ? 'values differ' : 'missing somewhere'}</td> : null}
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}

function EmptyProject({ slug }: { slug: string }) {
  return (
    <div class="empty">
      <p>No keys in any environment yet. Push a first .env file:</p>
      <Command text={`krypt push --project ${slug} --env development`} />
    </div>
  );
}
