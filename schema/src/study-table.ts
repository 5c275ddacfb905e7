// A study's table from its rows: one line per data set and arm, each figure as mean ± spread over the arm's seeds
// (and random genotypes). The engine prints it (`lrnas study`) and the gateway serves it, from the same code.
import { STUDY_ARMS, meanSpread, type MeanSpread } from './study.js';

/** What the table reads of a row. */
export interface StudyTableInput {
  dataset: string;
  arm: string;
  params: number;
  flops: number;
  cleanAccuracy: number;
  worstCase: number;
  attacks: readonly { attack: { name: string }; robustAccuracy: number }[];
}

/** One line of a study's table. */
export interface StudyTableLine {
  dataset: string;
  arm: string;
  params: MeanSpread;
  flops: MeanSpread;
  clean: MeanSpread;
  /** Per attack, in the order the rows ran them. */
  attacks: { attack: string; robust: MeanSpread }[];
  worstCase: MeanSpread;
}

/** The lines of the table, data sets in the order their rows came, arms in the contract's order. */
export function studyTableLines(rows: readonly StudyTableInput[]): StudyTableLine[] {
  const groups = new Map<string, StudyTableInput[]>();
  for (const row of rows) {
    const key = `${row.dataset}\u0000${row.arm}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  const datasets = [...new Set(rows.map((r) => r.dataset))];
  const place = (g: StudyTableInput[]) =>
    datasets.indexOf(g[0]!.dataset) * STUDY_ARMS.length + (STUDY_ARMS as readonly string[]).indexOf(g[0]!.arm);
  return [...groups.values()]
    .sort((a, b) => place(a) - place(b))
    .map((group) => {
      const of = (pick: (r: StudyTableInput) => number): MeanSpread => meanSpread(group.map(pick));
      const names = [...new Set(group.flatMap((r) => r.attacks.map((a) => a.attack.name)))];
      return {
        dataset: group[0]!.dataset,
        arm: group[0]!.arm,
        params: of((r) => r.params),
        flops: of((r) => r.flops),
        clean: of((r) => r.cleanAccuracy),
        attacks: names.map((attack) => ({
          attack,
          robust: meanSpread(
            group.flatMap((r) => r.attacks.filter((a) => a.attack.name === attack).map((a) => a.robustAccuracy)),
          ),
        })),
        worstCase: of((r) => r.worstCase),
      };
    });
}
