import fs from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  ContractError,
  type AttackSpec,
  type DatasetName,
  type Genotype,
  type StudyArm,
  type ThreatModel,
} from '@lrnas/schema';
import { activeBackend, BACKENDS, backendLabel } from '../backend.js';
import { attackAsUsed } from '../jobs/contract-events.js';
import type { Dataset } from '../data/dataset.js';
import type { EvaluationReport } from '../evaluate/evaluate-model.js';
import { fileExists, readJson, writeJson } from '../jobs/files.js';
import { openSearch, readSearchOutputs, runSearchStage } from '../jobs/stages.js';
import type { JobEvent, StageIo } from '../jobs/stages.js';
import { countFlops, countParameters } from '../nn/cost.js';
import { deriveSeedFromParts } from '../random.js';
import { selectBySettings } from '../search/selection.js';
import type { SearchSettings, SelectionSettings } from '../search/settings.js';
import { studyRowKey } from './row-key.js';
import { trainAndEvaluateRowOffThread } from './row-thread.js';
import { trainAndEvaluateRow, type ChosenGenotype } from './train-row.js';
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
  /** Choosing the rows' genotypes (the searches run then), or retraining and attacking rows. */
  phase: 'genotypes' | 'rows';
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
  /**
   * Engine threads (default 1): each search runs on all of them, one search at a time; rows retrain and are
   * attacked that many at once, each on a thread of its own (a row's training uses one engine thread).
   */
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
 * Runs a study in two phases. First every row's genotype, in plan order: the searches its searched rows need (once
 * per variant and seed), one at a time on all `threads` engine threads; the published cells scaled; the random
 * ones sampled within the budget. Then every row's adversarial retraining and attacks, `threads` rows at once,
 * each on one engine thread of its own (a row's figures do not depend on how many run beside it). Every stage
 * checkpoints in `outDir` and finished rows are kept in rows.json, so a rerun resumes. Returns the rows, in plan
 * order, or undefined when the signal stopped it (after the rows running then have stopped).
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
  const loadedData = new Map<DatasetName, Promise<{ train: Dataset; test: Dataset }>>();
  const dataOf = (dataset: DatasetName) => {
    let loaded = loadedData.get(dataset);
    if (!loaded) {
      const { trainImages, evaluate } = perDatasetOf(settings, dataset);
      loaded = options.loadData(dataset, trainImages, evaluate.examples ?? 1000);
      loadedData.set(dataset, loaded);
    }
    return loaded;
  };
  // The caller's signal, or a row's failure: either stops every row running beside it.
  const stop = new AbortController();
  const stopAll = () => stop.abort();
  if (options.signal?.aborted) stopAll();
  options.signal?.addEventListener('abort', stopAll);
  const ioOf = (row: RowPlan, phase: StudyProgress['phase']): StageIo => ({
    emit: (event) => options.onProgress?.({ done, total: plan.length, row: row.id, phase, event }),
    signal: stop.signal,
  });
  try {
    const todo = plan.filter((r) => !finished.has(r.id));
    const chosen = new Map<string, ChosenGenotype>();
    for (const row of todo) {
      const genotype = await chooseGenotype(
        row,
        settings,
        (await dataOf(row.dataset)).train,
        ioOf(row, 'genotypes'),
        options,
      );
      if (!genotype) return undefined;
      chosen.set(row.id, genotype);
    }

    const rowsAtOnce = Math.max(1, options.threads ?? 1);
    // Rows finish in any order; their writes of rows.json go one after another, each with every row finished so far.
    let saved = Promise.resolve();
    const runOne = async (row: RowPlan): Promise<boolean> => {
      const began = performance.now();
      const perDataset = perDatasetOf(settings, row.dataset);
      const data = await dataOf(row.dataset);
      const genotype = chosen.get(row.id)!;
      const rowIo = ioOf(row, 'rows');
      const result =
        rowsAtOnce === 1
          ? await trainAndEvaluateRow(row, genotype, perDataset, data, rowIo, outDir)
          : await trainAndEvaluateRowOffThread(
              { row, chosen: genotype, perDataset, data, outDir, ...backendOption() },
              rowIo,
            );
      if (!result) return false;
      const studyRow = rowFrom(row, genotype, perDataset, data.train, result, (performance.now() - began) / 1000);
      finished.set(row.id, studyRow);
      saved = saved.then(() => writeJson(rowsFile, Object.fromEntries(finished)));
      await saved;
      done++;
      options.onRow?.(studyRow, done, plan.length);
      options.onProgress?.({ done, total: plan.length, row: row.id, phase: 'rows' });
      return true;
    };
    const completed = await runEach(todo, rowsAtOnce, async (row) => {
      try {
        return await runOne(row);
      } catch (error) {
        stopAll();
        throw error;
      }
    });
    if (!completed) return undefined;
    return plan.map((r) => finished.get(r.id)!);
  } finally {
    options.signal?.removeEventListener('abort', stopAll);
  }
}

