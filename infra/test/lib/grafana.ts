// Grafana dashboard checks: the JSON parses, panels have queries, and every metric a PromQL query
// names is one the gateway or worker exports (with its declared labels).
import { collectDefaultMetrics, Registry } from 'prom-client';
import { isRecord } from './files.js';

/** The metrics gateway and worker export (their contract), with their labels and types. */
export const LRNAS_METRICS: Record<string, { labels: string[]; type: 'gauge' | 'counter' | 'histogram' }> = {
  lrnas_jobs_pending: { labels: [], type: 'gauge' },
  lrnas_jobs_running: { labels: [], type: 'gauge' },
  lrnas_workers: { labels: [], type: 'gauge' },
  lrnas_runs: { labels: ['status'], type: 'gauge' },
  lrnas_events_ingested_total: { labels: ['type'], type: 'counter' },
  lrnas_events_pending: { labels: [], type: 'gauge' },
  lrnas_ingest_lag_seconds: { labels: [], type: 'gauge' },
  lrnas_graphql_errors_total: { labels: ['code'], type: 'counter' },
  lrnas_events_refused_total: { labels: ['reason'], type: 'counter' },
  lrnas_worker_running_jobs: { labels: ['worker'], type: 'gauge' },
  lrnas_worker_jobs_total: { labels: ['worker', 'kind', 'outcome'], type: 'counter' },
  lrnas_worker_epoch_seconds: { labels: ['worker', 'stage'], type: 'histogram' },
  lrnas_worker_attack_seconds: { labels: ['worker', 'attack'], type: 'histogram' },
  lrnas_worker_errors_total: { labels: ['worker', 'code'], type: 'counter' },
  lrnas_worker_heartbeat_age_seconds: { labels: ['worker'], type: 'gauge' },
  lrnas_worker_presence_age_seconds: { labels: ['worker'], type: 'gauge' },
};

/** Labels Prometheus adds to every scraped series. */
const TARGET_LABELS = ['job', 'instance', 'namespace', 'pod', 'service', 'container', 'endpoint'];

