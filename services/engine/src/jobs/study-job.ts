import path from 'node:path';
import type { StudyJob } from '@lrnas/schema';
import { loadDataset } from '../data/load.js';
import { resolveThreadCount } from '../parallel/pool.js';
import { runStudy } from '../study/run-study.js';
import type { StudySettings } from '../study/settings.js';
import { formatStudyTable, studyTable } from '../study/table.js';
import { JOB_FILES, writeJson } from './files.js';
import type { RunJobOptions, RunJobStatus } from './run-job.js';

/**
 * Runs a study job in `workDir` (runStudy: resumable, rows.json), telling of every row as it finishes and of the
 * stage each row is in, then writes the table as the job's report (JOB_FILES.report, which a worker stores as
 * the run's report artifact) and tells of it.
 */
export async function runStudyJob(
  job: StudyJob,
  settings: StudySettings,
  options: RunJobOptions,
): Promise<RunJobStatus> {
  const emit = options.onEvent ?? (() => {});
  const rows = await runStudy(settings, {
    outDir: options.workDir,
    // As a pipeline's search: $LRNAS_THREADS, else the machine's cores (the small preset is sized for two).
    threads: options.threads ?? resolveThreadCount(),
    ...(options.signal && { signal: options.signal }),
    loadData: (dataset, trainImages, testImages) =>
      loadDataset({ name: dataset, dataDir: options.dataDir, seed: 0, trainLimit: trainImages, testLimit: testImages }),
    onRow: (row, done, total) => emit({ type: 'study-row', row, done, total }),
    onProgress: ({ done, total, row, event }) => {
      if (event) emit({ type: 'study-step', row, done, total, event });
    },
  });
  if (!rows) return 'cancelled';
  const table = studyTable(rows);
  const text = formatStudyTable(table);
  await writeJson(path.join(options.workDir, JOB_FILES.report), {
    format: 'lrnas-study-report',
    runId: job.runId,
    settings,
    rows,
    table,
    text,
  });
  emit({ type: 'study-done', rows: rows.length, text });
  return 'completed';
}
