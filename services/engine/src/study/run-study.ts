import fs from 'node:fs/promises';
import path from 'node:path';
import {
  ContractError,
  type AttackSpec,
  type DatasetName,
  type Genotype,
  type StudyArm,
  type ThreatModel,
} from '@lrnas/schema';
import { backendLabel } from '../backend.js';
import { attackAsUsed } from '../jobs/contract-events.js';
import type { Dataset } from '../data/dataset.js';
import type { EvaluationReport } from '../evaluate/evaluate-model.js';
import { loadExportedModel } from '../files/model-export.js';
import { fileExists, readJson, writeJson } from '../jobs/files.js';
import {
  openSearch,
  openTraining,
  readSearchOutputs,
  runEvaluateStage,
  runSearchStage,
  runTrainStage,
} from '../jobs/stages.js';
import type { JobEvent, StageIo } from '../jobs/stages.js';
import { countFlops, countParameters } from '../nn/cost.js';
import { deriveSeedFromParts } from '../random.js';
import { selectBySettings } from '../search/selection.js';
import type { SearchSettings, SelectionSettings } from '../search/settings.js';
import { validateTrainSettings } from '../train/settings.js';
import { studyRowKey } from './row-key.js';
import { PUBLISHED_GENOTYPES, randomGenotypeWithin, resnetGenotype, scaleToBudget } from './baselines.js';
import type { StudyDatasetSettings, StudySettings } from './settings.js';

/** One trained and attacked network of a study. */
export interface StudyRow {
  dataset: DatasetName;
  arm: StudyArm;
  seed: number;
  /** Which random genotype of its seed (0 for every other row). */
  index: number;
  genotype: Genotype;
  channels: number;
  layers: number;
  params: number;
  flops: number;
  cleanAccuracy: number;
  /** Robust accuracy per attack name (fgsm, pgd, apgd-ce). */
  attacks: Record<string, number>;
  /** Per example worst case over the attacks. */
  worstCase: number;
  seconds: number;
  /** What a platform needs to file the row as a run of its own (the worker's study-row event). */
  record?: StudyRowRecord;
}

/** How a row's network was shaped and measured, beside its figures. */
export interface StudyRowRecord {
  classes: number;
  inputChannels: number;
  imageSize: number;
  threatModel: ThreatModel;
  examples: number;
  /** Every attack as it ran (defaults filled in), with its robust accuracy. */
  attacks: { attack: AttackSpec; robustAccuracy: number }[];
  backend: string;
  engineVersion: string;
}

/** Where a study is: rows done of rows in all, and what it works on now. */
export interface StudyProgress {
  done: number;
  total: number;
  row: string;
  /** The stage's own event (search epoch, training step, evaluation batch), for finer progress. */
  event?: JobEvent;
}

/** What a study needs besides its settings. */
export interface StudyOptions {
  /** Folder of every search, training and evaluation; a rerun on it resumes and skips finished rows. */
  outDir: string;
  /** The training and test images of a data set (the CLI loads the packaged sets; tests pass small ones). */
  loadData: (
    dataset: DatasetName,
    trainImages: number,
    testImages: number,
  ) => Promise<{ train: Dataset; test: Dataset }>;
  onProgress?: (progress: StudyProgress) => void;
  /** Told of every finished row: first those a resumed study finds in rows.json, then each as it finishes. */
  onRow?: (row: StudyRow, done: number, total: number) => void;
  signal?: AbortSignal;
  threads?: number;
}

/** One row to run: its name, where it is stored, and how its genotype is found. */
interface RowPlan {
  dataset: DatasetName;
  arm: StudyArm;
  seed: number;
  index: number;
  id: string;
}

/** The search each searched row uses: the ablations change one setting, `no-greedy` reuses the `lrnas` search. */
const SEARCH_VARIANT: Partial<Record<StudyArm, { name: string; change: Partial<SearchSettings> }>> = {
  lrnas: { name: 'base', change: {} },
  'no-greedy': { name: 'base', change: {} },
  'no-warmup': { name: 'no-warmup', change: { warmupEpochs: 0 } },
  'reference-estimation': { name: 'reference', change: { estimationMode: 'reference' } },
};

