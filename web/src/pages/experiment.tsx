/** One experiment: its runs in a live, sortable, filterable table, and the form to start one. */
import { useEffect, useState } from 'preact/hooks';
import { RUN_KINDS, RUN_STATUSES } from '@lrnas/schema';
import { count, duration, percent, time } from '../lib/format.js';
import { EXPERIMENT_PAGE, EXPERIMENT_RUNS_LIVE, EXPERIMENT_RUNS_PAGE } from '../lib/queries.js';
import { paths } from '../lib/route.js';
import {
  accuracies,
  duration as runDuration,
  upsertRow,
  viewRows,
  type RunRow,
  type SortKey,
  type TableState,
} from '../lib/run-table.js';
import { request, storedKey, type ApiError } from '../lib/api.js';
import { ErrorBox, Link, Loading, StatusBadge } from '../ui/common.js';
import { navigate, useQuery, useSubscription } from '../ui/hooks.js';
import { StartRunForm } from '../ui/start-form.js';
import type { ExperimentItem } from './experiments.js';

interface RunPage {
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { node: RunRow }[];
}
type PageData = { experiment: ExperimentItem & { runs: RunPage & { totalCount: number } } };

const COLUMNS: [SortKey, string][] = [
  ['createdAt', 'Queued'],
  ['status', 'Status'],
  ['kind', 'Kind'],
  ['params', 'Parameters'],
  ['clean', 'Clean acc.'],
  ['robust', 'Robust acc.'],
  ['duration', 'Duration'],
  ['worker', 'Worker'],
];

