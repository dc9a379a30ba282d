import { useState } from 'preact/hooks';
import { ErrorNotice } from './error-notice.js';

/** Copies `text` to the clipboard; says "Copied", or why not (the browser may refuse). */
export function CopyButton({ text, label, ariaLabel }: { text: string; label: string; ariaLabel?: string }) {
  const [copied, setCopied] = useState(false);
  const [refused, setRefused] = useState(false);
  return (
    <>
      <button
        type="button"
        class="button-secondary"
        aria-label={ariaLabel}
        onClick={async () => {
          try {
            await navigator.clipboard.writeText(text);
            setCopied(true);
            setRefused(false);
          } catch {
            setRefused(true);
          }
        }}
      >
        {copied ? 'Copied' : label}
      </button>
      {refused ? <ErrorNotice error={new Error('the browser refused clipboard access; select the text and copy it by hand')} /> : null}
    </>
  );
}

/** A credential shown once (a token, an invite link): read-only, selected on focus, with a copy button. */
export function ShownOnce({ id, label, value, copyLabel }: { id: string; label: string; value: string; copyLabel: string }) {
  return (
    <>
      <label for={id}>{label}</label>
      <input id={id} readOnly value={value} onFocus={(e) => e.currentTarget.select()} autocomplete="off" spellcheck={false} />
      <CopyButton text={value} label={copyLabel} />
    </>
  );
}
