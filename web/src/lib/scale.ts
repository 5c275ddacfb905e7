/** The value range of a heat map's colour scale. */

export interface Domain {
  min: number;
  max: number;
}

/** The extent of the finite values, widened when flat so a scale never divides by zero. */
export function extent(values: Iterable<number | null>): Domain | null {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v === null || !Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === Infinity) return null;
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.05;
    return { min: min - pad, max: max + pad };
  }
  return { min, max };
}
