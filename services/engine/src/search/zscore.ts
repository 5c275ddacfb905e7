/** Standard scores, as LRNAS uses them to put clean and adversarial drops (and update values) on one scale. */

/**
 * (x - mean) / std with the population standard deviation; values that are all equal (zero spread) give all
 * zeros. Non-finite inputs are rejected: a NaN would silently poison every score.
 */
export function zScore(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const out = new Float64Array(n);
  if (n === 0) return out;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) throw new RangeError(`zScore needs finite values; value ${i} is ${v}`);
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  // Checked exactly: the rounded mean of equal values can differ from them by an ulp, which would turn
  // rounding noise into scores of +-1.
  if (min === max) return out;
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const d = (values[i] as number) - mean;
    squares += d * d;
  }
  const std = Math.sqrt(squares / n);
  if (std === 0) return out;
  for (let i = 0; i < n; i++) out[i] = ((values[i] as number) - mean) / std;
  return out;
}
