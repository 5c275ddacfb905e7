/** A metric point as series carry it. */
export interface SeriesPoint {
  step: number;
  value: number | null;
}

/**
 * At most `max` points of a series sorted by step, for charts: the first and last points, and per
 * bucket of steps its lowest and highest value, so spikes and dips survive the thinning. Points
 * without a value (not finite) are kept where they fall as bucket extremes would hide them.
 */
export function downsample<P extends SeriesPoint>(points: readonly P[], max: number): P[] {
  if (!Number.isInteger(max) || max < 2) throw new RangeError(`max must be a whole number of at least 2, got ${max}`);
  if (points.length <= max) return [...points];
  const first = points[0]!;
  const last = points[points.length - 1]!;
  const inner = points.slice(1, -1);
  // Each bucket contributes up to two points (its min and max); a null marks a bucket as well.
  const buckets = Math.max(1, Math.floor((max - 2) / 2));
  const kept: P[] = [];
  for (let b = 0; b < buckets; b++) {
    const slice = inner.slice(Math.floor((b * inner.length) / buckets), Math.floor(((b + 1) * inner.length) / buckets));
    if (slice.length === 0) continue;
    const missing = slice.find((p) => p.value === null);
    const finite = slice.filter((p) => p.value !== null);
    if (finite.length === 0) {
      kept.push(missing!);
      continue;
    }
    let low = finite[0]!;
    let high = finite[0]!;
    for (const p of finite) {
      if (p.value! < low.value!) low = p;
      if (p.value! > high.value!) high = p;
    }
    const pair = low === high ? [low] : low.step < high.step ? [low, high] : [high, low];
    // A non-finite value in the bucket replaces the less extreme of the two, so it stays visible.
    if (missing && pair.length === 2) pair[1] = missing;
    else if (missing) pair.push(missing);
    kept.push(...pair.sort((a, b) => a.step - b.step));
  }
  return [first, ...kept, last];
}