/** prom-client's default process_* and nodejs_* metrics, by name (histogram series included). */
export function defaultMetricNames(): Set<string> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const names = new Set<string>();
  for (const metric of registry.getMetricsAsArray()) {
    names.add(metric.name);
    for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${suffix}`);
  }
  return names;
}

const PROMQL_WORDS = new Set([
  ...'abs absent absent_over_time avg avg_over_time bottomk ceil changes clamp clamp_max clamp_min count count_over_time count_values day_of_month day_of_week days_in_month delta deriv exp floor group histogram_quantile holt_winters hour idelta increase irate label_join label_replace last_over_time ln log10 log2 max max_over_time min min_over_time minute month predict_linear quantile quantile_over_time rate resets round scalar sgn sort sort_desc sqrt stddev stddev_over_time stdvar sum sum_over_time time timestamp topk vector year'.split(
    ' ',
  ),
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/** The metric names and grouping labels of a PromQL expression. */
export function promqlNames(expr: string): { metrics: string[]; groupLabels: string[]; matcherLabels: string[] } {
  const matcherLabels: string[] = [];
  const groupLabels: string[] = [];
  let rest = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  rest = rest.replace(/\{([^}]*)\}/g, (_, inner: string) => {
    for (const m of inner.matchAll(/([a-zA-Z_]\w*)\s*(=~|!~|!=|=)/g)) matcherLabels.push(m[1]!);
    return ' ';
  });
  rest = rest.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_, _word, inner: string) => {
    groupLabels.push(
      ...inner
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
    return ' ';
  });
  rest = rest.replace(/\[[^\]]*\]/g, ' ').replace(/\$\w+/g, ' ');
  const metrics: string[] = [];
  for (const m of rest.matchAll(/(?<![\w.])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    const [, name, call] = m;
    if (call || PROMQL_WORDS.has(name!.toLowerCase())) continue;
    metrics.push(name!);
  }
  return { metrics, groupLabels, matcherLabels };
}

/** Problems of a dashboard JSON text. */
let defaults: Set<string> | undefined;

/** An exported metric's labels (a histogram's series included), or undefined for an unknown name. */
function knownMetric(metric: string): { labels: string[] } | undefined {
  if (LRNAS_METRICS[metric]) return LRNAS_METRICS[metric];
  const base = metric.replace(/_(bucket|sum|count)$/, '');
  if (base !== metric && LRNAS_METRICS[base]?.type === 'histogram') {
    return { labels: [...LRNAS_METRICS[base]!.labels, ...(metric.endsWith('_bucket') ? ['le'] : [])] };
  }
  defaults ??= defaultMetricNames();
  return defaults.has(metric) ? { labels: ['worker'] } : undefined;
}

/**
 * Problems of one PromQL expression (a dashboard query, an alert): it names no metric, a metric
 * neither service exports, or a label its metrics do not have.
 */
export function expressionProblems(expr: string, where: string): string[] {
  const problems: string[] = [];
  const { metrics, groupLabels, matcherLabels } = promqlNames(expr);
  if (metrics.length === 0) problems.push(`${where} names no metric`);
  const labels = new Set<string>(TARGET_LABELS);
  for (const metric of metrics) {
    const spec = knownMetric(metric);
    if (!spec) problems.push(`${where}: unknown metric ${metric}`);
    else spec.labels.forEach((l) => labels.add(l));
  }
  for (const label of [...groupLabels, ...matcherLabels]) {
    if (!labels.has(label)) problems.push(`${where}: label ${label} is not a label of ${metrics.join(', ')}`);
  }
  return problems;
}

export function checkDashboard(text: string, name: string): string[] {
  let dashboard: unknown;
  try {
    dashboard = JSON.parse(text);
  } catch (error) {
    return [`${name}: not JSON: ${error instanceof Error ? error.message : String(error)}`];
  }
  if (!isRecord(dashboard) || typeof dashboard.title !== 'string' || !Array.isArray(dashboard.panels)) {
    return [`${name}: not a Grafana dashboard (title and panels are required)`];
  }
  const problems: string[] = [];
  const panels = (dashboard.panels as unknown[]).flatMap((p) =>
    isRecord(p) && Array.isArray(p.panels) ? [p, ...(p.panels as unknown[])] : [p],
  );
  const ids = new Set<unknown>();
  let queries = 0;
  for (const panel of panels.filter(isRecord)) {
    if (ids.has(panel.id)) problems.push(`${name}: panel id ${String(panel.id)} is used twice`);
    ids.add(panel.id);
    if (panel.type === 'row') continue;
    const title = `${name}: panel "${String(panel.title)}"`;
    const targets = Array.isArray(panel.targets) ? panel.targets.filter(isRecord) : [];
    if (targets.length === 0) problems.push(`${title} has no queries`);
    for (const target of targets) {
      if (typeof target.expr !== 'string' || target.expr.trim() === '') {
        problems.push(`${title}: query ${String(target.refId)} has no expr`);
        continue;
      }
      queries++;
      problems.push(...expressionProblems(target.expr, `${title}: query ${String(target.refId)}`));
    }
  }
  if (queries === 0) problems.push(`${name}: no queries at all`);
  const templating =
    isRecord(dashboard.templating) && Array.isArray(dashboard.templating.list) ? dashboard.templating.list : [];
  for (const variable of templating.filter(isRecord)) {
    const query = isRecord(variable.query) ? variable.query.query : variable.query;
    const m = typeof query === 'string' ? /label_values\((\w+)/.exec(query) : null;
    if (m && !knownMetric(m[1]!))
      problems.push(`${name}: variable ${String(variable.name)} uses unknown metric ${m[1]}`);
  }
  return problems;
}
