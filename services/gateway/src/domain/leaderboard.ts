/** An evaluation as the leaderboard ranks it. */
export interface RankedEvaluation {
  architectureHash: string;
  params: number;
  robustAccuracy: number;
  cleanAccuracy: number;
}

/**
 * One row per architecture, its best evaluation, ranked by robust accuracy; ties go to the
 * smaller network, then to the higher clean accuracy.
 */
export function rankLeaderboard<T extends RankedEvaluation>(evaluations: readonly T[], maxParams?: number): T[] {
  const best = new Map<string, T>();
  for (const e of evaluations) {
    if (maxParams !== undefined && e.params > maxParams) continue;
    const current = best.get(e.architectureHash);
    if (!current || compare(e, current) < 0) best.set(e.architectureHash, e);
  }
  return [...best.values()].sort(compare);
}

function compare(a: RankedEvaluation, b: RankedEvaluation): number {
  return b.robustAccuracy - a.robustAccuracy || a.params - b.params || b.cleanAccuracy - a.cleanAccuracy;
}
