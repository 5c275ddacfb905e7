// infra/grafana/lrnas.json: parses, and every PromQL query names only metrics (and labels) that
// the gateway and workers export (infra/test/lib/grafana.ts).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from './lib/files.js';
import { checkDashboard, defaultMetricNames, LRNAS_METRICS, promqlNames } from './lib/grafana.js';

const FILE = path.join(ROOT, 'infra', 'grafana', 'lrnas.json');
const TEXT = fs.readFileSync(FILE, 'utf8');

describe('Grafana dashboard', () => {
  it('uses only exported metrics and their labels', () => {
    assert.deepEqual(checkDashboard(TEXT, 'lrnas.json'), []);
  });

  it('shows every LRNAS metric', () => {
    const used = new Set(
      [...TEXT.matchAll(/"expr": "((?:[^"\\]|\\.)*)"/g)].flatMap((m) =>
        promqlNames(JSON.parse(`"${m[1]}"`) as string).metrics.map((n) => n.replace(/_(bucket|sum|count)$/, '')),
      ),
    );
    for (const metric of Object.keys(LRNAS_METRICS)) assert.ok(used.has(metric), `the dashboard shows ${metric}`);
  });

  it('reads names and labels out of PromQL', () => {
    assert.deepEqual(
      promqlNames(
        'histogram_quantile(0.95, sum by (le, stage) (rate(lrnas_worker_epoch_seconds_bucket{job=~"$worker_job", a!="x{y}"}[$__rate_interval])))',
      ),
      { metrics: ['lrnas_worker_epoch_seconds_bucket'], groupLabels: ['le', 'stage'], matcherLabels: ['job', 'a'] },
    );
    assert.deepEqual(promqlNames('sum(rate(a_total[5m])) / on (job) group_left b').metrics, ['a_total', 'b']);
    assert.ok(defaultMetricNames().has('process_resident_memory_bytes'));
    assert.ok(defaultMetricNames().has('nodejs_eventloop_lag_p99_seconds'));
  });

  it('finds the problems of a broken dashboard', () => {
    const dashboard = JSON.parse(TEXT) as { panels: { targets?: { expr: string }[] }[]; templating: unknown };
    const withTarget = dashboard.panels.filter((p) => p.targets && p.targets.length > 0);
    withTarget[0]!.targets![0]!.expr = 'max(lrnas_jobs_waiting)';
    withTarget[1]!.targets![0]!.expr = 'max by (status) (lrnas_workers)';
    withTarget[2]!.targets![0]!.expr = 'rate(lrnas_runs_bucket[5m])';
    withTarget[3]!.targets = [];
    const problems = checkDashboard(JSON.stringify(dashboard), 'broken.json');
    const expect = (pattern: RegExp) =>
      assert.ok(
        problems.some((p) => pattern.test(p)),
        `expected ${pattern} among:\n${problems.join('\n')}`,
      );
    expect(/unknown metric lrnas_jobs_waiting/);
    expect(/label status is not a label of lrnas_workers/);
    expect(/unknown metric lrnas_runs_bucket/);
    expect(/has no queries/);
    assert.match(checkDashboard('{"title": "x", panels: []}', 'x.json').join(''), /not JSON/);
    assert.match(checkDashboard('{"title": "x"}', 'x.json').join(''), /not a Grafana dashboard/);
  });
});