/** Selection of the searched rows: DARTS parsing for `no-greedy`, strict greedy otherwise. */
const SELECTION_MODE: Partial<Record<StudyArm, SelectionSettings['mode']>> = {
  lrnas: 'strict',
  'no-greedy': 'no-greedy',
  'no-warmup': 'strict',
  'reference-estimation': 'strict',
};

/** Every row of a study in the order it runs: per data set, per seed, per arm (random: per genotype). */
export function planRows(settings: StudySettings): RowPlan[] {
  return settings.datasets.flatMap((dataset) =>
    settings.seeds.flatMap((seed) =>
      settings.arms.flatMap((arm) =>
        Array.from({ length: arm === 'random' ? settings.randomArchitectures : 1 }, (_, index) => ({
          dataset,
          arm,
          seed,
          index,
          id: studyRowKey({ dataset, seed, arm, index }),
        })),
      ),
    ),
  );
}

/**
 * Runs a study: per data set and seed, the searches its searched rows need (once per variant), then for every
 * row its genotype (selected, published and scaled, or sampled within the budget), the same adversarial
 * retraining and the same attacks. Every stage checkpoints in `outDir` and finished rows are kept in
 * rows.json, so a rerun resumes. Returns the rows, in plan order, or undefined when the signal stopped it.
 */
export async function runStudy(settings: StudySettings, options: StudyOptions): Promise<StudyRow[] | undefined> {
  const { outDir } = options;
  await fs.mkdir(outDir, { recursive: true });
  await checkSettingsFile(path.join(outDir, 'study-settings.json'), settings);
  const rowsFile = path.join(outDir, 'rows.json');
  const finished = new Map<string, StudyRow>(
    (await fileExists(rowsFile)) ? Object.entries((await readJson(rowsFile)) as Record<string, StudyRow>) : [],
  );
  const plan = planRows(settings);
  let done = plan.filter((r) => finished.has(r.id)).length;
  // A resumed study tells of its earlier rows again: whoever was told before may have missed them (a worker died).
  for (const r of plan) {
    const row = finished.get(r.id);
    if (row) options.onRow?.(row, done, plan.length);
  }
  const data = new Map<DatasetName, { train: Dataset; test: Dataset }>();

  for (const row of plan) {
    if (finished.has(row.id)) continue;
    const perDataset = settings.perDataset[row.dataset];
    if (!perDataset) throw new ContractError('perDataset', `has no settings for ${row.dataset}`);
    let loaded = data.get(row.dataset);
    if (!loaded) {
      loaded = await options.loadData(row.dataset, perDataset.trainImages, perDataset.evaluate.examples ?? 1000);
      data.set(row.dataset, loaded);
    }
    const io: StageIo = {
      emit: (event) => options.onProgress?.({ done, total: plan.length, row: row.id, event }),
      ...(options.signal && { signal: options.signal }),
    };
    const began = performance.now();
    const chosen = await chooseGenotype(row, settings, perDataset, loaded.train, io, options);
    if (!chosen) return undefined;
    const result = await trainAndEvaluate(row, chosen, perDataset, loaded, io, outDir);
    if (!result) return undefined;
    const shape = { ...chosen.shape, classes: loaded.train.classes, inputChannels: loaded.train.channels };
    const byName = Object.fromEntries(result.attacks.map((a) => [a.name, a.robustAccuracy]));
    const asked = perDataset.evaluate.attacks;
    const studyRow: StudyRow = {
      dataset: row.dataset,
      arm: row.arm,
      seed: row.seed,
      index: row.index,
      genotype: chosen.genotype,
      channels: chosen.shape.channels,
      layers: chosen.shape.layers,
      params: countParameters(chosen.genotype, shape),
      flops: countFlops(chosen.genotype, shape, loaded.train.height),
      cleanAccuracy: result.cleanAccuracy,
      attacks: byName,
      worstCase: result.robustAccuracy,
      seconds: (performance.now() - began) / 1000,
      record: {
        classes: shape.classes,
        inputChannels: shape.inputChannels,
        imageSize: loaded.train.height,
        threatModel: result.threatModel,
        examples: result.data.examples,
        attacks: result.attacks.map((a, i) => ({
          attack: attackAsUsed(a.settings, asked[i]),
          robustAccuracy: a.robustAccuracy,
        })),
        backend: backendLabel(result.backend),
        engineVersion: result.engineVersion,
      },
    };
    finished.set(row.id, studyRow);
    await writeJson(rowsFile, Object.fromEntries(finished));
    done++;
    options.onRow?.(studyRow, done, plan.length);
    options.onProgress?.({ done, total: plan.length, row: row.id });
  }
  return plan.map((r) => finished.get(r.id)!);
}

