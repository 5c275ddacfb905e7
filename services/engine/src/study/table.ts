import { meanSpread, studyTableLines, type MeanSpread, type StudyTableLine } from '@lrnas/schema';
import type { StudyRow } from './run-study.js';

// Defined in the contract: the gateway's study table is the same table of the same rows.
export { meanSpread, type MeanSpread, type StudyTableLine };

/** The table of a study's rows: one line per data set and arm (studyTableLines). */
export function studyTable(rows: StudyRow[]): StudyTableLine[] {
  return studyTableLines(
    rows.map((row) => ({
      ...row,
      attacks: Object.entries(row.attacks).map(([name, robustAccuracy]) => ({ attack: { name }, robustAccuracy })),
    })),
  );
}

/** Column titles of the study's attacks (settings.ts STUDY_ATTACKS); another attack is titled by its name. */
const ATTACK_TITLES: Record<string, string> = { fgsm: 'FGSM', pgd: 'PGD-20', 'apgd-ce': 'APGD-CE' };

/** The table as fixed-width text: counts as mean, accuracies in % as mean ± spread. */
export function formatStudyTable(lines: StudyTableLine[]): string {
  const pct = (m: MeanSpread | undefined): string =>
    m ? `${(100 * m.mean).toFixed(1)} ± ${(100 * m.spread).toFixed(1)}` : '-';
  const attacks = [...new Set(lines.flatMap((l) => l.attacks.map((a) => a.attack)))];
  const header = [
    'data set',
    'row',
    'n',
    'params',
    'MFLOPs',
    'clean %',
    ...attacks.map((a) => `${ATTACK_TITLES[a] ?? a} %`),
    'worst %',
  ];
  const body = lines.map((l) => [
    l.dataset,
    l.arm,
    String(l.clean.n),
    Math.round(l.params.mean).toLocaleString('en-US'),
    (l.flops.mean / 1e6).toFixed(2),
    pct(l.clean),
    ...attacks.map((a) => pct(l.attacks.find((x) => x.attack === a)?.robust)),
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
