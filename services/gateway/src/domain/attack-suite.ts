/** One evaluation of a trained run under one attack. */
export interface AttackResult {
  runId: string;
  attack: string;
  robustAccuracy: number;
  cleanAccuracy: number;
}

/** What a trained run scored against a whole suite of attacks. */
export interface SuiteResult<T extends AttackResult> {
  runId: string;
  /** Accuracy under the strongest attack of the suite: an input counts as robust only if every attack failed on it (bounded from above by the weakest result). */
  robustAccuracy: number;
  cleanAccuracy: number;
  /** The evaluation that set `robustAccuracy`. */
  decisive: T;
  /** Every evaluation of the suite, strongest attack first. */
  evaluations: T[];
}

/**
 * Groups evaluations by the run they attacked and scores each run by its worst case, the usual
 * way of reporting robustness against a suite (a model is only as robust as the best attack
 * against it allows).
 */
export function combineSuites<T extends AttackResult>(evaluations: readonly T[]): SuiteResult<T>[] {
  const byRun = new Map<string, T[]>();
  for (const e of evaluations) {
    const list = byRun.get(e.runId) ?? [];
    list.push(e);
    byRun.set(e.runId, list);
  }
  return [...byRun.entries()].map(([runId, list]) => {
    const sorted = [...list].sort((a, b) => a.robustAccuracy - b.robustAccuracy || a.attack.localeCompare(b.attack));
    const decisive = sorted[0]!;
    return {
      runId,
      robustAccuracy: decisive.robustAccuracy,
      cleanAccuracy: decisive.cleanAccuracy,
      decisive,
      evaluations: sorted,
    };
  });
}
