/**
 * A study (issue 15): the form that starts one, and its page: the rows as they finish (live, through the study
 * run's updates), the table as mean ± spread over the seeds, the plot of robust accuracy against parameters, each
 * row linked to its run (its leaderboard entry) and architecture.
 */
import { useState } from 'preact/hooks';
import { DATASETS, STUDY_ARMS, type StudyTableLine } from '@lrnas/schema';
import type { ApiError } from '../lib/api.js';
import { request } from '../lib/api.js';
import { count, percent, time } from '../lib/format.js';
import { START_STUDY, STUDY, STUDY_LIVE } from '../lib/queries.js';
import { paths } from '../lib/route.js';
import {
  buildStudyInput,
  defaultStudyForm,
  meanSpreadPercent,
  STUDY_NUMBERS,
  studyFieldOf,
  type StudyForm,
  type StudyFormErrors,
} from '../lib/study.js';
import { ErrorBox, Field, Link, Loading, StatusBadge } from '../ui/common.js';
import { navigate, useQuery, useSubscription } from '../ui/hooks.js';
import { StudyChart } from '../ui/study-chart.js';

interface StudyData {
  study: {
    run: {
      id: string;
      status: string;
      stage: string | null;
      finishedAt: string | null;
      error: { code: string; message: string } | null;
      experiment: { id: string; name: string };
      progress: { stage: string; phase: string | null; done: number; total: number | null } | null;
    };
    settings: Record<string, unknown>;
    planned: number | null;
    rows: {
      key: string;
      dataset: string;
      arm: string;
      seed: number;
      params: number;
      flops: number;
      channels: number;
      layers: number;
      cleanAccuracy: number;
      worstCase: number;
      seconds: number;
      attacks: { attack: string; robustAccuracy: number }[];
      architecture: { hash: string };
      run: { id: string };
    }[];
    table: StudyTableLine[];
  };
}

