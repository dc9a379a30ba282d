import { useState } from 'preact/hooks';
import type { Role } from '../../contract/constants.js';
import type { Api, AssignableRole, Invite, Member } from '../api.js';
import { ShownOnce } from '../components/copy.js';
import { ErrorNotice } from '../components/error-notice.js';
import { Command, ScrollRegion } from '../components/scroll.js';
import { ProjectHeader, useProjectRole } from '../components/project-header.js';
import { useLoad } from '../components/use-load.js';
import { When } from '../components/when.js';

const ASSIGNABLE: readonly AssignableRole[] = ['admin', 'member', 'viewer'];
const MANAGERS: readonly Role[] = ['owner', 'admin'];
const ROLE_HELP: Record<AssignableRole, string> = {
  admin: 'reads and writes every environment, manages members, approves change requests',
  member: 'reads every environment, writes development and staging; production changes become change requests',
  viewer: 'sees key names, and in the dashboard one value at a time (audited)',
};

type Outcome = { kind: 'ok'; text: string } | { kind: 'error'; error: unknown; title: string } | null;

/** `/projects/:slug/members`: members and pending invites; Owners and Admins invite, re-role and remove; the Owner transfers ownership. */
export function MembersPage({ api, slug, me }: { api: Api; slug: string; me: string }) {
  // Asked again after each change: a transfer makes the Owner an Admin.
  const [changes, setChanges] = useState(0);
  const role = useProjectRole(api, slug, changes);
  const [loaded, reload] = useLoad(() => api.listMembers(slug), [api, slug]);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const manager = role != null && MANAGERS.includes(role);

  /** Runs an action, shows its outcome, reloads the lists. True when done. */
  const act = async (title: string, what: () => Promise<string>): Promise<boolean> => {
    setOutcome(null);
    try {
      const text = await what();
      await reload();
      setChanges((n) => n + 1);
      setOutcome({ kind: 'ok', text });
      return true;
    } catch (error) {
      setOutcome({ kind: 'error', error, title });
      return false;
    }
  };

  return (
    <section>
      <ProjectHeader slug={slug} role={role} current="members" />
      <div aria-live="polite">
        {outcome?.kind === 'ok' ? <p class="notice notice-ok" role="status">{outcome.text}</p> : null}
        {outcome?.kind === 'error' ? <ErrorNotice error={outcome.error} title={outcome.title} /> : null}
      </div>
      {loaded.state === 'loading' ? <p class="muted">Loading members…</p> : null}
      {loaded.state === 'error' ? <ErrorNotice error={loaded.error} title="Could not list the members" /> : null}
      {loaded.state === 'ready' ? (
        <>
          <MembersTable slug={slug} members={loaded.value.members} me={me} myRole={role} act={act} api={api} />
          <InvitesTable slug={slug} invites={loaded.value.invites} manager={manager} act={act} api={api} />
          {manager ? <InviteForm api={api} slug={slug} onInvited={reload} /> : <p class="muted">Owners and Admins invite people and change roles.</p>}
          {role === 'owner' ? <TransferOwnership slug={slug} members={loaded.value.members.filter((m) => m.email !== me)} act={act} api={api} /> : null}
        </>
      ) : null}
    </section>
  );
}

type Act = (title: string, what: () => Promise<string>) => Promise<boolean>;

