/** The study page's logic: the start form's input and checks, figures as mean ± spread, the plot's columns. */
import { DATASETS, enumName, STUDY_ARMS } from '@lrnas/schema';

/** The start form's numeric settings, each a positive whole number when given (unset: the preset's). */
export const STUDY_NUMBERS = [
  { id: 'budget', label: 'Parameter budget', help: 'Every row’s network; 60,000 at C=8, L=5 in SMALL.' },
  { id: 'randomArchitectures', label: 'Random genotypes per seed', help: '2 in SMALL.' },
  { id: 'searchEpochs', label: 'Search epochs', help: '3 in SMALL (1 of warm-up).' },
  { id: 'trainEpochs', label: 'Retraining epochs', help: '4 in SMALL.' },
  { id: 'trainLimit', label: 'Training images', help: '2,000 in SMALL (the search takes 600 of them).' },
  { id: 'evalExamples', label: 'Test images attacked', help: '200 in SMALL.' },
] as const;

/** What the form holds: checked data sets and arms (contract spelling), seeds as typed, numbers as typed. */
export interface StudyForm {
  preset: string;
  datasets: string[];
  arms: string[];
  seeds: string;
  numbers: Record<string, string>;
}

/** The form a study starts from: the SMALL preset's data sets, every arm, seeds 0 and 1. */
export function defaultStudyForm(): StudyForm {
  return { preset: 'small', datasets: ['fashion-mnist', 'mnist'], arms: [...STUDY_ARMS], seeds: '0, 1', numbers: {} };
}

/** Errors by form field (`study.seeds`, `study.budget`...). */
export type StudyFormErrors = Record<string, string>;

/** The startStudy input of a form, or the fields that are wrong, each said plainly. */
export function buildStudyInput(
  experimentId: string,
  form: StudyForm,
): { input: Record<string, unknown>; errors: StudyFormErrors } {
  const errors: StudyFormErrors = {};
  const study: Record<string, unknown> = { preset: enumName(form.preset) };
  if (form.datasets.length === 0) errors['study.datasets'] = 'choose at least one data set';
  else study.datasets = DATASETS.filter((d) => form.datasets.includes(d)).map(enumName);
  if (form.arms.length === 0) errors['study.arms'] = 'choose at least one row';
  else study.arms = STUDY_ARMS.filter((a) => form.arms.includes(a)).map(enumName);
  const seeds = form.seeds
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((s) => ({ text: s, n: Number(s) }));
  const bad = seeds.find(({ n }) => !Number.isSafeInteger(n) || n < 0 || n >= 2 ** 31);
  if (bad) errors['study.seeds'] = `${JSON.stringify(bad.text)} is not a seed (a whole number from 0 to 2^31 - 1)`;
  else if (seeds.length === 0) errors['study.seeds'] = 'give at least one seed';
  else if (seeds.length > 16) errors['study.seeds'] = 'at most 16 seeds';
  else study.seeds = seeds.map(({ n }) => n);
  for (const { id } of STUDY_NUMBERS) {
    const text = (form.numbers[id] ?? '').trim();
    if (!text) continue;
    const n = Number(text.replaceAll(',', '').replaceAll('_', ''));
    if (!Number.isSafeInteger(n) || n < 1) errors[`study.${id}`] = `must be a positive whole number, got ${text}`;
    else study[id] = n;
  }
  return { input: { experimentId, study }, errors };
}

/** The form field a gateway error names (`input.study.seeds[0]` is the seeds field), if any. */
export function studyFieldOf(field: string | undefined): string | undefined {
  const match = /^input\.(study\.\w+)/.exec(field ?? '');
  return match?.[1];
}

/** A mean ± spread: accuracies in % ("45.7 ± 3.2"), with how many values it is over when more than one. */
export function meanSpreadPercent(m: { mean: number; spread: number; n: number }): string {
  if (!Number.isFinite(m.mean)) return '–';
  return `${(100 * m.mean).toFixed(1)} ± ${(100 * m.spread).toFixed(1)}`;
}

/** A study row as the plot needs it. */
export interface PlotRow {
  arm: string;
  params: number;
  worstCase: number;
  key: string;
  runId: string;
}

/**
 * The plot's aligned columns: rows sorted by parameters (the x column, as uPlot wants it ascending), then one y
 * column per arm holding that arm's robust accuracy on its own rows and nothing elsewhere, so each arm is a set
 * of points of its own colour.
 */
export function studyPlotData(rows: readonly PlotRow[]): {
  arms: string[];
  xs: number[];
  ys: (number | null)[][];
  labels: string[];
  runIds: string[];
} {
  const sorted = [...rows].sort((a, b) => a.params - b.params || a.worstCase - b.worstCase);
  const arms = STUDY_ARMS.filter((arm) => rows.some((r) => r.arm === arm));
  return {
    arms,
    xs: sorted.map((r) => r.params),
    ys: arms.map((arm) => sorted.map((r) => (r.arm === arm ? r.worstCase : null))),
    labels: sorted.map(
      (r) => `${r.key}: ${r.params.toLocaleString('en-US')} parameters, ${(100 * r.worstCase).toFixed(1)}% robust`,
    ),
    runIds: sorted.map((r) => r.runId),
  };
}