export function ExperimentPage({ id }: { id: string }) {
  const page = useQuery<PageData>(EXPERIMENT_PAGE, { id });
  const [rows, setRows] = useState<RunRow[]>([]);
  const [table, setTable] = useState<TableState>({
    sort: 'createdAt',
    descending: true,
    status: '',
    kind: '',
    text: '',
  });
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [now, setNow] = useState(Date.now());
  const [more, setMore] = useState<{ cursor: string | null; error: ApiError | null }>({ cursor: null, error: null });
  useEffect(() => {
    setRows(page.data?.experiment.runs.edges.map((e) => e.node) ?? []);
    const info = page.data?.experiment.runs.pageInfo;
    setMore({ cursor: info?.hasNextPage ? info.endCursor : null, error: null });
  }, [page.data]);
  // Older runs a page at a time; the table sorts and filters what is loaded.
  const loadMore = async () => {
    try {
      const next = await request<{ experiment: { runs: RunPage } }>(EXPERIMENT_RUNS_PAGE, { id, after: more.cursor });
      const { edges, pageInfo } = next.experiment.runs;
      setRows((r) => edges.reduce((all, e) => (all.some((x) => x.id === e.node.id) ? all : [...all, e.node]), r));
      setMore({ cursor: pageInfo.hasNextPage ? pageInfo.endCursor : null, error: null });
    } catch (error) {
      setMore({ ...more, error: error as ApiError });
    }
  };
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const liveError = useSubscription<{ runUpdated: RunRow }>(EXPERIMENT_RUNS_LIVE, { experimentId: id }, (d) =>
    setRows((r) => upsertRow(r, d.runUpdated)),
  );

  if (page.error) return <ErrorBox error={page.error} what="Cannot load the experiment" />;
  if (!page.data) return <Loading />;
  const e = page.data.experiment;
  const shown = viewRows(rows, table, now);
  const sortBy = (key: SortKey) =>
    setTable({
      ...table,
      sort: key,
      descending: table.sort === key ? !table.descending : key !== 'kind' && key !== 'status' && key !== 'worker',
    });
  const toggle = (runId: string) => {
    const next = new Set(selected);
    if (next.has(runId)) next.delete(runId);
    else next.add(runId);
    setSelected(next);
  };

  return (
    <div class="page" data-page="experiment">
      <p class="crumbs">
        <Link href={paths.experiments()}>Experiments</Link> /
      </p>
      <h2>{e.name}</h2>
      <dl class="facts">
        <dt>Data set</dt>
        <dd>{e.dataset}</dd>
        <dt>Threat model</dt>
        <dd>{e.threatModel.label}</dd>
        <dt>Budget</dt>
        <dd>{count(e.parameterBudget)}</dd>
        <dt>Tags</dt>
        <dd>{e.tags.join(', ') || '–'}</dd>
        <dt>Team</dt>
        <dd>{e.team.name}</dd>
        <dt>Leaderboard</dt>
        <dd>
          <Link
            href={paths.leaderboard({
              dataset: e.dataset,
              norm: e.threatModel.norm,
              epsilon: String(e.threatModel.epsilon),
            })}
          >
            {e.dataset} · {e.threatModel.label}
          </Link>
        </dd>
        <dt>Study</dt>
        <dd>
          <Link href={paths.startStudy(e.id)}>Start a study</Link>{' '}
          <span class="muted">(LRNAS against its ablations and baselines, over seeds)</span>
        </dd>
      </dl>
      {e.description && <p>{e.description}</p>}
      {e.archivedAt && <p class="muted">Archived {time(e.archivedAt)}: it takes no new runs.</p>}

      <h3>
        Runs ({rows.length}
        {page.data.experiment.runs.totalCount > rows.length ? ` of ${page.data.experiment.runs.totalCount}` : ''})
      </h3>
      <ErrorBox error={liveError} what="Live updates" />
      <div class="filters">
        <select
          aria-label="status filter"
          name="status-filter"
          value={table.status}
          onChange={(ev) => setTable({ ...table, status: ev.currentTarget.value })}
        >
          <option value="">every status</option>
          {RUN_STATUSES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
        <select
          aria-label="kind filter"
          name="kind-filter"
          value={table.kind}
          onChange={(ev) => setTable({ ...table, kind: ev.currentTarget.value })}
        >
          <option value="">every kind</option>
          {RUN_KINDS.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
        <input
          placeholder="run or worker id"
          value={table.text}
          onInput={(ev) => setTable({ ...table, text: ev.currentTarget.value })}
        />
        <button class="small" disabled={selected.size < 2} onClick={() => navigate(paths.compare([...selected]))}>
          Compare {selected.size || ''} selected
        </button>
      </div>
      {rows.length === 0 ? (
        <p class="empty">No runs yet.</p>
      ) : (
        <table class="table" id="runs">
          <thead>
            <tr>
              <th />
              <th>Run</th>
              {COLUMNS.map(([key, label]) => (
                <th
                  key={key}
                  class="sortable"
                  onClick={() => sortBy(key)}
                  aria-sort={table.sort === key ? (table.descending ? 'descending' : 'ascending') : undefined}
                >
                  {label}
                  {table.sort === key ? (table.descending ? ' ▼' : ' ▲') : ''}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => {
              const acc = accuracies(r);
              return (
                <tr key={r.id} data-run={r.id}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`select ${r.id}`}
                      checked={selected.has(r.id)}
                      onChange={() => toggle(r.id)}
                    />
                  </td>
                  <td>
                    <Link href={paths.run(r.id)}>{r.id}</Link>
                  </td>
                  <td>{time(r.createdAt)}</td>
                  <td>
                    <StatusBadge status={r.status} /> {r.stage && <span class="muted">{r.stage}</span>}
                  </td>
                  <td>{r.kind}</td>
                  <td>
                    {r.architecture ? (
                      <Link href={paths.architecture(r.architecture.hash)}>{count(r.architecture.params)}</Link>
                    ) : (
                      '–'
                    )}
                  </td>
                  <td>{percent(acc.clean)}</td>
                  <td>{percent(acc.robust)}</td>
                  <td>{duration(runDuration(r, now))}</td>
                  <td>{r.workerId ?? '–'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {more.cursor && (
        <button class="small" onClick={() => void loadMore()}>
          Load older runs
        </button>
      )}
      <ErrorBox error={more.error} what="Cannot load more runs" />
      {storedKey() && !e.archivedAt ? (
        <StartRunForm experimentId={e.id} budget={e.parameterBudget} />
      ) : !storedKey() ? (
        <p class="muted">Read-only: enter an API key to start runs.</p>
      ) : null}
    </div>
  );
}
