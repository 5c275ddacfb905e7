/** Compare runs: differing settings, latest metrics, overlaid curves, and the genotype diff. */
import { useEffect, useState } from 'preact/hooks';
import { request } from '../lib/api.js';
import { metric } from '../lib/format.js';
import { readGenotype } from '../lib/genotype.js';
import { COMPARE, METRIC_SERIES } from '../lib/queries.js';
import { paths } from '../lib/route.js';
import { chartGroups, type Point } from '../lib/series.js';
import { MetricChart } from '../ui/metric-chart.js';
import { ErrorBox, Link, Loading, StatusBadge } from '../ui/common.js';
import { GenotypeDiff } from '../ui/genotype-diff.js';
import { navigate, useQuery } from '../ui/hooks.js';

interface Comparison {
  compareRuns: {
    runs: {
      id: string;
      kind: string;
      status: string;
      metricKeys: string[];
      architecture: { hash: string; genotype: unknown; params: number } | null;
      experiment: { name: string };
    }[];
    configDifferences: { path: string; values: unknown[] }[];
    metrics: { key: string; values: (number | null)[] }[];
  };
}

export function ComparePage({ ids }: { ids: string[] }) {
  const [text, setText] = useState(ids.join(', '));
  const cmp = useQuery<Comparison>(COMPARE, { ids }, ids.length === 0);
  const [curves, setCurves] = useState<Record<string, Record<string, Point[]>>>({});
  useEffect(() => {
    let current = true;
    Promise.all(
      ids.map((runId) =>
        request<{ metricSeries: { key: string; points: Point[] }[] }>(METRIC_SERIES, { runId }).then(
          (d) => [runId, Object.fromEntries(d.metricSeries.map((s) => [s.key, s.points]))] as const,
        ),
      ),
    ).then(
      (all) => current && setCurves(Object.fromEntries(all)),
      () => {},
    );
    return () => {
      current = false;
    };
  }, [ids.join()]);
  const form = (
    <form
      class="filters"
      onSubmit={(e) => {
        e.preventDefault();
        navigate(
          paths.compare(
            text
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean),
          ),
        );
      }}
    >
      <input
        size={60}
        placeholder="run ids, comma separated"
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
      />
      <button type="submit">Compare</button>
    </form>
  );
  if (ids.length === 0)
    return (
      <div class="page" data-page="compare">
        <h2>Compare runs</h2>
        {form}
        <p class="muted">Pick runs on an experiment's page, or type their ids.</p>
      </div>
    );
  if (cmp.error)
    return (
      <div class="page" data-page="compare">
        <h2>Compare runs</h2>
        {form}
        <ErrorBox error={cmp.error} what="Cannot compare" />
      </div>
    );
  if (!cmp.data) return <Loading />;
  const { runs, configDifferences, metrics } = cmp.data.compareRuns;
  const keys = [...new Set(runs.flatMap((r) => r.metricKeys))].sort();
  const genotypes = runs
    .map((r) => ({ r, g: readGenotype(r.architecture?.genotype).genotype }))
    .filter((x) => x.g !== null);
  return (
    <div class="page" data-page="compare">
      <h2>Compare runs</h2>
      {form}
      <table class="table" id="compare">
        <thead>
          <tr>
            <th />
            {runs.map((r) => (
              <th key={r.id}>
                <Link href={paths.run(r.id)}>{r.id}</Link> <StatusBadge status={r.status} />
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          <tr>
            <td>experiment</td>
            {runs.map((r) => (
              <td key={r.id}>{r.experiment.name}</td>
            ))}
          </tr>
          {configDifferences.map((d) => (
            <tr key={d.path} class="changed">
              <td>{d.path}</td>
              {d.values.map((v, i) => (
                <td key={i}>{v === null ? '–' : JSON.stringify(v)}</td>
              ))}
            </tr>
          ))}
          {metrics.map((m) => (
            <tr key={m.key}>
              <td>{m.key}</td>
              {m.values.map((v, i) => (
                <td key={i}>{metric(v)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Curves</h3>
      <div class="charts">
        {keys.map((key) => (
          <MetricChart
            key={key}
            group={{ ...chartGroups([key])[0]!, id: key, title: key }}
            series={runs.filter((r) => curves[r.id]?.[key]).map((r) => ({ name: r.id, points: curves[r.id]![key]! }))}
          />
        ))}
      </div>
      <h3>Genotypes</h3>
      {genotypes.length >= 2 ? (
        <GenotypeDiff
          a={{ label: genotypes[0]!.r.id, genotype: genotypes[0]!.g! }}
          b={{ label: genotypes[1]!.r.id, genotype: genotypes[1]!.g! }}
        />
      ) : (
        <p class="empty">Fewer than two of these runs have a genotype.</p>
      )}
    </div>
  );
}
