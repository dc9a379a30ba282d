/** Renders rows as an aligned table on a TTY, or as tab-separated lines (no header) when piped. */
export function renderTable(headers: string[], cells: string[][], tty: boolean): string {
  // A tab or newline inside a cell would split it into columns or rows.
  const rows = cells.map((r) => r.map((c) => c.replace(/[\t\r\n]+/g, ' ')));
  if (!tty) return rows.map((r) => r.join('\t') + '\n').join('');
  if (rows.length === 0) return '';
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd() + '\n';
  return line(headers.map((h) => h.toUpperCase())) + rows.map(line).join('');
}

/** A masked diff line: values never shown, only whether a key is added, changed or removed. */
export function renderDiff(diff: { added: string[]; changed: string[]; removed: string[] }): string {
  return [
    ...diff.added.map((k) => `+ ${k}`),
    ...diff.changed.map((k) => `~ ${k}`),
    ...diff.removed.map((k) => `- ${k}`),
  ]
    .map((l) => l + '\n')
    .join('');
}

const MARK = { added: '+', changed: '~', removed: '-', unchanged: '=' } as const;

/**
 * A diff, one key per line: `+ KEY`, `~ KEY`, `- KEY` (and `= KEY` for a proposed no-op). Values
 * appear only with `reveal`, JSON-quoted so multi-line values stay on one line and nothing is ambiguous.
 */
export function renderChanges(
  entries: Array<{ key: string; change: keyof typeof MARK; from?: string | null; to?: string | null }>,
  reveal: boolean,
): string {
  return entries
    .map((e) => {
      const head = `${MARK[e.change]} ${e.key}`;
      if (!reveal) return head + '\n';
      const q = (v: string | null | undefined) => (v === null || v === undefined ? '(unknown)' : JSON.stringify(v));
      if (e.change === 'added') return `${head}=${q(e.to)}\n`;
      if (e.change === 'removed') return `${head}=${q(e.from)}\n`;
      if (e.change === 'unchanged') return `${head}=${q(e.to ?? e.from)}\n`;
      return `${head}: ${q(e.from)} -> ${q(e.to)}\n`;
    })
    .join('');
}
