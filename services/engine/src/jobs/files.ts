import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../files/checked-files.js';

/**
 * Files of a job's folder: the `--out` of `lrnas search|train|pipeline` and a worker's work folder
 * (mirrored to the artifact store under the run's id). Every stage writes its files under these names.
 */
export const JOB_FILES = {
  state: 'pipeline.json',
  searchCheckpoint: 'search.ckpt',
  alphas: 'alphas.json',
  searchHistory: 'search-history.json',
  genotype: 'genotype.json',
  trainCheckpoint: 'train.ckpt',
  model: 'model',
  evaluation: 'evaluation.json',
  report: 'report.json',
} as const;

/** Names of a job file. */
export type JobFile = keyof typeof JOB_FILES;

/**
 * Older names that users' folders may still hold, read when the current name is absent:
 * `lrnas train` wrote its checkpoint as `checkpoint.lrnas` before the job files were one map.
 */
export const LEGACY_JOB_FILES = { trainCheckpoint: 'checkpoint.lrnas' } as const;

/** The paths of a folder's job files. */
export function jobFiles(dir: string): { [K in JobFile]: string } {
  return Object.fromEntries(Object.entries(JOB_FILES).map(([key, name]) => [key, path.join(dir, name)])) as {
    [K in JobFile]: string;
  };
}

/** The training checkpoint a folder holds (its current name first, then the legacy one), if any. */
export async function findTrainCheckpoint(dir: string): Promise<string | undefined> {
  for (const name of [JOB_FILES.trainCheckpoint, LEGACY_JOB_FILES.trainCheckpoint]) {
    const file = path.join(dir, name);
    if (await fileExists(file)) return file;
  }
  return undefined;
}

/** Writes pretty JSON atomically, so that a reader (an upload running meanwhile) never sees half a file. */
export async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, [Buffer.from(`${JSON.stringify(value, null, 2)}\n`, 'utf8')]);
}

/** Parses a JSON file the engine wrote; the caller checks its shape. */
export async function readJson(file: string): Promise<unknown> {
  return JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
}

/** Whether a file (or folder) exists. */
export async function fileExists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
