import { useEffect, useState } from 'preact/hooks';
import type { Project } from '../../contract/api.js';
import { SLUG_PATTERN } from '../../contract/constants.js';
import { dashboardPath } from '../../contract/dashboard-paths.js';
import type { Api } from '../api.js';
import { ErrorNotice } from '../components/error-notice.js';
import { Command } from '../components/scroll.js';
import { Link } from '../components/link.js';
import { navigate } from '../router.js';

type State = { state: 'loading' } | { state: 'error'; error: unknown } | { state: 'ready'; projects: Project[] };

/** `/`: the projects you belong to, with your role, and a form to create one. */
export function ProjectsPage({ api }: { api: Api }) {
  const [state, setState] = useState<State>({ state: 'loading' });
  const [deleted, setDeleted] = useState<string | null>(null);
  const load = () =>
    api.listProjects().then(
      (projects) => setState({ state: 'ready', projects }),
      (error: unknown) => setState({ state: 'error', error }),
    );
  useEffect(() => {
    document.title = 'Projects · Krypt';
    void load();
  }, [api]);
  const remove = async (slug: string) => {
    await api.deleteProject(slug);
    await load();
    setDeleted(slug);
  };

  return (
    <section>
      <h1>Projects</h1>
      {state.state === 'loading' ? <p class="muted">Loading projects…</p> : null}
      {state.state === 'error' ? <ErrorNotice error={state.error} title="Could not list your projects" /> : null}
      {state.state === 'ready' && state.projects.length === 0 ? <EmptyProjects /> : null}
      {deleted ? <p class="notice notice-ok" role="status">Deleted {deleted} and everything in it.</p> : null}
      {state.state === 'ready' && state.projects.length > 0 ? <ProjectList projects={state.projects} onDelete={remove} /> : null}
      <CreateProjectForm api={api} />
    </section>
  );
}

function ProjectList({ projects, onDelete }: { projects: Project[]; onDelete: (slug: string) => Promise<void> }) {
  return (
    <table class="table projects">
      <thead>
        <tr>
          <th scope="col">Project</th>
          <th scope="col">Your role</th>
          <th scope="col"><span class="visually-hidden">Actions</span></th>
        </tr>
      </thead>
      <tbody>
        {projects.map((p) => (
          <ProjectRow key={p.slug} project={p} onDelete={onDelete} />
        ))}
      </tbody>
    </table>
  );
}

/** One project; its Owner may delete it after typing its name. */
function ProjectRow({ project: p, onDelete }: { project: Project; onDelete: (slug: string) => Promise<void> }) {
  const [confirming, setConfirming] = useState(false);
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<unknown>(null);
  const id = `delete-${p.slug}`;
  return (
    <tr>
      <td>
        <Link href={dashboardPath('project', { slug: p.slug })}>{p.slug}</Link>
      </td>
      <td>
        <span class={`role role-${p.role}`}>{p.role}</span>
      </td>
      <td class="actions">
        {p.role === 'owner' && !confirming ? (
          <button type="button" class="button-secondary" onClick={() => setConfirming(true)} aria-label={`Delete ${p.slug}`}>Delete</button>
        ) : null}
        {confirming ? (
          <form
            class="confirm"
            aria-label={`Delete ${p.slug}`}
            onSubmit={async (e) => {
              e.preventDefault();
              if (typed !== p.slug) return;
              setError(null);
              try {
                await onDelete(p.slug);
              } catch (err) {
                setError(err);
              }
            }}
          >
            <span>This deletes every environment, secret, history entry and member of {p.slug}. It cannot be undone.</span>
            <label for={id}>Type {p.slug} to confirm</label>
            <input id={id} value={typed} onInput={(e) => setTyped(e.currentTarget.value)} autocomplete="off" spellcheck={false} />
            <button type="submit" class="button-danger" disabled={typed !== p.slug}>Delete project</button>
            <button type="button" class="button-secondary" onClick={() => { setConfirming(false); setTyped(''); }}>Keep it</button>
            {error ? <ErrorNotice error={error} title={`Could not delete ${p.slug}`} /> : null}
          </form>
        ) : null}
      </td>
    </tr>
  );
}

function EmptyProjects() {
  return (
    <div class="empty">
      <p>You do not belong to any project yet. Create one below, or from your app's directory:</p>
      <Command text={'krypt projects create my-app\nkrypt init --project my-app\nkrypt push'} />
      <p class="muted">
        <code>krypt init</code> writes a <code>.krypt</code> file naming the project; <code>krypt push</code> uploads your <code>.env</code> to development.
      </p>
    </div>
  );
}

function CreateProjectForm({ api }: { api: Api }) {
  const [slug, setSlug] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const valid = SLUG_PATTERN.test(slug);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!valid || busy) return;
    setBusy(true);
    setError(null);
    try {
      const project = await api.createProject(slug);
      navigate(dashboardPath('project', { slug: project.slug }));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <form class="panel form" onSubmit={submit} aria-labelledby="create-project-title">
      <h2 id="create-project-title">Create a project</h2>
      <label for="project-slug">Name</label>
      <input
        id="project-slug"
        name="slug"
        value={slug}
        onInput={(e) => setSlug(e.currentTarget.value)}
        required
        maxLength={64}
        pattern="[a-z0-9\-]{1,64}"
        autocomplete="off"
        spellcheck={false}
        aria-describedby="project-slug-hint"
      />
      <p id="project-slug-hint" class="hint">Lowercase letters, digits and -, up to 64 characters (e.g. my-app). You become its Owner.</p>
      {error ? <ErrorNotice error={error} title="Could not create the project" /> : null}
      <button type="submit" disabled={!valid || busy}>{busy ? 'Creating…' : 'Create project'}</button>
    </form>
  );
}
