import { setBatchStatisticsReducer } from './batch-norm-train.js';

/**
 * Test helper: sets a batch-statistics reducer standing for a second engine thread that holds the same images, so the
 * whole batch's sums are twice this thread's, and counts the threads' meetings in the returned counter (which a
 * test may reset). The caller clears it with setBatchStatisticsReducer(undefined).
 */
export function useTwinThreadReducer(): { meetings: number } {
  const counter = { meetings: 0 };
  setBatchStatisticsReducer({
    allReduce: (values) => {
      counter.meetings++;
      return values.map((v) => 2 * v);
    },
    batchPerLocal: 2,
  });
  return counter;
}
