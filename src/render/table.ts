/**
 * Plain-text tables as Linkerd's CLI prints them (cli/table): a header row,
 * columns padded to a minimum width (flexible ones grow to their widest
 * cell), left- or right-aligned, two spaces after every column, rows sorted
 * by the given columns. Pure.
 */
export interface TableColumn {
  header: string;
  width: number;
  /** Grow to the widest cell. */
  flexible?: boolean;
  leftAlign?: boolean;
}

const SPACING = '  ';

export function renderTable(columns: TableColumn[], rows: string[][], sortBy: number[] = []): string {
  const widths = columns.map((c, i) => (c.flexible ? Math.max(c.width, ...rows.map((r) => [...r[i]!].length)) : c.width));
  const sorted = [...rows].sort((a, b) => {
    for (const i of sortBy) if (a[i]! !== b[i]!) return a[i]! < b[i]! ? -1 : 1;
    return 0;
  });
  const line = (row: string[]) =>
    columns
      .map((c, i) => {
        const value = [...row[i]!].slice(0, widths[i]).join('');
        const pad = ' '.repeat(widths[i]! - [...value].length);
        return (c.leftAlign ? value + pad : pad + value) + SPACING;
      })
      .join('') + '\n';
  return line(columns.map((c) => c.header)) + sorted.map(line).join('');
}
