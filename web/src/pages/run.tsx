/** A run, live: status, stage timeline, metric charts, genotype, evaluations, artifacts, cancel. */
import { useEffect, useState } from 'preact/hooks';
import { isTerminalRunStatus } from '@lrnas/schema';
import type { ApiError } from '../lib/api.js';
import { downloadArtifact, request, storedKey } from '../lib/api.js';
import { bytes, count, duration, metric, percent, progressText, time, type StageProgress } from '../lib/format.js';
import { CELL_NAMES, readGenotype } from '../lib/genotype.js';
import { CANCEL_RUN, METRIC_SERIES, METRICS_LIVE, RUN, RUN_LIVE } from '../lib/queries.js';
import { paths } from '../lib/route.js';
import { chartGroups, lastValue, mergeBatch, type Point, type SeriesByKey } from '../lib/series.js';
import { distinctArtifacts, fileName } from '../lib/run-summary.js';
import { timeline, type StageSpan } from '../lib/timeline.js';
import { attackSettingsText } from '../lib/attack-settings.js';
import { CellGraph } from '../ui/cell-graph.js';
import { ErrorBox, Link, Loading, StatusBadge } from '../ui/common.js';
import { useQuery, useSubscription } from '../ui/hooks.js';
import { MetricChart } from '../ui/metric-chart.js';
import { RunActivity } from '../ui/run-activity.js';
import { RunSummary } from '../ui/run-summary.js';
import type { RunOrigin } from '../lib/provenance.js';

export interface RunDetail {
  id: string;
  kind: string;
  /** Which study, arm, data set and seed, for a study's row. */
  studyRow: { studyRunId: string; arm: string; dataset: string; seed: number } | null;
  status: string;
  stage: string | null;
  config: Record<string, unknown>;
  seed: number;
  tags: string[];
  workerId: string | null;
  source: RunOrigin['source'];
  client: string | null;
  loggedBy: string | null;
  name: string | null;
  backend: string | null;
  attempts: number;
  stalled: boolean;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  lastEventAt: string | null;
  metricKeys: string[];
  progress: StageProgress | null;
  error: { code: string; message: string } | null;
  experiment: {
    id: string;
    name: string;
    dataset: string;
    threatModel: { norm: string; epsilon: number; label: string };
  };
  architecture: {
    hash: string;
    genotype: unknown;
    params: number;
    flops: number | null;
    channels: number;
    layers: number;
  } | null;
  stages: StageSpan[];
  statusHistory: { status: string; stage: string | null; attempt: number; at: string; message: string | null }[];
  artifacts: { kind: string; name: string; digest: string; size: number; stage: string | null; createdAt: string }[];
  evaluations: {
    id: string;
    attack: string;
    attackSettings: Record<string, number>;
    examples: number;
    seed: number;
    cleanAccuracy: number;
    robustAccuracy: number;
    engineVersion: string;
    threatModel: { norm: string; epsilon: number; label: string };
  }[];
}

