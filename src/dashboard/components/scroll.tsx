import type { ComponentChildren } from 'preact';

/**
 * A region that scrolls sideways on a narrow screen (a wide table): focusable, so keyboard users
 * can scroll it too, and named for screen readers.
 */
export function ScrollRegion({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-scroll" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

/** A command to type, in a block that scrolls (and can be focused) when wider than the screen. */
export function Command({ text }: { text: string }) {
  return (
    <pre class="command" tabIndex={0} aria-label="Command">
      <code>{text}</code>
    </pre>
  );
}
