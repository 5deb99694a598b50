/** Column definition for DataTable: values are sorted and filtered; `text` is what is shown (as text). */
export interface Column<T> {
  key: string;
  label: string;
  /** Longer header explanation (title attribute and screen readers). */
  title?: string;
  numeric?: boolean;
  mono?: boolean;
  value: (row: T) => number | string | null | undefined;
  text?: (row: T) => string;
  /** Extra class for the cell (e.g. severity colour). */
  cellClass?: (row: T) => string;
}

export type SortDir = 'asc' | 'desc';

export function sortRows<T>(rows: readonly T[], col: Column<T> | undefined, dir: SortDir): T[] {
  if (!col) return [...rows];
  const sign = dir === 'asc' ? 1 : -1;
  return rows
    .map((r, i) => ({ r, i, v: col.value(r) }))
    .sort((a, b) => {
      const av = a.v;
      const bv = b.v;
      // Missing values sort last whatever the direction.
      if (av === null || av === undefined) return bv === null || bv === undefined ? a.i - b.i : 1;
      if (bv === null || bv === undefined) return -1;
      const c = typeof av === 'number' && typeof bv === 'number' ? av - bv : String(av).localeCompare(String(bv), 'en', { numeric: true });
      return c === 0 ? a.i - b.i : c * sign;
    })
    .map((x) => x.r);
}

export function filterRows<T>(rows: readonly T[], columns: readonly Column<T>[], query: string): T[] {
  const terms = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (terms.length === 0) return [...rows];
  return rows.filter((r) => {
    const hay = columns.map((c) => (c.text ? c.text(r) : String(c.value(r) ?? ''))).join(' ').toLowerCase();
    return terms.every((t) => hay.includes(t));
  });
}
