/** A status change as the stage timeline reads it. */
export interface StageChange {
  stage?: string | null | undefined;
  at: Date;
}

/** One stage a run went through: when it was first entered and when the next began (or the run ended). */
export interface StageSpan {
  stage: string;
  startedAt: Date;
  endedAt?: Date | undefined;
}

/**
 * The stages of a run in the order it entered them, from its status history (sorted by time). A
 * redelivered job repeats a stage; the span then keeps its first start and reaches to the end of
 * the repeat, since the stage was not over until then.
 */
export function stageTimeline(history: readonly StageChange[], finishedAt?: Date | null): StageSpan[] {
  const spans: StageSpan[] = [];
  for (const change of history) {
    if (!change.stage) continue;
    const current = spans.at(-1);
    if (current?.stage === change.stage) continue;
    const earlier = spans.find((s) => s.stage === change.stage);
    if (current) current.endedAt = change.at;
    if (earlier) {
      // Back to a stage already seen (a retry): it is current again.
      spans.splice(spans.indexOf(earlier), 1);
      earlier.endedAt = undefined;
      spans.push(earlier);
    } else {
      spans.push({ stage: change.stage, startedAt: change.at });
    }
  }
  const last = spans.at(-1);
  if (last && finishedAt) last.endedAt = finishedAt;
  return spans;
}
