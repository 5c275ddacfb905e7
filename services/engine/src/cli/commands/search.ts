import fs from 'node:fs';
import path from 'node:path';
import { resolveThreadCount } from '../../parallel/pool.js';
import { initBackend } from '../../backend.js';
import { loadDataset } from '../../data/load.js';
import { jobFiles, writeJson } from '../../jobs/files.js';
import { openSearch, runSearchStage, type OpenedSearch } from '../../jobs/stages.js';
import type { SearchRun } from '../../search/search-run.js';
import { differingKeys } from '../../settings-diff.js';
import { checkpointOnInterrupt, defineCommand, UsageError } from '../command.js';
import { HUB_FLAGS, hubRunId, openHubReport } from '../hub-report.js';
import {
  checkBudget,
  genotypeHash,
  SEARCH_FLAGS,
  searchSettingsFromFlags,
  SearchProgress,
  usageFromEngine,
} from '../search-flags.js';

export default defineCommand({
  name: 'search',
  summary: 'Search a robust cell: supernet training, contribution estimation, greedy selection',
  description: [
    'Runs an LRNAS search (lrnas-method.md sections 2 to 6). --preset tiny (default) searches a C=8, 5-cell',
    'supernet for 2 epochs (1 of warm-up) on 1,000 MNIST images in a few minutes on two cores; --preset paper',
    "has the paper's settings (C=16, 8 cells, 50 epochs, 15 of warm-up, 10 permutations of 64). Every",
    'setting can be overridden by its flag. The genotype is selected under --budget parameters counted at',
    'the evaluation size (--eval-channels, --eval-layers; tiny 60,000 at C=8, L=5, paper 2.0M at C=36, L=20).',
    'Writes OUT/search.ckpt after every epoch and on Ctrl-C (exit 130); running the same command again',
    'resumes from it. At the end: OUT/alphas.json ({normal, reduce}, as `lrnas select --alphas` reads),',
    'OUT/genotype.json, OUT/report.json. Progress goes to stderr; the last line of stdout is',
    '{"genotype": ..., "params": N, "alphas": FILE, "checkpoint": FILE, "status": ...}.',
  ].join('\n'),
  flags: { ...SEARCH_FLAGS, ...HUB_FLAGS },
  async run(flags, io) {
    const resolved = searchSettingsFromFlags(flags);
    const { dataset } = resolved;
    const out = path.resolve(flags.out);
    const all = jobFiles(out);
    const files = { checkpoint: all.searchCheckpoint, alphas: all.alphas, genotype: all.genotype, report: all.report };
    const resuming = fs.existsSync(files.checkpoint);

    const backend = await initBackend();
    let train: Awaited<ReturnType<typeof loadDataset>>['train'];
    try {
      // The search takes its own seeded subset (settings.trainLimit) of the training set.
      ({ train } = await loadDataset({ name: dataset, dataDir: flags['data-dir'], seed: flags.seed }));
    } catch (error) {
      throw usageFromEngine(error);
    }
    checkBudget(resolved.selection, train.classes, train.channels);
    fs.mkdirSync(out, { recursive: true });

    let opened: OpenedSearch;
    try {
      const spec = { search: resolved.search, selection: resolved.selection, seed: flags.seed };
      opened = await openSearch(out, train, spec, { verify: false });
    } catch (error) {
      if (resuming && !(error instanceof UsageError))
        throw new UsageError(`cannot resume from ${files.checkpoint}: ${(error as Error).message}`);
      throw usageFromEngine(error);
    }
    const { run } = opened;
    try {
      if (resuming) checkResumeMatches(run, resolved, flags.seed, files.checkpoint);
      const s = run.settings;
      const p = run.position;
      io.stderr(
        `lrnas search: backend ${backend.name} (${backend.device}); ${s.preset} preset on ${dataset}, ` +
          `C=${s.channels}, L=${s.layers}, ${s.epochs} epochs (${s.warmupEpochs} of warm-up), ` +
          `${run.batchesPerEpoch} batches per epoch, ${s.estimationMode} estimation with ${s.permutations} ` +
          `permutation(s) of ${s.estimateBatchSize}; budget ${run.selection.budget.toLocaleString('en-US')} at ` +
          `C=${run.selection.channels}, L=${run.selection.layers} (${run.selection.mode})\n`,
      );
      if (resuming)
        io.stderr(
          `lrnas search: resuming from ${files.checkpoint} at epoch ${p.epoch + 1}, batch ${p.batch} (step ${p.step})\n`,
        );

      const hub = await openHubReport(flags, io, {
        kind: 'SEARCH',
        runId: hubRunId(out),
        name: `lrnas search ${path.basename(out)}`,
        seed: flags.seed,
        config: { dataset, search: run.settings, selection: run.selection },
        network: {
          channels: run.selection.channels,
          layers: run.selection.layers,
          classes: train.classes,
          inputChannels: train.channels,
          imageSize: train.height,
        },
        attacks: [],
        threatModel: { norm: 'linf', epsilon: run.settings.fgsmEpsilon },
        backend: backend.name,
      });
      const interrupt = checkpointOnInterrupt(io, 'lrnas search');
      const progress = new SearchProgress(io, 'lrnas search');
      let result: Awaited<ReturnType<SearchRun['run']>>;
      try {
        result = await runSearchStage(
          opened,
          {
            emit: (event) => {
              if (event.type === 'search') progress.on(event.event);
              hub?.on(event);
            },
            signal: interrupt.signal,
          },
          { threads: resolveThreadCount(flags.threads) },
        );
      } catch (error) {
        await hub?.end('FAILED', out, (error as Error).message);
        throw error;
      } finally {
        progress.close();
        interrupt.dispose();
      }

      // A finished stage wrote the alphas; a stopped one leaves them as they stand, for a look.
      if (result.status !== 'completed') await writeJson(files.alphas, result.alphas);
      await writeJson(files.genotype, { genotype: result.genotype, params: result.params });
      await writeJson(files.report, {
        format: 'lrnas-search-report',
        status: result.status,
        dataset,
        seed: run.seed,
        settings: run.settings,
        selection: run.selection,
        position: result.position,
        genotype: result.genotype,
        params: result.params,
        alphas: result.alphas,
        history: result.history,
        files,
      });
      if (result.status === 'completed') {
        // The search's own choice under the budget is the run's architecture on the hub.
        const { budget, mode } = run.selection;
        hub?.on({ type: 'selection', genotype: result.genotype, params: result.params, budget, mode });
      }
      await hub?.end(result.status === 'completed' ? 'SUCCEEDED' : 'CANCELLED', out);
      if (result.status === 'cancelled') {
        io.stderr(
          `lrnas search: stopped at epoch ${result.position.epoch + 1}, batch ${result.position.batch}; ` +
            `checkpoint ${files.checkpoint}. Run the same command again to resume.\n`,
        );
      } else {
        io.stderr(
          `lrnas search: genotype ${genotypeHash(result.genotype)}, ${result.params.toLocaleString('en-US')} ` +
            `parameters at C=${run.selection.channels}, L=${run.selection.layers}; written to ${out}\n`,
        );
      }
      io.stdout(
        `${JSON.stringify({
          genotype: result.genotype,
          params: result.params,
          alphas: files.alphas,
          checkpoint: files.checkpoint,
          status: result.status,
        })}\n`,
      );
      return result.status === 'cancelled' ? 130 : 0;
    } finally {
      run.dispose();
    }
  },
});

/** Flags given on a resume must describe the stored search. */
function checkResumeMatches(
  run: SearchRun,
  resolved: ReturnType<typeof searchSettingsFromFlags>,
  seed: number,
  file: string,
): void {
  const differences: string[] = [];
  for (const [group, stored, given] of [
    ['search', run.settings, resolved.search],
    ['selection', run.selection, resolved.selection],
  ] as const) {
    const record = (value: object) => value as Record<string, unknown>;
    for (const key of differingKeys(record(given), record(stored))) {
      const [a, b] = [JSON.stringify(record(given)[key]), JSON.stringify(record(stored)[key])];
      differences.push(`${group}.${key} ${a} (stored: ${b})`);
    }
  }
  if (seed !== run.seed) differences.push(`seed ${seed} (stored: ${run.seed})`);
  if (differences.length > 0)
    throw new UsageError(
      `cannot resume ${file}: the flags describe another search: ${differences.join('; ')}. ` +
        'Repeat the original command, or choose another --out',
    );
}
