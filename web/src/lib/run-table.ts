/** The runs table of an experiment: rows from the API, sorted and filtered in the browser. */

export interface RunRow {
  id: string;
  kind: string;
  status: string;
  stage: string | null;
  workerId: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  architecture: { hash: string; params: number } | null;
  evaluations: { cleanAccuracy: number; robustAccuracy: number }[];
}

export type SortKey = 'createdAt' | 'status' | 'kind' | 'params' | 'clean' | 'robust' | 'duration' | 'worker';

export interface TableState {
  sort: SortKey;
  descending: boolean;
  status: string;
  kind: string;
  text: string;
}

/** Clean and robust accuracy of a run: the worst case over its evaluations (robust), and the clean of that one. */
export function accuracies(row: RunRow): { clean: number | null; robust: number | null } {
  if (row.evaluations.length === 0) return { clean: null, robust: null };
  const worst = row.evaluations.reduce((a, b) => (b.robustAccuracy < a.robustAccuracy ? b : a));
  return { clean: worst.cleanAccuracy, robust: worst.robustAccuracy };
}

/** Milliseconds from start to end (or to `now` while running); null before it started. */
export function duration(row: RunRow, now: number): number | null {
  if (!row.startedAt) return null;
  const end = row.finishedAt ? Date.parse(row.finishedAt) : now;
  return Math.max(0, end - Date.parse(row.startedAt));
}

function sortValue(row: RunRow, key: SortKey, now: number): number | string | null {
  switch (key) {
    case 'createdAt':
      return Date.parse(row.createdAt);
    case 'status':
      return row.status;
    case 'kind':
      return row.kind;
    case 'params':
      return row.architecture?.params ?? null;
    case 'clean':
      return accuracies(row).clean;
    case 'robust':
      return accuracies(row).robust;
    case 'duration':
      return duration(row, now);
    case 'worker':
      return row.workerId;
  }
}

/** The rows that pass the filters, sorted; rows without a value for the sort key come last either way. */
export function viewRows(rows: readonly RunRow[], state: TableState, now: number): RunRow[] {
  const text = state.text.trim().toLowerCase();
  const kept = rows.filter(
    (r) =>
      (!state.status || r.status === state.status) &&
      (!state.kind || r.kind === state.kind) &&
      (!text || r.id.toLowerCase().includes(text) || (r.workerId ?? '').toLowerCase().includes(text)),
  );
  const sign = state.descending ? -1 : 1;
  return kept
    .map((row) => ({ row, value: sortValue(row, state.sort, now) }))
    .sort((a, b) => {
      if (a.value === null || b.value === null) return a.value === b.value ? 0 : a.value === null ? 1 : -1;
      if (a.value < b.value) return -sign;
      if (a.value > b.value) return sign;
      return 0;
    })
    .map((x) => x.row);
}

/** Puts a changed run into the rows: replaces the row with its id, or adds it first. */
export function upsertRow<T extends { id: string }>(rows: readonly T[], row: T): T[] {
  const i = rows.findIndex((r) => r.id === row.id);
  if (i < 0) return [row, ...rows];
  const next = rows.slice();
  next[i] = row;
  return next;
}
