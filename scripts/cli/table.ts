export type Cell = string | number | null | undefined;

export interface TableLayout {
  /** Between columns; default two spaces. */
  separator?: string;
  /** Before every line, e.g. to indent the table under a heading. */
  indent?: string;
  /** Columns (from 0) whose cells are aligned right, such as numbers. */
  alignRight?: number[];
  /** A line of dashes between the headers and the rows. */
  rule?: boolean;
}

/**
 * A plain-text table: each column as wide as its widest cell, null and undefined as empty
 * cells, no spaces at the end of a line.
 */
export function textTable(headers: string[], rows: Cell[][], layout: TableLayout = {}): string {
  const { separator = '  ', indent = '', alignRight = [] } = layout;
  const cells = [headers, ...rows.map((row) => headers.map((_, column) => text(row[column])))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  const line = (row: string[]) =>
    `${indent}${row
      .map((cell, column) =>
        alignRight.includes(column) ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0),
      )
      .join(separator)}`.trimEnd();
  const rule = `${indent}${widths.map((width) => '-'.repeat(width)).join(separator.replaceAll(' ', '-'))}`;
  const [head, ...body] = cells.map(line);
  return [head, ...(layout.rule ? [rule] : []), ...body].join('\n');
}

function text(cell: Cell): string {
  return cell === undefined || cell === null ? '' : String(cell);
}
