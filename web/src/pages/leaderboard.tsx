/** The leaderboard: filters in the address, a ranked table, the size/robustness scatter, live. */
import { useEffect, useState } from 'preact/hooks';
import { count, percent } from '../lib/format.js';
import { EVALUATED_BOARDS, LEADERBOARD, LEADERBOARD_LIVE, PARETO_FRONT } from '../lib/queries.js';
import { provenance, type RunOrigin } from '../lib/provenance.js';
import { paths } from '../lib/route.js';
import { ParetoChart } from '../ui/pareto-chart.js';
import { ErrorBox, Link, Loading } from '../ui/common.js';
import { navigate, useQuery, useSubscription } from '../ui/hooks.js';
import { DATASETS } from './experiments.js';
import {
  ATTACK_CHOICES as ATTACKS,
  boardsWithResults,
  choosesBoard,
  readFilters,
  whyEmpty,
  type EvaluatedAt,
} from '../lib/leaderboard-filters.js';

interface Entry {
  rank: number;
  params: number;
  flops: number | null;
  robustAccuracy: number;
  cleanAccuracy: number;
  architecture: { hash: string };
  run: RunOrigin & { id: string; experiment: { id: string; name: string } };
  decisive: { attack: string };
  suite: { attack: string; robustAccuracy: number }[];
}

export function LeaderboardPage({ query }: { query: URLSearchParams }) {
  const evaluated = useQuery<{ evaluations: EvaluatedAt[] }>(EVALUATED_BOARDS, {});
  const boards = boardsWithResults(evaluated.data?.evaluations ?? []);
  // Without a data set or threat model in the address, the board opens where there are results.
  const waiting = !choosesBoard(query) && !evaluated.data && !evaluated.error;
  if (waiting) return <Loading />;
  return <Board key={query.toString()} query={query} boards={boards} evaluated={evaluated.data?.evaluations ?? []} />;
}