export function StudyPage({ id }: { id: string }) {
  const page = useQuery<StudyData>(STUDY, { id });
  // Every change of the study run (a row done, a stage begun, the end) reads the study again.
  const liveError = useSubscription(STUDY_LIVE, { id }, () => page.reload());
  if (page.error) return <ErrorBox error={page.error} what="The study" />;
  if (!page.data) return <Loading />;
  const { run, rows, table, planned } = page.data.study;
  const attackNames = [...new Set(table.flatMap((l) => l.attacks.map((a) => a.attack)))];
  return (
    <div class="page" data-page="study">
      <p class="crumbs">
        <Link href={paths.experiments()}>Experiments</Link> /{' '}
        <Link href={paths.experiment(run.experiment.id)}>{run.experiment.name}</Link> /
      </p>
      <h2>Study {run.id}</h2>
      <dl class="facts">
        <dt>Status</dt>
        <dd>
          <StatusBadge status={run.status} /> <Link href={paths.run(run.id)}>its run (log, progress)</Link>
        </dd>
        <dt>Rows</dt>
        <dd data-field="rows-done">
          {rows.length} of {planned ?? '…'} done
          {run.status === 'RUNNING' && run.progress && run.stage
            ? ` · now ${run.stage}${run.progress.total ? ` ${run.progress.done}/${run.progress.total}` : ''}`
            : ''}
        </dd>
        <dt>Settings</dt>
        <dd>
          <code>{JSON.stringify(page.data.study.settings)}</code>
        </dd>
        {run.finishedAt && (
          <>
            <dt>Finished</dt>
            <dd>{time(run.finishedAt)}</dd>
          </>
        )}
      </dl>
      {run.error && <ErrorBox error={`${run.error.message}`} what="The study failed" />}
      <ErrorBox error={liveError} what="Live updates" />

      <h3>Table: mean ± spread over the seeds</h3>
      {table.length === 0 ? (
        <p class="muted">No row has finished yet; rows appear here as they do.</p>
      ) : (
        <table class="data" data-table="study">
          <thead>
            <tr>
              <th>Data set</th>
              <th>Row</th>
              <th>n</th>
              <th>Params</th>
              <th>MFLOPs</th>
              <th>Clean %</th>
              {attackNames.map((a) => (
                <th key={a}>{a} %</th>
              ))}
              <th>Worst case %</th>
            </tr>
          </thead>
          <tbody>
            {table.map((l) => (
              <tr key={`${l.dataset}/${l.arm}`} data-arm={l.arm} data-dataset={l.dataset}>
                <td>{l.dataset}</td>
                <td>{l.arm}</td>
                <td>{l.worstCase.n}</td>
                <td>{count(l.params.mean)}</td>
                <td>{(l.flops.mean / 1e6).toFixed(2)}</td>
                <td>{meanSpreadPercent(l.clean)}</td>
                {attackNames.map((a) => {
                  const found = l.attacks.find((x) => x.attack === a);
                  return <td key={a}>{found ? meanSpreadPercent(found.robust) : '–'}</td>;
                })}
                <td data-field="worst-case">{meanSpreadPercent(l.worstCase)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <StudyChart
        rows={rows.map((r) => ({
          arm: r.arm,
          params: r.params,
          worstCase: r.worstCase,
          key: r.key,
          runId: r.run.id,
        }))}
        onSelect={(runId) => navigate(paths.run(runId))}
      />

      <h3>Rows as they finished</h3>
      <table class="data" data-table="study-rows">
        <thead>
          <tr>
            <th>Row</th>
            <th>Seed</th>
            <th>Params</th>
            <th>C × L</th>
            <th>Clean</th>
            <th>Attacks</th>
            <th>Worst case</th>
            <th>Took</th>
            <th>Run (leaderboard entry)</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key} data-row={r.key}>
              <td>
                <Link href={paths.architecture(r.architecture.hash)}>{r.key}</Link>
              </td>
              <td>{r.seed}</td>
              <td>{count(r.params)}</td>
              <td>
                {r.channels} × {r.layers}
              </td>
              <td>{percent(r.cleanAccuracy)}</td>
              <td>{r.attacks.map((a) => `${a.attack} ${percent(a.robustAccuracy)}`).join(', ')}</td>
              <td>{percent(r.worstCase)}</td>
              <td>{Math.round(r.seconds)} s</td>
              <td>
                <Link href={paths.run(r.run.id)}>{r.run.id}</Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const ARM_HELP: Record<string, string> = {
  lrnas: 'search + strict greedy selection',
  'no-greedy': 'ablation: DARTS parsing',
  'no-warmup': 'ablation: no warm-up',
  'reference-estimation': 'ablation: reference estimation',
  random: 'baseline: random within the budget',
  'darts-v2': 'baseline: DARTS_V2 scaled',
  'lrnas-c10': 'baseline: LRNAS_C10 scaled',
  resnet: 'baseline: ResNet-style chain',
};

export function StartStudyPage({ experimentId }: { experimentId: string }) {
  const [form, setForm] = useState<StudyForm>(defaultStudyForm);
  const [errors, setErrors] = useState<StudyFormErrors>({});
  const [failure, setFailure] = useState<ApiError | string | null>(null);
  const [busy, setBusy] = useState(false);
  const toggle = (list: 'datasets' | 'arms', value: string, on: boolean) =>
    setForm((f) => ({ ...f, [list]: on ? [...f[list], value] : f[list].filter((v) => v !== value) }));

  const submit = async (e: Event) => {
    e.preventDefault();
    const { input, errors: local } = buildStudyInput(experimentId, form);
    setErrors(local);
    setFailure(Object.keys(local).length ? 'Some settings are not valid; see the marked fields.' : null);
    if (Object.keys(local).length) return;
    setBusy(true);
    try {
      const data = await request<{ startStudy: { id: string } }>(START_STUDY, { input });
      navigate(paths.study(data.startStudy.id));
    } catch (error) {
      const api = error as ApiError;
      const byField: StudyFormErrors = {};
      for (const item of api.errors ?? []) {
        const field = studyFieldOf(item.extensions?.field);
        if (field) byField[field] ??= item.message.replace(/^input\.[\w.[\]]+: /, '');
      }
      setErrors(byField);
      setFailure(api);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="page" data-page="start-study">
      <p class="crumbs">
        <Link href={paths.experiments()}>Experiments</Link> /{' '}
        <Link href={paths.experiment(experimentId)}>{experimentId}</Link> /
      </p>
      <h2>Start a study</h2>
      <p class="muted">
        LRNAS against its ablations and baselines at one parameter budget, every row retrained and attacked alike, over
        seeds. Each finished row becomes a run of its own on its data set’s leaderboard.
      </p>
      <form class="start-form" id="study-form" onSubmit={submit}>
        <Field label="Preset" id="study.preset" help="SMALL: about 80 minutes on two idle cores.">
          <select
            name="preset"
            value={form.preset}
            onChange={(e) => setForm({ ...form, preset: e.currentTarget.value })}
          >
            <option value="small">SMALL</option>
          </select>
        </Field>
        <Field label="Data sets" id="study.datasets" error={errors['study.datasets']}>
          <span class="choices">
            {DATASETS.map((d) => (
              <label key={d}>
                <input
                  type="checkbox"
                  name={`dataset-${d}`}
                  checked={form.datasets.includes(d)}
                  onChange={(e) => toggle('datasets', d, e.currentTarget.checked)}
                />{' '}
                {d}
              </label>
            ))}
          </span>
        </Field>
        <Field label="Rows" id="study.arms" error={errors['study.arms']}>
          <span class="choices">
            {STUDY_ARMS.map((a) => (
              <label key={a} title={ARM_HELP[a]}>
                <input
                  type="checkbox"
                  name={`arm-${a}`}
                  checked={form.arms.includes(a)}
                  onChange={(e) => toggle('arms', a, e.currentTarget.checked)}
                />{' '}
                {a}
              </label>
            ))}
          </span>
        </Field>
        <Field label="Seeds" id="study.seeds" error={errors['study.seeds']} help="Comma-separated, e.g. 0, 1.">
          <input name="seeds" value={form.seeds} onInput={(e) => setForm({ ...form, seeds: e.currentTarget.value })} />
        </Field>
        {STUDY_NUMBERS.map((spec) => (
          <Field
            key={spec.id}
            label={spec.label}
            id={`study.${spec.id}`}
            error={errors[`study.${spec.id}`]}
            help={spec.help}
          >
            <input
              name={spec.id}
              inputMode="numeric"
              placeholder="preset"
              value={form.numbers[spec.id] ?? ''}
              onInput={(e) => setForm({ ...form, numbers: { ...form.numbers, [spec.id]: e.currentTarget.value } })}
            />
          </Field>
        ))}
        <button type="submit" id="study-start" disabled={busy}>
          {busy ? 'Starting…' : 'Start the study'}
        </button>
        <ErrorBox error={failure} what="Not started" />
      </form>
    </div>
  );
}