/** A data set's settings, which every data set of a study has. */
function perDatasetOf(settings: StudySettings, dataset: DatasetName): StudyDatasetSettings {
  const perDataset = settings.perDataset[dataset];
  if (!perDataset) throw new ContractError('perDataset', `has no settings for ${dataset}`);
  return perDataset;
}

/** The backend this thread runs on, for a row thread's own TF.js instance to match (else it would choose anew). */
function backendOption(): { backend?: string } {
  const name = activeBackend()?.name ?? tf.getBackend();
  return (BACKENDS as readonly string[]).includes(name) ? { backend: name } : {};
}

/**
 * Runs `work` on every item, at most `atOnce` at a time, starting them in order. Resolves true when all
 * returned true; false once any returned false (a stop), after those running have ended. The first error
 * rejects, also after those running have ended, so that no row thread outlives the study.
 */
async function runEach<T>(items: T[], atOnce: number, work: (item: T) => Promise<boolean>): Promise<boolean> {
  let next = 0;
  let stopped = false;
  let failure: { error: unknown } | undefined;
  const lane = async () => {
    while (!stopped && !failure && next < items.length) {
      const item = items[next++]!;
      try {
        if (!(await work(item))) stopped = true;
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(atOnce, items.length) }, lane));
  if (failure) throw failure.error;
  return !stopped;
}

/** A finished row's record: its genotype and size, costs, and the figures of its evaluation. */
function rowFrom(
  row: RowPlan,
  chosen: ChosenGenotype,
  perDataset: StudyDatasetSettings,
  train: Dataset,
  result: EvaluationReport,
  seconds: number,
): StudyRow {
  const shape = { ...chosen.shape, classes: train.classes, inputChannels: train.channels };
  const asked = perDataset.evaluate.attacks;
  return {
    dataset: row.dataset,
    arm: row.arm,
    seed: row.seed,
    index: row.index,
    genotype: chosen.genotype,
    channels: chosen.shape.channels,
    layers: chosen.shape.layers,
    params: countParameters(chosen.genotype, shape),
    flops: countFlops(chosen.genotype, shape, train.height),
    cleanAccuracy: result.cleanAccuracy,
    attacks: Object.fromEntries(result.attacks.map((a) => [a.name, a.robustAccuracy])),
    worstCase: result.robustAccuracy,
    seconds,
    record: {
      classes: shape.classes,
      inputChannels: shape.inputChannels,
      imageSize: train.height,
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
}

/** A row's genotype and network size: searched and selected, published and scaled, sampled, or ResNet-style. */
async function chooseGenotype(
  row: RowPlan,
  settings: StudySettings,
  train: Dataset,
  io: StageIo,
  options: StudyOptions,
): Promise<ChosenGenotype | undefined> {
  const perDataset = perDatasetOf(settings, row.dataset);
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
