/** Linear scales and ticks for the SVG scatter and heat maps. */

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

/** A function mapping the domain onto the pixel range [from, to]. */
export function linear(domain: Domain, from: number, to: number): (v: number) => number {
  const k = (to - from) / (domain.max - domain.min);
  return (v) => from + (v - domain.min) * k;
}

/** About `count` round tick values (1, 2 or 5 times a power of ten apart, the nearest to span/count) inside the domain. */
export function ticks(domain: Domain, count = 5): number[] {
  const span = domain.max - domain.min;
  if (!(span > 0) || !Number.isFinite(span)) return [domain.min];
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const ratio = raw / power;
  const step = (ratio >= Math.sqrt(50) ? 10 : ratio >= Math.sqrt(10) ? 5 : ratio >= Math.sqrt(2) ? 2 : 1) * power;
  const out: number[] = [];
  for (let v = Math.ceil(domain.min / step) * step; v <= domain.max + step * 1e-9; v += step) {
    out.push(Number(v.toPrecision(12)));
  }
  return out;
}

/**
 * Round ticks for a log10 axis whose domain is given in log10 units: 1, 2 and 5 times powers of
 * ten inside it (returned in log10 units); when the span is too narrow for two of them, round
 * values of the plain numbers instead.
 */
export function logTicks(domain: Domain): number[] {
  const out: number[] = [];
  for (let power = Math.floor(domain.min); power <= Math.ceil(domain.max); power++) {
    for (const m of [1, 2, 5]) {
      const t = power + Math.log10(m);
      if (t >= domain.min - 1e-9 && t <= domain.max + 1e-9) out.push(t);
    }
  }
  if (out.length >= 2) return out;
  return ticks({ min: 10 ** domain.min, max: 10 ** domain.max }, 4)
    .filter((v) => v > 0)
    .map(Math.log10);
}