function MembersTable({ api, slug, members, me, myRole, act }: { api: Api; slug: string; members: Member[]; me: string; myRole: Role | null | undefined; act: Act }) {
  const manager = myRole != null && MANAGERS.includes(myRole);
  return (
    <ScrollRegion label="Members">
      <table class="table members">
        <caption>{members.length} {members.length === 1 ? 'member' : 'members'}</caption>
        <thead>
          <tr>
            <th scope="col">Member</th>
            <th scope="col">Role</th>
            <th scope="col">Joined</th>
            {manager ? <th scope="col"><span class="visually-hidden">Actions</span></th> : null}
          </tr>
        </thead>
        <tbody>
          {members.map((m) => (
            <MemberRow key={m.email} api={api} slug={slug} member={m} me={me} manager={manager} act={act} />
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}

function MemberRow({ api, slug, member, me, manager, act }: { api: Api; slug: string; member: Member; me: string; manager: boolean; act: Act }) {
  const [confirming, setConfirming] = useState(false);
  const editable = manager && member.role !== 'owner';
  const id = `role-${member.email}`;
  return (
    <tr>
      <th scope="row">
        {member.name && member.name !== member.email ? <>{member.name} <span class="muted">{member.email}</span></> : member.email}
        {member.email === me ? <span class="muted"> (you)</span> : null}
      </th>
      <td>
        {editable ? (
          <>
            <label for={id} class="visually-hidden">Role of {member.email}</label>
            <select
              id={id}
              value={member.role}
              onChange={(e) => {
                const role = e.currentTarget.value as AssignableRole;
                void act(`Could not change the role of ${member.email}`, async () => (await api.setMemberRole(slug, member.email, role), `${member.email} is now ${role}.`));
              }}
            >
              {ASSIGNABLE.map((r) => (
                <option key={r} value={r}>{r}</option>
              ))}
            </select>
          </>
        ) : (
          <span class={`role role-${member.role}`}>{member.role}</span>
        )}
      </td>
      <td><When iso={member.addedAt} /></td>
      {manager ? (
        <td class="actions">
          {editable && !confirming ? (
            <button type="button" class="button-secondary" onClick={() => setConfirming(true)} aria-label={`Remove ${member.email}`}>Remove</button>
          ) : null}
          {confirming ? (
            <div class="confirm" role="group" aria-label={`Remove ${member.email}`}>
              <span>Remove {member.email} from {slug}? Their keys stop working for this project at once.</span>
              <button
                type="button"
                class="button-danger"
                onClick={async () => {
                  await act(`Could not remove ${member.email}`, async () => (await api.removeMember(slug, member.email), `Removed ${member.email}.`));
                  setConfirming(false);
                }}
              >
                Remove
              </button>
              <button type="button" class="button-secondary" onClick={() => setConfirming(false)}>Keep</button>
            </div>
          ) : null}
        </td>
      ) : null}
    </tr>
  );
}

function InvitesTable({ api, slug, invites, manager, act }: { api: Api; slug: string; invites: Invite[]; manager: boolean; act: Act }) {
  if (invites.length === 0) return <p class="muted">No pending invites.</p>;
  return (
    <ScrollRegion label="Pending invites">
      <table class="table invites">
        <caption>Pending invites</caption>
        <thead>
          <tr>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            <th scope="col">Invited</th>
            <th scope="col">Expires</th>
            {manager ? <th scope="col"><span class="visually-hidden">Actions</span></th> : null}
          </tr>
        </thead>
        <tbody>
          {invites.map((i) => (
            <tr key={i.id}>
              <th scope="row">{i.email}</th>
              <td><span class={`role role-${i.role}`}>{i.role}</span></td>
              <td><When iso={i.createdAt} /> <span class="muted">by {i.invitedBy}</span></td>
              <td><When iso={i.expiresAt} /></td>
              {manager ? (
                <td class="actions">
                  <button type="button" class="button-secondary" aria-label={`Revoke the invite for ${i.email}`} onClick={() => void act(`Could not revoke the invite for ${i.email}`, async () => (await api.revokeInvite(slug, i.id), `Revoked the invite for ${i.email}; its link no longer works.`))}>
                    Revoke
                  </button>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}

function InviteForm({ api, slug, onInvited }: { api: Api; slug: string; onInvited: () => Promise<void> }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<AssignableRole>('member');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [made, setMade] = useState<{ email: string; url: string; code: string; expiresAt: string } | null>(null);
  return (
    <form
      class="panel form"
      aria-labelledby="invite-title"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        setMade(null);
        try {
          const created = await api.createInvite(slug, email.trim(), role);
          setMade({ email: created.invite.email, url: created.url, code: created.code, expiresAt: created.invite.expiresAt });
          setEmail('');
          await onInvited();
        } catch (err) {
          setError(err);
        } finally {
          setBusy(false);
        }
      }}
    >
      <h2 id="invite-title">Invite someone</h2>
      <label for="invite-email">Email</label>
      <input id="invite-email" type="email" value={email} onInput={(e) => setEmail(e.currentTarget.value)} required maxLength={254} autocomplete="off" />
      <label for="invite-role">Role</label>
      <select id="invite-role" value={role} onChange={(e) => setRole(e.currentTarget.value as AssignableRole)} aria-describedby="invite-role-hint">
        {ASSIGNABLE.map((r) => (
          <option key={r} value={r}>{r}</option>
        ))}
      </select>
      <p id="invite-role-hint" class="hint">{role}: {ROLE_HELP[role]}.</p>
      {error ? <ErrorNotice error={error} title="Could not invite" /> : null}
      <button type="submit" disabled={busy || !email.trim()}>{busy ? 'Inviting…' : 'Create invite'}</button>
      {made ? (
        <div class="notice notice-ok invite-made" role="status">
          <p>
            <strong>Invite for {made.email} created.</strong> Send them this link; it is shown only now, works once, and expires <When iso={made.expiresAt} />.
          </p>
          <ShownOnce id="invite-link" label="Invite link" value={made.url} copyLabel="Copy link" />
          <p class="hint">Someone new accepts it in the browser, or from a terminal with the first command; someone who already has an account runs the second, logged in as themselves:</p>
          <Command text={`krypt login --invite ${made.code} --api-url ${new URL(made.url).origin}\nkrypt invites accept ${made.code}`} />
        </div>
      ) : null}
    </form>
  );
}

function TransferOwnership({ api, slug, members, act }: { api: Api; slug: string; members: Member[]; act: Act }) {
  const [target, setTarget] = useState('');
  const [confirm, setConfirm] = useState('');
  const [step, setStep] = useState<'choose' | 'confirm'>('choose');
  if (members.length === 0) return null;
  return (
    <div class="panel form danger-zone">
      <h2>Transfer ownership</h2>
      <p>The new owner can delete the project and transfer it again; you become an Admin.</p>
      {step === 'choose' ? (
        <form onSubmit={(e) => { e.preventDefault(); if (target) setStep('confirm'); }}>
          <label for="transfer-to">New owner</label>
          <select id="transfer-to" value={target} onChange={(e) => setTarget(e.currentTarget.value)} required>
            <option value="">Choose a member…</option>
            {members.map((m) => (
              <option key={m.email} value={m.email}>{m.email} ({m.role})</option>
            ))}
          </select>
          <button type="submit" class="button-secondary" disabled={!target}>Continue</button>
        </form>
      ) : (
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            if (confirm !== slug) return;
            const done = await act('Could not transfer ownership', async () => (await api.transferOwnership(slug, target), `${target} now owns ${slug}; you are an Admin.`));
            if (done) {
              setStep('choose');
              setConfirm('');
            }
          }}
        >
          <p>
            Make <strong>{target}</strong> the owner of <strong>{slug}</strong>? Type the project's name to confirm.
          </p>
          <label for="transfer-confirm">Project name</label>
          <input id="transfer-confirm" value={confirm} onInput={(e) => setConfirm(e.currentTarget.value)} autocomplete="off" spellcheck={false} />
          <div class="buttons">
            <button type="submit" class="button-danger" disabled={confirm !== slug}>Transfer ownership</button>
            <button type="button" class="button-secondary" onClick={() => { setStep('choose'); setConfirm(''); }}>Cancel</button>
          </div>
        </form>
      )}
    </div>
  );
}
