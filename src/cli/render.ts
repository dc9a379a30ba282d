/** Renders rows as an aligned table on a TTY, or as tab-separated lines (no header) when piped. */
export function renderTable(headers: string[], rows: string[][], tty: boolean): string {
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
