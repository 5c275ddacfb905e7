import fs from 'node:fs/promises';
import path from 'node:path';
import type { Genotype } from '@lrnas/schema';
import type { Dataset } from '../data/dataset.js';
import type { EvaluationReport } from '../evaluate/evaluate-model.js';
import { loadExportedModel } from '../files/model-export.js';
import { openTraining, runEvaluateStage, runTrainStage, type StageIo } from '../jobs/stages.js';
import { validateTrainSettings } from '../train/settings.js';
import type { StudyDatasetSettings } from './settings.js';

/** A row's network: its genotype and size (the searched rows' shape, or a baseline's scaled C). */
export interface ChosenGenotype {
  genotype: Genotype;
  shape: { channels: number; layers: number };
}

/**
 * Adversarial retraining of a row's network in `outDir/<row id>` (resumed from its checkpoint), then the
 * study's attacks; undefined when stopped.
 */
export async function trainAndEvaluateRow(
  row: { id: string; seed: number },
  chosen: ChosenGenotype,
  perDataset: StudyDatasetSettings,
  data: { train: Dataset; test: Dataset },
  io: StageIo,
  outDir: string,
): Promise<EvaluationReport | undefined> {
  const dir = path.join(outDir, row.id);
  await fs.mkdir(dir, { recursive: true });
  const training = validateTrainSettings({ ...perDataset.training, ...chosen.shape });
  // The retraining seed is the row's seed: every row of a seed starts its training from the same random stream.
  const opened = await openTraining(dir, data, { genotype: chosen.genotype, settings: training, seed: row.seed });
  let model: string | undefined;
  try {
    const result = await runTrainStage(opened, { train: data.train }, io);
    if (result.status !== 'completed') return undefined;
    model = result.model;
  } finally {
    opened.trainer.dispose();
  }
  const loaded = await loadExportedModel(model!);
  try {
    return await runEvaluateStage(dir, loaded.network, data.test, { ...perDataset.evaluate, seed: row.seed }, io);
  } finally {
    loaded.network.dispose();
  }
}
