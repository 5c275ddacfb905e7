import { meanSpread, type DatasetName, type MeanSpread, type StudyArm } from '@lrnas/schema';
import type { StudyRow } from './run-study.js';

// Defined in the contract: the gateway's study table takes the same mean and spread.
export { meanSpread, type MeanSpread };

/** One line of the study's table: an arm on a data set, over its seeds (and random genotypes). */
export interface StudyTableLine {
  dataset: DatasetName;
  arm: StudyArm;
  params: MeanSpread;
  flops: MeanSpread;
  clean: MeanSpread;
  fgsm: MeanSpread;
  pgd20: MeanSpread;
  apgdCe: MeanSpread;
  worstCase: MeanSpread;
}

/** The table of a study: one line per data set and arm, in the order the rows came. */
export function studyTable(rows: StudyRow[]): StudyTableLine[] {
  const groups = new Map<string, StudyRow[]>();
  for (const row of rows) {
    const key = `${row.dataset}\u0000${row.arm}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  return [...groups.values()].map((group) => {
    const of = (pick: (r: StudyRow) => number): MeanSpread => meanSpread(group.map(pick));
    return {
      dataset: group[0]!.dataset,
      arm: group[0]!.arm,
      params: of((r) => r.params),
      flops: of((r) => r.flops),
      clean: of((r) => r.cleanAccuracy),
      fgsm: of((r) => r.attacks.fgsm ?? NaN),
      pgd20: of((r) => r.attacks.pgd ?? NaN),
      apgdCe: of((r) => r.attacks['apgd-ce'] ?? NaN),
      worstCase: of((r) => r.worstCase),
    };
  });
}

/** The table as fixed-width text: counts as mean, accuracies in % as mean ± spread. */
export function formatStudyTable(lines: StudyTableLine[]): string {
  const pct = (m: MeanSpread): string => `${(100 * m.mean).toFixed(1)} ± ${(100 * m.spread).toFixed(1)}`;
  const header = ['data set', 'row', 'n', 'params', 'MFLOPs', 'clean %', 'FGSM %', 'PGD-20 %', 'APGD-CE %', 'worst %'];
  const body = lines.map((l) => [
    l.dataset,
    l.arm,
    String(l.clean.n),
    Math.round(l.params.mean).toLocaleString('en-US'),
    (l.flops.mean / 1e6).toFixed(2),
    pct(l.clean),
    pct(l.fgsm),
    pct(l.pgd20),
    pct(l.apgdCe),
    pct(l.worstCase),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, c) => cell.padEnd(widths[c] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
