/** One candidate of a size-against-robustness comparison. */
export interface SizeRobustness {
  params: number;
  robustAccuracy: number;
}

/**
 * The Pareto front of smaller-is-better parameters against higher-is-better robust accuracy: the
 * entries no other entry beats on both, sorted by parameters. Of exact ties, the first is kept.
 */
export function paretoFront<T extends SizeRobustness>(entries: readonly T[]): T[] {
  const sorted = [...entries].sort((a, b) => a.params - b.params || b.robustAccuracy - a.robustAccuracy);
  const front: T[] = [];
  let best = -Infinity;
  for (const entry of sorted) {
    // Walking up in size, an entry is on the front only if it is more robust than all smaller ones.
    if (entry.robustAccuracy > best) {
      front.push(entry);
      best = entry.robustAccuracy;
    }
  }
  return front;
}
