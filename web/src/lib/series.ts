/** Metric series as the charts hold them: points by step, merged from queries and live batches. */

export interface Point {
  step: number;
  value: number | null;
}

export type SeriesByKey = Record<string, Point[]>;

/**
 * Merges new points into a series: a point at a step already present replaces it (a replayed or
 * corrected event), the result is sorted by step. Returns a new array; the input is not changed.
 */
export function mergePoints(existing: readonly Point[], added: readonly Point[]): Point[] {
  if (added.length === 0) return existing.slice();
  const byStep = new Map<number, Point>();
  for (const p of existing) byStep.set(p.step, p);
  for (const p of added) byStep.set(p.step, { step: p.step, value: p.value });
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

/** Merges a batch of series (as `metricsAdded` sends them) into the series of a run. */
export function mergeBatch(
  series: SeriesByKey,
  batch: readonly { key: string; points: readonly Point[] }[],
): SeriesByKey {
  const next: SeriesByKey = { ...series };
  for (const { key, points } of batch) next[key] = mergePoints(next[key] ?? [], points);
  return next;
}

/** What a metric measures, from the last part of its key. */
export function quantityOf(key: string): string {
  const name = key.slice(key.lastIndexOf('/') + 1);
  if (/acc/.test(name)) return 'accuracy';
  if (/loss/.test(name)) return 'loss';
  if (/^lr$|learning_?rate/.test(name)) return 'learning rate';
  return name;
}

const QUANTITY_ORDER = ['loss', 'accuracy', 'learning rate'];

/**
 * Metric keys grouped into charts: one chart per source (the key without its last part, e.g.
 * `search` for per-step points, `search/epoch` for per-epoch ones, whose steps mean different
 * things) and quantity, titled like `search/epoch · accuracy`. Loss, accuracy and learning rate
 * first, then the rest, each in the order the sources appear.
 */
export function chartGroups(keys: readonly string[]): { title: string; quantity: string; keys: string[] }[] {
  const groups = new Map<string, { title: string; quantity: string; keys: string[] }>();
  for (const key of [...keys].sort()) {
    const source = key.includes('/') ? key.slice(0, key.lastIndexOf('/')) : '';
    const quantity = quantityOf(key);
    const title = source ? `${source} · ${quantity}` : quantity;
    const group = groups.get(title) ?? { title, quantity, keys: [] };
    group.keys.push(key);
    groups.set(title, group);
  }
  const rank = (q: string) => (QUANTITY_ORDER.includes(q) ? QUANTITY_ORDER.indexOf(q) : QUANTITY_ORDER.length);
  return [...groups.values()].sort(
    (a, b) =>
      rank(a.quantity) - rank(b.quantity) ||
      (rank(a.quantity) === 3 ? a.quantity.localeCompare(b.quantity) : 0) ||
      a.title.localeCompare(b.title),
  );
}

/** The last finite value of a series, or null. */
export function lastValue(points: readonly Point[]): number | null {
  for (let i = points.length - 1; i >= 0; i--) {
    const v = points[i]!.value;
    if (v !== null && Number.isFinite(v)) return v;
  }
  return null;
}

/**
 * At most about `max` points for drawing: the first and last, and per bucket of steps its lowest
 * and highest value (so spikes survive), in step order. Short series come back unchanged.
 */
export function thin(points: readonly Point[], max: number): Point[] {
  if (points.length <= max) return points.slice();
  const buckets = Math.max(1, Math.floor((max - 2) / 2));
  const inner = points.slice(1, -1);
  const size = inner.length / buckets;
  const out: Point[] = [points[0]!];
  for (let b = 0; b < buckets; b++) {
    const bucket = inner.slice(Math.floor(b * size), Math.floor((b + 1) * size));
    let lo: Point | undefined;
    let hi: Point | undefined;
    for (const p of bucket) {
      if (p.value === null) continue;
      if (!lo || p.value < lo.value!) lo = p;
      if (!hi || p.value > hi.value!) hi = p;
    }
    // A bucket of only gaps keeps one gap, so the line still breaks there.
    if (!lo || !hi) {
      if (bucket[0]) out.push(bucket[0]);
      continue;
    }
    if (lo === hi) out.push(lo);
    else out.push(...(lo.step < hi.step ? [lo, hi] : [hi, lo]));
  }
  out.push(points.at(-1)!);
  return out;
}
