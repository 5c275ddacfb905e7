/** The leaderboard's entries as a scatter's aligned columns. */

export interface ScatterPoint {
  id: string;
  x: number;
  y: number;
  label: string;
  onFront: boolean;
}

/**
 * Columns for a chart whose x must ascend: the points sorted by x (parameters), their y, and the
 * y of front points only (undefined elsewhere, so the front's line joins its own points).
 */
export function scatterData(points: readonly ScatterPoint[]): {
  ids: string[];
  labels: string[];
  xs: number[];
  ys: number[];
  front: (number | undefined)[];
} {
  const sorted = [...points].sort((a, b) => a.x - b.x || a.y - b.y);
  return {
    ids: sorted.map((p) => p.id),
    labels: sorted.map((p) => p.label),
    xs: sorted.map((p) => p.x),
    ys: sorted.map((p) => p.y),
    front: sorted.map((p) => (p.onFront ? p.y : undefined)),
  };
}