export function RunPage({ id }: { id: string }) {
  const query = useQuery<{ run: RunDetail }>(RUN, { id });
  const series = useQuery<{ metricSeries: { key: string; points: Point[] }[] }>(METRIC_SERIES, { runId: id });
  const [live, setLive] = useState<SeriesByKey>({});
  const [cancelError, setCancelError] = useState<ApiError | null>(null);
  const [downloadError, setDownloadError] = useState<ApiError | null>(null);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  // Points from the query first, then every live batch merged over them (by step, so no duplicates).
  useEffect(() => {
    const base: SeriesByKey = {};
    for (const s of series.data?.metricSeries ?? []) base[s.key] = s.points;
    setLive((current) =>
      mergeBatch(
        base,
        Object.entries(current).map(([key, points]) => ({ key, points })),
      ),
    );
  }, [series.data]);
  const runError = useSubscription<{ runUpdated: RunDetail }>(RUN_LIVE, { runId: id }, (d) =>
    query.set(() => ({ run: d.runUpdated })),
  );
  const metricsError = useSubscription<{ metricsAdded: { series: { key: string; points: Point[] }[] } }>(
    METRICS_LIVE,
    { runId: id },
    (d) => setLive((current) => mergeBatch(current, d.metricsAdded.series)),
  );

  if (query.error) return <ErrorBox error={query.error} what="Cannot load the run" />;
  if (!query.data) return <Loading />;
  const run = query.data.run;
  const { genotype, error: genotypeError } = readGenotype(run.architecture?.genotype);
  const cancel = async () => {
    try {
      await request(CANCEL_RUN, { id: run.id });
      setCancelError(null);
      query.reload();
    } catch (error) {
      setCancelError(error as ApiError);
    }
  };
  const download = async (name: string) => {
    try {
      await downloadArtifact(run.id, name);
      setDownloadError(null);
    } catch (error) {
      setDownloadError(error as ApiError);
    }
  };

  return (
    <div class="page" data-page="run" data-run={run.id}>
      <p class="crumbs">
        <Link href={paths.experiments()}>Experiments</Link> /{' '}
        <Link href={paths.experiment(run.experiment.id)}>{run.experiment.name}</Link> / <span>run {run.id}</span>
      </p>
      <h2>
        {run.kind.toLowerCase()} run <code>{run.id}</code> <StatusBadge status={run.status} />
        {run.stalled && <span class="status status-failed">stalled</span>}
      </h2>
      {run.kind === 'STUDY' && (
        <p>
          <Link href={paths.study(run.id)}>Open the study: its rows, table and plot</Link>
        </p>
      )}
      {run.studyRow && (
        <p data-field="study-row">
          A row of <Link href={paths.study(run.studyRow.studyRunId)}>study {run.studyRow.studyRunId}</Link>:{' '}
          {run.studyRow.arm} on {run.studyRow.dataset}, seed {run.studyRow.seed}
        </p>
      )}
      <div class="row">
        {!isTerminalRunStatus(run.status) && storedKey() && (
          <button class="danger" id="cancel-run" onClick={() => void cancel()}>
            Cancel run
          </button>
        )}
        <ErrorBox error={cancelError} what="Not cancelled" />
      </div>
      <ErrorBox error={runError ?? metricsError} what="Live updates" />
      {run.error && (
        <p class="error" role="alert">
          Failed: {run.error.message} <span class="code">[{run.error.code}]</span>
        </p>
      )}
      <RunSummary run={run} now={now} />
      <dl class="facts">
        <dt>Progress</dt>
        <dd>
          {run.progress ? (
            <span
              id="run-progress"
              data-stage={run.progress.stage}
              data-phase={run.progress.phase ?? undefined}
              data-done={run.progress.done}
              data-total={run.progress.total ?? undefined}
            >
              <progress max={1} value={run.progress.fraction ?? undefined} /> {progressText(run.progress)}
            </span>
          ) : (
            '–'
          )}
        </dd>
        <dt>Attempts</dt>
        <dd>{run.attempts}</dd>
        <dt>Seed</dt>
        <dd>{run.seed}</dd>
        <dt>Queued</dt>
        <dd>{time(run.createdAt)}</dd>
      </dl>

      <Timeline run={run} />

      <h3>Metrics</h3>
      <ErrorBox error={series.error} what="Cannot load metrics" />
      <div class="charts">
        {chartGroups(Object.keys(live)).map((g) => (
          <MetricChart key={g.id} group={g} series={g.keys.map((k) => ({ name: k, points: live[k]! }))} />
        ))}
        {Object.keys(live).length === 0 && <p class="empty">No metrics yet.</p>}
      </div>
      {Object.keys(live).length > 0 && (
        <table class="table compact" id="latest-metrics">
          <tbody>
            {Object.keys(live)
              .sort()
              .map((k) => (
                <tr key={k}>
                  <td>{k}</td>
                  <td>{metric(lastValue(live[k]!))}</td>
                </tr>
              ))}
          </tbody>
        </table>
      )}

      <h3>Genotype</h3>
      {genotypeError && <ErrorBox error={`the stored genotype is not valid: ${genotypeError}`} />}
      {run.architecture && genotype ? (
        <div>
          <p>
            {count(run.architecture.params)} parameters · {count(run.architecture.flops)} FLOPs at C=
            {run.architecture.channels}, L={run.architecture.layers}
          </p>
          <div class="graphs">
            {CELL_NAMES.map((c) => (
              <CellGraph key={c} genotype={genotype} cell={c} />
            ))}
          </div>
        </div>
      ) : (
        <p class="empty">No genotype yet.</p>
      )}

      <RunActivity runId={run.id} ended={isTerminalRunStatus(run.status)} />

      <h3>Evaluations</h3>
      {run.evaluations.length === 0 ? (
        <p class="empty">None yet.</p>
      ) : (
        <table class="table" id="evaluations">
          <thead>
            <tr>
              <th>Attack</th>
              <th>Settings</th>
              <th>Threat model</th>
              <th>Examples</th>
              <th>Clean</th>
              <th>Robust</th>
            </tr>
          </thead>
          <tbody>
            {run.evaluations.map((e) => (
              <tr key={e.id}>
                <td>{e.attack}</td>
                <td data-field="settings">{attackSettingsText(e.attackSettings)}</td>
                <td>{e.threatModel.label}</td>
                <td>{e.examples}</td>
                <td>{percent(e.cleanAccuracy)}</td>
                <td>{percent(e.robustAccuracy)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h3>Artifacts</h3>
      <ErrorBox error={downloadError} what="Download failed" />
      {run.artifacts.length === 0 ? (
        <p class="empty">None yet.</p>
      ) : (
        <ul class="artifacts">
          {distinctArtifacts(run.artifacts).map((a) => (
            <li key={a.name} data-artifact={a.kind} data-file={fileName(a.name)}>
              <button class="small" onClick={() => void download(a.name)}>
                Download {fileName(a.name)}
              </button>{' '}
              <span class="muted">
                {a.kind}
                {a.stage ? ` of ${a.stage}` : ''} · {bytes(a.size)}
                {a.sameAs.length > 0 && ` · same content as ${a.sameAs.join(', ')}`}
              </span>
            </li>
          ))}
        </ul>
      )}

      <h3>Configuration</h3>
      <pre class="config">{JSON.stringify(run.config, null, 2)}</pre>
      <h3>Status history</h3>
      <ol class="history">
        {run.statusHistory.map((h, i) => (
          <li key={i}>
            {time(h.at)} <StatusBadge status={h.status} /> {h.stage ?? ''}{' '}
            {h.message && <span class="muted">{h.message}</span>}
          </li>
        ))}
      </ol>
    </div>
  );
}

function Timeline({ run }: { run: RunDetail }) {
  return (
    <ol class="timeline" id="timeline">
      {timeline(run.kind, run.status, run.stages).map((s) => (
        <li key={s.stage} class={`step ${s.state}`} data-stage={s.stage} data-state={s.state}>
          <span class="name">{s.stage}</span>
          <span class="muted">
            {s.startedAt
              ? duration((s.endedAt ? Date.parse(s.endedAt) : Date.now()) - Date.parse(s.startedAt))
              : s.state}
          </span>
        </li>
      ))}
    </ol>
  );
}