function Board({
  query,
  boards,
  evaluated,
}: {
  query: URLSearchParams;
  boards: ReturnType<typeof boardsWithResults>;
  evaluated: EvaluatedAt[];
}) {
  const filters = readFilters(query, choosesBoard(query) ? null : boards[0]);
  const [form, setForm] = useState(filters);
  useEffect(() => setForm(filters), [query.toString()]);
  const variables = {
    dataset: filters.dataset,
    threatModel: { norm: filters.norm, epsilon: Number(filters.epsilon) },
    maxParams: filters.maxParams ? Number(filters.maxParams) : null,
    attack: filters.attack || null,
  };
  const valid = filters.errors.length === 0;
  const board = useQuery<{ leaderboard: Entry[] }>(LEADERBOARD, variables, !valid);
  // The API's front over the same entries: a size limit only drops larger ones, which never hide a smaller one.
  const { maxParams: _maxParams, ...frontVariables } = variables;
  const paretoFront = useQuery<{ paretoFront: { architecture: { hash: string } }[] }>(
    PARETO_FRONT,
    frontVariables,
    !valid,
  );
  const [updatedAt, setUpdatedAt] = useState<string | null>(null);
  const liveError = useSubscription<{ leaderboardChanged: Entry[] }>(
    LEADERBOARD_LIVE,
    variables,
    (d) => {
      board.set(() => ({ leaderboard: d.leaderboardChanged }));
      paretoFront.reload();
      setUpdatedAt(new Date().toLocaleTimeString());
    },
    valid,
  );
  const apply = (e: Event) => {
    e.preventDefault();
    const params: Record<string, string> = { dataset: form.dataset, norm: form.norm, epsilon: form.epsilon };
    if (form.maxParams) params.maxParams = form.maxParams;
    if (form.attack) params.attack = form.attack;
    navigate(paths.leaderboard(params));
  };
  const entries = board.data?.leaderboard ?? [];
  const front = new Set((paretoFront.data?.paretoFront ?? []).map((e) => e.architecture.hash));

  return (
    <div class="page" data-page="leaderboard">
      <h2>Leaderboard</h2>
      <form class="filters" onSubmit={apply} id="leaderboard-filters">
        <select
          name="dataset"
          value={form.dataset}
          onChange={(e) => setForm({ ...form, dataset: e.currentTarget.value })}
        >
          {DATASETS.map((d) => (
            <option key={d}>{d}</option>
          ))}
        </select>
        <select name="norm" value={form.norm} onChange={(e) => setForm({ ...form, norm: e.currentTarget.value })}>
          <option value="LINF">L∞</option>
          <option value="L2">L2</option>
        </select>
        <label class="inline">
          ε{' '}
          <input
            name="epsilon"
            size={8}
            value={form.epsilon}
            onInput={(e) => setForm({ ...form, epsilon: e.currentTarget.value })}
          />
        </label>
        <label class="inline">
          at most{' '}
          <input
            name="maxParams"
            size={9}
            placeholder="parameters"
            value={form.maxParams}
            onInput={(e) => setForm({ ...form, maxParams: e.currentTarget.value })}
          />
        </label>
        <select name="attack" value={form.attack} onChange={(e) => setForm({ ...form, attack: e.currentTarget.value })}>
          {ATTACKS.map((a) => (
            <option key={a} value={a}>
              {a || 'worst over the suite'}
            </option>
          ))}
        </select>
        <button type="submit">Show</button>
      </form>
      {filters.errors.map((e) => (
        <ErrorBox key={e} error={e} />
      ))}
      <ErrorBox error={board.error} what="Cannot load the leaderboard" />
      <ErrorBox error={liveError} what="Live updates" />
      {updatedAt && <p class="muted">updated live at {updatedAt}</p>}
      {valid && !board.data && !board.error && <Loading />}
      {board.data && (
        <>
          <ParetoChart
            points={entries.map((e) => ({
              id: e.architecture.hash,
              x: e.params,
              y: e.robustAccuracy,
              label: `#${e.rank} ${e.architecture.hash.slice(0, 10)}: ${count(e.params)} parameters, ${percent(e.robustAccuracy)} robust`,
              onFront: front.has(e.architecture.hash),
            }))}
            onSelect={(hash) => navigate(paths.architecture(hash))}
          />
          {entries.length === 0 ? (
            <EmptyBoard filters={filters} evaluated={evaluated} boards={boards} />
          ) : (
            <table class="table" id="leaderboard">
              <thead>
                <tr>
                  <th>#</th>
                  <th>Architecture</th>
                  <th>Parameters</th>
                  <th>FLOPs</th>
                  <th>Robust</th>
                  <th>Clean</th>
                  <th>Decisive attack</th>
                  <th>Suite</th>
                  <th>Run</th>
                  <th>Ran on</th>
                </tr>
              </thead>
              <tbody>
                {entries.map((e) => (
                  <tr
                    key={e.architecture.hash}
                    data-arch={e.architecture.hash}
                    class={front.has(e.architecture.hash) ? 'on-front' : ''}
                  >
                    <td>{e.rank}</td>
                    <td>
                      <Link href={paths.architecture(e.architecture.hash)}>{e.architecture.hash.slice(0, 12)}</Link>
                      {front.has(e.architecture.hash) && <span class="tag front">Pareto</span>}
                    </td>
                    <td>{count(e.params)}</td>
                    <td>{count(e.flops)}</td>
                    <td>{percent(e.robustAccuracy)}</td>
                    <td>{percent(e.cleanAccuracy)}</td>
                    <td>{e.decisive.attack}</td>
                    <td>{e.suite.map((s) => `${s.attack} ${percent(s.robustAccuracy)}`).join(', ')}</td>
                    <td>
                      <Link href={paths.run(e.run.id)}>{e.run.id}</Link>{' '}
                      <span class="muted">{e.run.experiment.name}</span>
                    </td>
                    <td data-field="provenance">
                      {provenance(e.run)}
                      {e.run.studyRow && (
                        <>
                          {' '}
                          <Link href={paths.study(e.run.studyRow.studyRunId)}>(study)</Link>
                        </>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </div>
  );
}

/** Why nothing ranks here: nothing evaluated at this threat model (and where there is), or which filter hides it. */
function EmptyBoard({
  filters,
  evaluated,
  boards,
}: {
  filters: ReturnType<typeof readFilters>;
  evaluated: EvaluatedAt[];
  boards: ReturnType<typeof boardsWithResults>;
}) {
  const why = whyEmpty(filters, evaluated);
  if (why.kind === 'hidden') {
    const clear: Record<string, string> = { dataset: filters.dataset, norm: filters.norm, epsilon: filters.epsilon };
    return (
      <p class="empty" id="board-empty" data-why="hidden">
        No evaluated architectures for these filters: {why.by.join(' and ')} hides the results at this threat model.{' '}
        <Link href={paths.leaderboard(clear)}>Show them without it.</Link>
      </p>
    );
  }
  return (
    <div class="empty" id="board-empty" data-why="no-results">
      <p>
        No evaluated architectures on {filters.dataset} at {filters.norm === 'LINF' ? 'L∞' : filters.norm} ε=
        {filters.epsilon}.{boards.length > 0 ? ' Results exist at:' : ' No run has been evaluated yet.'}
      </p>
      {boards.length > 0 && (
        <ul>
          {boards.map((b) => (
            <li key={`${b.dataset}${b.norm}${b.epsilon}`}>
              <Link href={paths.leaderboard({ dataset: b.dataset, norm: b.norm, epsilon: String(b.epsilon) })}>
                {b.dataset}, {b.label}
              </Link>{' '}
              <span class="muted">
                ({b.evaluations} evaluation{b.evaluations === 1 ? '' : 's'})
              </span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
