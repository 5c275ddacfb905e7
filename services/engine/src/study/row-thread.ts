import type { Dataset, DatasetInit } from '../data/dataset.js';
import type { EvaluationReport } from '../evaluate/evaluate-model.js';
import type { JobEvent, StageIo } from '../jobs/stages.js';
import { besideModule } from '../parallel/start-thread.js';
import { runOnTaskThread } from '../parallel/task-thread.js';
import type { StudyDatasetSettings } from './settings.js';
import type { ChosenGenotype } from './train-row.js';

/** What a row thread is started with: plain data only (the data sets' bytes are copied). */
export interface RowThreadInit {
  row: { id: string; seed: number };
  chosen: ChosenGenotype;
  perDataset: StudyDatasetSettings;
  data: { train: DatasetInit; test: DatasetInit };
  outDir: string;
  /** The backend the caller runs on, for the thread's own TF.js instance. */
  backend?: string;
}

/**
 * trainAndEvaluateRow on a thread of its own, with its own TF.js instance: retraining and attacks run on one
 * engine thread, so a study runs as many rows at once as it has threads. Same result as on the caller's thread
 * (one engine thread either way); undefined when `io.signal` stopped it.
 */
export function trainAndEvaluateRowOffThread(
  init: Omit<RowThreadInit, 'data'> & { data: { train: Dataset; test: Dataset } },
  io: StageIo,
): Promise<EvaluationReport | undefined> {
  const plain: RowThreadInit = {
    ...init,
    data: { train: datasetInit(init.data.train), test: datasetInit(init.data.test) },
  };
  return runOnTaskThread<JobEvent, EvaluationReport | undefined>(
    besideModule('./row-thread-entry.ts', import.meta.url),
    plain,
    { onEvent: (event) => io.emit(event), ...(io.signal && { signal: io.signal }) },
  );
}

/** A Dataset as the plain fields it is built from. */
function datasetInit(d: Dataset): DatasetInit {
  return {
    name: d.name,
    split: d.split,
    height: d.height,
    width: d.width,
    channels: d.channels,
    classes: d.classes,
    pixels: d.pixels,
    labels: d.labels,
    flippable: d.flippable,
    ...(d.classNames && { classNames: d.classNames }),
  };
}
