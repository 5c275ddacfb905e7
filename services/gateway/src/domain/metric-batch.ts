/** A metric point of a batch of events, as it is written. */
export interface BatchPoint {
  runId: string;
  key: string;
  step: number;
  value: number | null;
  time: Date;
}

/**
 * The metric points of one ingestion batch, per run, each (run, key, step) once: the last written
 * wins, at the place of the first (a replayed point must not become a second row, and PostgreSQL
 * refuses a statement that updates a row twice). Workers send each key's steps in increasing
 * order, so a point whose step is above its key's last one cannot repeat an earlier point: only
 * a run where some step is not is deduplicated by a map of every point, which costs a string key
 * per point (a batch of 250,000 points spent a third of its time there).
 */
export class MetricBatch {
  readonly #runs = new Map<string, { points: BatchPoint[]; lastStep: Map<string, number>; repeats: boolean }>();

  /**
   * Adds an event's points (in the order the worker sent them), measured at `time` unless a point
   * carries its own (a logged run's batches: an ISO time).
   */
  add(
    runId: string,
    points: readonly { key: string; step: number; value: number | null; time?: string | undefined }[],
    time: Date,
  ): void {
    let run = this.#runs.get(runId);
    if (!run) {
      run = { points: [], lastStep: new Map(), repeats: false };
      this.#runs.set(runId, run);
    }
    for (const point of points) {
      const { key, step, value } = point;
      const last = run.lastStep.get(key);
      if (last !== undefined && step <= last) run.repeats = true;
      else run.lastStep.set(key, step);
      run.points.push({ runId, key, step, value, time: point.time ? new Date(point.time) : time });
    }
  }

  get size(): number {
    let size = 0;
    for (const run of this.#runs.values()) size += run.points.length;
    return size;
  }

  /** Each run's points, each (key, step) once. */
  byRun(): Map<string, BatchPoint[]> {
    const result = new Map<string, BatchPoint[]>();
    for (const [runId, run] of this.#runs) result.set(runId, run.repeats ? lastWriteWins(run.points) : run.points);
    return result;
  }
}

function lastWriteWins(points: readonly BatchPoint[]): BatchPoint[] {
  return [...new Map(points.map((p) => [`${p.key}\u0000${p.step}`, p])).values()];
}
