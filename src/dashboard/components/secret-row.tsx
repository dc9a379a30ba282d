import { memo } from 'preact/compat';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { SecretMeta } from '../../contract/api.js';
import type { Api } from '../api.js';
import { CopyButton } from './copy.js';
import { ErrorNotice } from './error-notice.js';

/** How long a revealed value stays on screen. */
export const REVEAL_MS = 30_000;
const MASK = '••••••••••••';

export interface SecretRowProps {
  api: Api;
  slug: string;
  env: string;
  meta: SecretMeta;
  canWrite: boolean;
  /** Sets or deletes this key; resolves once the page has shown the outcome. */
  onWrite: (change: { set?: Record<string, string>; delete?: string[] }) => Promise<boolean>;
}

type Mode = 'view' | 'edit' | 'confirm-delete';

// One visibilitychange listener for every revealed value on the page (not one per row): putting the
// browser tab in the background hides them all.
const onHidden = new Set<() => void>();
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden') onHidden.forEach((hide) => hide());
});

/** Calls `hide` when the page goes to the background, and once when the component leaves the screen. */
export function useHideWhenAway(hide: () => void): void {
  useEffect(() => {
    onHidden.add(hide);
    return () => {
      onHidden.delete(hide);
      hide();
    };
  }, [hide]);
}

/**
 * One key of the secrets table: masked; Reveal fetches this one value (an audited read) and shows it
 * until Hide, 30 s, or the row leaving the screen (tab change, navigation). The value lives in this
 * component's state only: never in the URL, the title, the console or browser storage.
 */
export const SecretRow = memo(function SecretRow({ api, slug, env, meta, canWrite, onWrite }: SecretRowProps) {
  const [value, setValue] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [mode, setMode] = useState<Mode>('view');
  const timer = useRef<number | undefined>(undefined);

  const hide = useCallback(() => {
    window.clearTimeout(timer.current);
    timer.current = undefined;
    setValue(null);
  }, []);
  // Hidden when the row leaves the screen, and when the browser tab is put in the background.
  useHideWhenAway(hide);

  const reveal = async () => {
    setBusy(true);
    setError(null);
    try {
      const secret = await api.getSecret(slug, env, meta.key);
      setValue(secret.value);
      window.clearTimeout(timer.current);
      timer.current = window.setTimeout(hide, REVEAL_MS);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const when = new Date(meta.updatedAt);
  return (
    <tr>
      <th scope="row" class="key-name">
        <code>{meta.key}</code>
      </th>
      <td class="changed">
        <time dateTime={meta.updatedAt} title={when.toISOString()}>{when.toLocaleString()}</time>
        <span class="by"> by {meta.updatedBy}</span>
      </td>
      <td class="value">
        {value === null ? (
          <span class="masked" aria-label="value hidden">{MASK}</span>
        ) : (
          <code class="revealed" aria-live="polite">{value}</code>
        )}
        {error ? <ErrorNotice error={error} /> : null}
        {mode === 'edit' ? (
          <EditValue keyName={meta.key} onCancel={() => setMode('view')} onSave={async (v) => {
            if (!(await onWrite({ set: { [meta.key]: v } }))) return false;
            hide();
            setMode('view');
            return true;
          }} />
        ) : null}
        {mode === 'confirm-delete' ? (
          <div class="confirm" role="group" aria-label={`Delete ${meta.key}`}>
            <span>Delete {meta.key} from {env}?</span>
            <button type="button" class="button-danger" onClick={async () => {
              await onWrite({ delete: [meta.key] });
              setMode('view');
            }}>Delete</button>
            <button type="button" class="button-secondary" onClick={() => setMode('view')}>Keep it</button>
          </div>
        ) : null}
      </td>
      <td class="actions">
        {value === null ? (
          <button type="button" class="button-secondary" onClick={reveal} disabled={busy} aria-label={`Reveal ${meta.key}`}>
            {busy ? 'Revealing…' : 'Reveal'}
          </button>
        ) : (
          <>
            <CopyButton text={value} label="Copy" ariaLabel={`Copy ${meta.key}`} />
            <button type="button" class="button-secondary" onClick={hide} aria-label={`Hide ${meta.key}`}>Hide</button>
          </>
        )}
        {canWrite && mode === 'view' ? (
          <>
            <button type="button" class="button-secondary" onClick={() => setMode('edit')} aria-label={`Edit ${meta.key}`}>Edit</button>
            <button type="button" class="button-secondary" onClick={() => setMode('confirm-delete')} aria-label={`Delete ${meta.key}`}>Delete</button>
          </>
        ) : null}
      </td>
    </tr>
  );
});

function EditValue({ keyName, onSave, onCancel }: { keyName: string; onSave: (value: string) => Promise<boolean>; onCancel: () => void }) {
  const [draft, setDraft] = useState('');
  const [busy, setBusy] = useState(false);
  const id = `edit-${keyName}`;
  return (
    <form
      class="inline-form"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        const saved = await onSave(draft);
        setBusy(false);
        if (saved) setDraft('');
      }}
    >
      <label for={id}>New value of {keyName}</label>
      <textarea id={id} value={draft} onInput={(e) => setDraft(e.currentTarget.value)} rows={2} autocomplete="off" spellcheck={false} />
      <div class="buttons">
        <button type="submit" disabled={busy}>Save</button>
        <button type="button" class="button-secondary" onClick={onCancel}>Cancel</button>
      </div>
    </form>
  );
}
