import fs from 'node:fs/promises';
import path from 'node:path';
import { DATASETS, STUDY_ARMS, STUDY_PRESETS, type DatasetName } from '@lrnas/schema';
import { initBackend } from '../../backend.js';
import { loadDataset } from '../../data/load.js';
import { writeJson } from '../../jobs/files.js';
import { resolveThreadCount } from '../../parallel/pool.js';
import { resolveStudySettings } from '../../study/settings.js';
import { planRows, runStudy } from '../../study/run-study.js';
import { formatStudyTable, studyTable } from '../../study/table.js';
import { defineCommand, UsageError } from '../command.js';
import { ProgressBar } from '../progress.js';
import { barStream, usageFromEngine } from '../search-flags.js';

/** Splits a comma-separated flag into its items, each checked against `allowed`. */
function listFlag<T extends string>(value: string | undefined, flag: string, allowed: readonly T[]): T[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(',').map((s) => s.trim());
  for (const item of items)
    if (!(allowed as readonly string[]).includes(item))
      throw new UsageError(`--${flag}: ${JSON.stringify(item)} is not one of ${allowed.join(', ')}`);
  return items as T[];
}

export default defineCommand({
  name: 'study',
  summary: 'Compare LRNAS with its ablations and baselines at one parameter budget, over seeds',
  description: [
    'Runs the study of issue 15 on each data set and seed: LRNAS (search + strict greedy selection), the ablations',
    'no-greedy (DARTS parsing), no-warmup and reference-estimation, and the baselines random (genotypes sampled',
    'within the budget), darts-v2 and lrnas-c10 (scaled to the budget) and resnet; every row retrained with the same',
    'adversarial protocol and attacked with FGSM, PGD-20 and APGD-CE. Prints the table (params, FLOPs, clean, each',
    'attack and the worst case as mean ± spread over seeds) and writes rows.json, table.json and table.txt to --out.',
    'Every stage checkpoints in --out: running the same command again resumes.',
  ].join('\n'),
  flags: {
    preset: { kind: 'string', value: STUDY_PRESETS.join('|'), default: 'small', description: 'Study settings' },
    out: { kind: 'string', value: 'DIR', default: 'lrnas-study', description: 'Output folder (resumable)' },
    datasets: { kind: 'string', value: 'LIST', description: `Data sets (default fashion-mnist,mnist)` },
    arms: { kind: 'string', value: 'LIST', description: `Rows (default all: ${STUDY_ARMS.join(', ')})` },
    seeds: { kind: 'string', value: 'LIST', description: 'Seeds, comma-separated (default 0,1)' },
    budget: { kind: 'int', description: 'Parameter budget of every row (default 60000 at C=8, L=5)' },
  },
  async run(flags, io) {
    let settings;
    try {
      const seeds = flags.seeds?.split(',').map((s) => {
        const n = Number(s.trim());
        if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`--seeds: ${JSON.stringify(s)} is not a seed`);
        return n;
      });
      settings = resolveStudySettings({
        preset: flags.preset,
        ...(flags.datasets !== undefined && { datasets: listFlag(flags.datasets, 'datasets', DATASETS) }),
        ...(flags.arms !== undefined && { arms: listFlag(flags.arms, 'arms', STUDY_ARMS) }),
        ...(seeds && { seeds }),
        ...(flags.budget !== undefined && { budget: flags.budget }),
      });
    } catch (error) {
      throw usageFromEngine(error, {
        'study.preset': '--preset',
        'study.budget': '--budget',
        'study.seeds': '--seeds',
      });
    }
    const backend = await initBackend();
    const out = path.resolve(flags.out);
    io.stderr(
      `lrnas study: backend ${backend.name} (${backend.device}); ${settings.preset} preset: ` +
        `${settings.datasets.join(', ')}; seeds ${settings.seeds.join(', ')}; budget ` +
        `${settings.budget.toLocaleString('en-US')}; rows ${settings.arms.join(', ')}; folder ${out}\n`,
    );
    const bar = new ProgressBar({
      label: 'study',
      total: planRows(settings).length,
      unit: 'row',
      stream: barStream(io),
    });
    let rows;
    let countingRows = false;
    try {
      rows = await runStudy(settings, {
        outDir: out,
        threads: resolveThreadCount(),
        loadData: async (dataset: DatasetName, trainImages, testImages) =>
          loadDataset({ name: dataset, seed: 0, trainLimit: trainImages, testLimit: testImages }),
        onProgress: ({ done, row, phase }) => {
          // The searches finish no row: the rate and ETA count from the first row retrained.
          if (phase === 'rows' && !countingRows) {
            countingRows = true;
            bar.countFrom(done);
          }
          bar.update(done, phase === 'genotypes' ? `searching for ${row}` : row);
        },
      });
    } catch (error) {
      throw usageFromEngine(error);
    } finally {
      bar.finish();
    }
    if (!rows) return 1;
    const table = studyTable(rows);
    const text = formatStudyTable(table);
    await writeJson(path.join(out, 'table.json'), table);
    await fs.writeFile(path.join(out, 'table.txt'), `${text}\n`);
    io.stdout(`${text}\n`);
  },
});