interface ChosenGenotype {
  genotype: Genotype;
  shape: { channels: number; layers: number };
}

/** A row's genotype and network size: searched and selected, published and scaled, sampled, or ResNet-style. */
async function chooseGenotype(
  row: RowPlan,
  settings: StudySettings,
  perDataset: StudyDatasetSettings,
  train: Dataset,
  io: StageIo,
  options: StudyOptions,
): Promise<ChosenGenotype | undefined> {
  const { shape } = perDataset;
  const netShape = { ...shape, classes: train.classes, inputChannels: train.channels };
  const variant = SEARCH_VARIANT[row.arm];
  if (variant) {
    const selection: SelectionSettings = { budget: settings.budget, mode: SELECTION_MODE[row.arm]!, ...shape };
    const dir = path.join(options.outDir, row.dataset, `seed-${row.seed}`, `search-${variant.name}`);
    const alphas = await searchOnce(
      dir,
      { ...perDataset.search, ...variant.change },
      selection,
      row.seed,
      train,
      io,
      options,
    );
    if (!alphas) return undefined;
    const { genotype } = selectBySettings(alphas, selection, { classes: train.classes, inputChannels: train.channels });
    return { genotype, shape: { ...shape } };
  }
  if (row.arm === 'random') {
    // A seed per (study seed, genotype index): the same study seed draws the same genotypes.
    const seed = deriveSeedFromParts(row.seed, row.index) & 0x7fffffff;
    return { genotype: randomGenotypeWithin(netShape, settings.budget, seed), shape: { ...shape } };
  }
  const genotype = row.arm === 'resnet' ? resnetGenotype() : PUBLISHED_GENOTYPES[row.arm as 'darts-v2' | 'lrnas-c10'];
  const { channels } = scaleToBudget(
    genotype,
    { layers: shape.layers, classes: train.classes, inputChannels: train.channels },
    settings.budget,
  );
  return { genotype, shape: { channels, layers: shape.layers } };
}

/** Runs (or resumes, or reads back) the search of one variant and seed; its alphas, or undefined when stopped. */
async function searchOnce(
  dir: string,
  search: SearchSettings,
  selection: SelectionSettings,
  seed: number,
  train: Dataset,
  io: StageIo,
  options: StudyOptions,
): Promise<Awaited<ReturnType<typeof readSearchOutputs>>['alphas'] | undefined> {
  const doneFile = path.join(dir, 'search-done.json');
  if (!(await fileExists(doneFile))) {
    await fs.mkdir(dir, { recursive: true });
    // The selection stored with the search is the strict one: no-greedy shares the lrnas search.
    const opened = await openSearch(dir, train, { search, selection: { ...selection, mode: 'strict' }, seed });
    try {
      const result = await runSearchStage(
        opened,
        io,
        options.threads !== undefined ? { threads: options.threads } : {},
      );
      if (result.status !== 'completed') return undefined;
    } finally {
      opened.run.dispose();
    }
    await writeJson(doneFile, { done: true });
  }
  return (await readSearchOutputs(dir)).alphas;
}

/** Adversarial retraining of a row's network, then the study's attacks; undefined when stopped. */
async function trainAndEvaluate(
  row: RowPlan,
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

/** Writes the settings of a new study, or checks that a folder's study is this one (so a rerun resumes it). */
async function checkSettingsFile(file: string, settings: StudySettings): Promise<void> {
  if (!(await fileExists(file))) {
    await writeJson(file, settings);
    return;
  }
  const stored = JSON.stringify(await readJson(file));
  if (stored !== JSON.stringify(JSON.parse(JSON.stringify(settings))))
    throw new ContractError(
      'outDir',
      `${path.dirname(file)} holds another study (its study-settings.json differs); use a new folder`,
    );
}
