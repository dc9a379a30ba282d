import { useCallback, useRef, useState } from 'preact/hooks';
import type { Role } from '../../contract/constants.js';
import { dashboardPath } from '../../contract/dashboard-paths.js';
import { ApiError, type Api, type ChangeRequestStatus, type DiffLine } from '../api.js';
import { ErrorNotice } from '../components/error-notice.js';
import { ScrollRegion } from '../components/scroll.js';
import { Link } from '../components/link.js';
import { ProjectHeader, useProjectRole } from '../components/project-header.js';
import { REVEAL_MS, useHideWhenAway } from '../components/secret-row.js';
import { useLoad } from '../components/use-load.js';
import { When } from '../components/when.js';
import { navigate } from '../router.js';

const STATUSES: readonly (ChangeRequestStatus | 'all')[] = ['pending', 'approved', 'rejected', 'cancelled', 'all'];
const REVIEWERS: readonly Role[] = ['owner', 'admin'];
const MASK = '••••••••';

/** `/projects/:slug/change-requests?status=`: the project's change requests, pending first by default. */
export function ChangeRequestsPage({ api, slug, search }: { api: Api; slug: string; search: URLSearchParams }) {
  const role = useProjectRole(api, slug);
  const asked = search.get('status');
  const status = (STATUSES as readonly string[]).includes(asked ?? '') ? (asked as ChangeRequestStatus | 'all') : 'pending';
  const [loaded] = useLoad(() => api.listChangeRequests(slug, status === 'all' ? undefined : status), [api, slug, status]);
  const base = dashboardPath('changeRequests', { slug });
  return (
    <section>
      <ProjectHeader slug={slug} role={role} current="changeRequests" />
      <p class="muted">A Member's change to production waits here until an Owner or Admin approves or rejects it.</p>
      <div class="filters" role="group" aria-label="Status">
        {STATUSES.map((s) => (
          <button key={s} type="button" class={s === status ? 'chip chip-on' : 'chip'} aria-pressed={s === status} onClick={() => navigate(`${base}?status=${s}`, { replace: true })}>
            {s}
          </button>
        ))}
      </div>
      {loaded.state === 'loading' ? <p class="muted">Loading change requests…</p> : null}
      {loaded.state === 'error' ? <ErrorNotice error={loaded.error} title="Could not list the change requests" /> : null}
      {loaded.state === 'ready' && loaded.value.length === 0 ? (
        <p class="empty">{status === 'pending' ? 'No change request is waiting for a decision.' : `No ${status === 'all' ? '' : status + ' '}change requests.`}</p>
      ) : null}
      {loaded.state === 'ready' && loaded.value.length > 0 ? (
        <ScrollRegion label="Change requests">
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Request</th>
                <th scope="col">Environment</th>
                <th scope="col">Keys</th>
                <th scope="col">Requested</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {loaded.value.map((cr) => (
                <tr key={cr.id}>
                  <td>
                    <Link href={dashboardPath('changeRequest', { slug, id: String(cr.id) })}>#{cr.id}</Link>
                  </td>
                  <td>{cr.environment}</td>
                  <td>
                    {cr.changes.map((c) => (
                      <code key={c.key} class="key-chip">{c.action === 'delete' ? `−${c.key}` : c.key}</code>
                    ))}
                  </td>
                  <td>
                    <When iso={cr.createdAt} /> <span class="muted">by {cr.requestedBy}</span>
                  </td>
                  <td>
                    <span class={`status status-${cr.status}`}>{cr.status}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      ) : null}
    </section>
  );
}

type Conflict = { keys: readonly string[]; message: string } | null;

/** `/projects/:slug/change-requests/:id`: who asked what, the masked diff, and the decision. */
export function ChangeRequestPage({ api, slug, id, me }: { api: Api; slug: string; id: number; me: string }) {
  const role = useProjectRole(api, slug);
  const [loaded, reload] = useLoad(() => api.getChangeRequest(slug, id), [api, slug, id]);
  const [notice, setNotice] = useState<{ kind: 'ok'; text: string } | { kind: 'error'; error: unknown } | null>(null);
  const [conflict, setConflict] = useState<Conflict>(null);
  const [busy, setBusy] = useState(false);

  const act = async (what: () => Promise<string>) => {
    setBusy(true);
    setNotice(null);
    setConflict(null);
    try {
      const text = await what();
      await reload();
      setNotice({ kind: 'ok', text });
    } catch (error) {
      if (error instanceof ApiError && error.code === 'conflict' && error.keys && error.keys.length > 0) setConflict({ keys: error.keys, message: error.message });
      else setNotice({ kind: 'error', error });
    } finally {
      setBusy(false);
    }
  };
  const approve = (force: boolean) =>
    act(async () => {
      const done = await api.approveChangeRequest(slug, id, force);
      return `Approved and applied${done.revision !== undefined ? ` (revision ${done.revision} of ${done.changeRequest.environment})` : ''}.`;
    });

  if (loaded.state === 'loading') return <section><ProjectHeader slug={slug} role={role} current="changeRequests" title={`Change request #${id}`} /><p class="muted">Loading…</p></section>;
  if (loaded.state === 'error') {
    return (
      <section>
        <ProjectHeader slug={slug} role={role} current="changeRequests" title={`Change request #${id}`} />
        <ErrorNotice error={loaded.error} title={`Could not load change request #${id}`} />
      </section>
    );
  }
  const { changeRequest: cr, diff } = loaded.value;
  const reviewer = role != null && REVIEWERS.includes(role);
  const canReveal = role != null && role !== 'viewer';
  const mine = cr.requestedBy === me;
  return (
    <section>
      <ProjectHeader slug={slug} role={role} current="changeRequests" title={`Change request #${id}`} />
      <h2>
        Change request #{cr.id} to {cr.environment} <span class={`status status-${cr.status}`}>{cr.status}</span>
      </h2>
      <p>
        Requested by <strong>{cr.requestedBy}</strong> <When iso={cr.createdAt} />, against revision {cr.baseRevision}.
      </p>
      {cr.decidedBy ? (
        <p>
          {cr.status === 'cancelled' ? 'Cancelled' : cr.status === 'approved' ? 'Approved' : 'Rejected'} by <strong>{cr.decidedBy}</strong>
          {cr.decidedAt ? <> <When iso={cr.decidedAt} /></> : null}
          {cr.reason ? <>: “{cr.reason}”</> : null}
        </p>
      ) : null}
      <div aria-live="polite">
        {notice?.kind === 'ok' ? <p class="notice notice-ok" role="status">{notice.text}</p> : null}
        {notice?.kind === 'error' ? <ErrorNotice error={notice.error} title="Not done" /> : null}
        {conflict ? (
          <div class="notice notice-error" role="alert">
            <p>
              <strong>Cannot approve change request #{cr.id}:</strong> {conflict.keys.join(', ')} changed since it was made; nothing was applied.
            </p>
            <p>Review the diff below (it compares with the current values), then approve anyway, which overwrites those changes, or reject it.</p>
            <button type="button" class="button-danger" disabled={busy} onClick={() => approve(true)}>Approve anyway</button>
          </div>
        ) : null}
      </div>
      <DiffTable key={`${slug}/${id}`} api={api} slug={slug} id={id} diff={diff} canReveal={canReveal} />
      {cr.status === 'pending' && reviewer ? <Decision busy={busy} onApprove={() => approve(false)} onReject={(reason) => act(async () => (await api.rejectChangeRequest(slug, id, reason), 'Rejected; the requester can see your reason.'))} /> : null}
      {cr.status === 'pending' && mine ? (
        <p>
          <button type="button" class="button-secondary" disabled={busy} onClick={() => act(async () => (await api.cancelChangeRequest(slug, id), 'Cancelled: nothing was applied.'))}>
            Cancel my request
          </button>
        </p>
      ) : null}
      {cr.status === 'pending' && !reviewer && !mine ? <p class="muted">An Owner or Admin decides on this request.</p> : null}
      <p>
        <Link href={dashboardPath('changeRequests', { slug })}>All change requests</Link>
      </p>
    </section>
  );
}

function Decision({ busy, onApprove, onReject }: { busy: boolean; onApprove: () => void; onReject: (reason: string) => void }) {
  const [reason, setReason] = useState('');
  return (
    <div class="panel decision">
      <h2>Decide</h2>
      <p>Approving applies every change above at once; rejecting applies nothing.</p>
      <button type="button" disabled={busy} onClick={onApprove}>Approve and apply</button>
      <form
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          if (reason.trim()) onReject(reason.trim());
        }}
      >
        <label for="reject-reason">Reason for rejecting</label>
        <textarea id="reject-reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} rows={2} maxLength={1000} required aria-describedby="reject-hint" />
        <p id="reject-hint" class="hint">Required; the requester sees it.</p>
        <button type="submit" class="button-danger" disabled={busy || !reason.trim()}>Reject</button>
      </form>
    </div>
  );
}

const CHANGE_LABEL: Record<DiffLine['change'], string> = { added: 'added', changed: 'changed', removed: 'removed', unchanged: 'no change' };

function DiffTable({ api, slug, id, diff, canReveal }: { api: Api; slug: string; id: number; diff: DiffLine[]; canReveal: boolean }) {
  return (
    <ScrollRegion label="Changes">
      <table class="table diff stack">
        <caption>{diff.length} {diff.length === 1 ? 'key' : 'keys'}, compared with the current values</caption>
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col">Change</th>
            <th scope="col">Current</th>
            <th scope="col">Proposed</th>
            <th scope="col"><span class="visually-hidden">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          {diff.map((line) => (
            <DiffRow key={line.key} api={api} slug={slug} id={id} line={line} canReveal={canReveal} />
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}

/** One key of the diff: masked; Reveal fetches this key's two values (an audited read), hidden again after 30 s or on leaving. */
function DiffRow({ api, slug, id, line, canReveal }: { api: Api; slug: string; id: number; line: DiffLine; canReveal: boolean }) {
  const [values, setValues] = useState<{ current: string | null; proposed: string | null } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const timer = useRef<number | undefined>(undefined);
  const hide = useCallback(() => {
    window.clearTimeout(timer.current);
    setValues(null);
  }, []);
  useHideWhenAway(hide);
  const reveal = async () => {
    setBusy(true);
    setError(null);
    try {
      const shown = (await api.getChangeRequest(slug, id, line.key)).diff.find((d) => d.key === line.key);
      setValues({ current: shown?.current ?? null, proposed: shown?.proposed ?? null });
      timer.current = window.setTimeout(hide, REVEAL_MS);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const show = (v: string | null | undefined, absent: string) => (values === null ? <span class="masked">{absent === '' ? MASK : absent}</span> : v === null || v === undefined ? <span class="muted">(none)</span> : <code class="revealed">{v}</code>);
  return (
    <tr class={`diff-${line.change}`}>
      <th scope="row" class="key-name"><code>{line.key}</code></th>
      <td data-label="Change"><span class={`change change-${line.change}`}>{CHANGE_LABEL[line.change]}</span></td>
      <td data-label="Current">{line.change === 'added' ? <span class="muted">(none)</span> : show(values?.current, '')}</td>
      <td data-label="Proposed">{line.change === 'removed' ? <span class="muted">(deleted)</span> : show(values?.proposed, '')}</td>
      <td class="actions">
        {canReveal && values === null ? (
          <button type="button" class="button-secondary" disabled={busy} onClick={reveal} aria-label={`Reveal ${line.key}`}>{busy ? 'Revealing…' : 'Reveal'}</button>
        ) : null}
        {values !== null ? <button type="button" class="button-secondary" onClick={hide} aria-label={`Hide ${line.key}`}>Hide</button> : null}
        {error ? <ErrorNotice error={error} /> : null}
      </td>
    </tr>
  );
}
