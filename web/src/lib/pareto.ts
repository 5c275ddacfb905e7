/** The Pareto front of size against robustness: points no other point beats on both. */

export interface SizedScore {
  params: number;
  robustAccuracy: number;
}

/**
 * Indices of the points on the front (fewer parameters and higher robust accuracy are better),
 * ordered smallest first. A point is dominated when another is at least as good on both axes and
 * strictly better on one; equal points all stay on the front.
 */
export function paretoFront<T extends SizedScore>(points: readonly T[]): number[] {
  const order = points
    .map((p, i) => i)
    .sort((a, b) => points[a]!.params - points[b]!.params || points[b]!.robustAccuracy - points[a]!.robustAccuracy);
  const front: number[] = [];
  let best = -Infinity;
  let bestParams = NaN;
  for (const i of order) {
    const p = points[i]!;
    if (p.robustAccuracy > best) {
      front.push(i);
      best = p.robustAccuracy;
      bestParams = p.params;
    } else if (p.robustAccuracy === best && p.params === bestParams) {
      front.push(i);
    }
  }
  return front;
}
