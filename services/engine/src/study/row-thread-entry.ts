// The row thread of row-thread.ts: initialises its own backend, rebuilds the data sets, trains and attacks one row.
import { initBackend } from '../backend.js';
import { Dataset } from '../data/dataset.js';
import type { EvaluationReport } from '../evaluate/evaluate-model.js';
import type { JobEvent } from '../jobs/stages.js';
import { serveTaskThread } from '../parallel/task-thread.js';
import { lowerThisThreadPriority } from '../parallel/thread-priority.js';
import type { RowThreadInit } from './row-thread.js';
import { trainAndEvaluateRow } from './train-row.js';

// Below the thread that started it, which must answer at once.
lowerThisThreadPriority();
await serveTaskThread<RowThreadInit, JobEvent, EvaluationReport | undefined>(async (init, { signal, emit }) => {
  await initBackend(init.backend);
  const data = { train: new Dataset(init.data.train), test: new Dataset(init.data.test) };
  return trainAndEvaluateRow(init.row, init.chosen, init.perDataset, data, { emit, signal }, init.outDir);
});
