/** A configuration setting that is not the same in every compared run. */
export interface ConfigDifference {
  /** Dotted path, e.g. `train.epochs` or `train.milestones[1]`. */
  path: string;
  /** The value in each run, in the order given; undefined where a run does not set it. */
  values: unknown[];
}

/** Leaf values of a JSON value by dotted path (arrays by index), so nested settings compare one by one. */
export function flattenConfig(value: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (Array.isArray(value)) {
    if (value.length === 0) out.set(prefix, []);
    value.forEach((item, i) => flattenConfig(item, `${prefix}[${i}]`, out));
  } else if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    if (entries.length === 0 && prefix) out.set(prefix, {});
    for (const [key, item] of entries) flattenConfig(item, prefix ? `${prefix}.${key}` : key, out);
  } else {
    out.set(prefix, value);
  }
  return out;
}

/** The settings that differ between the configurations, sorted by path. */
export function configDifferences(configs: readonly unknown[]): ConfigDifference[] {
  const flat = configs.map((c) => flattenConfig(c));
  const paths = new Set(flat.flatMap((f) => [...f.keys()]));
  const differences: ConfigDifference[] = [];
  for (const path of [...paths].sort()) {
    const values = flat.map((f) => f.get(path));
    const first = JSON.stringify(values[0]);
    if (values.some((v) => JSON.stringify(v) !== first)) differences.push({ path, values });
  }
  return differences;
}
