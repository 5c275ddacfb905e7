import type { AttackName } from '@lrnas/schema';
import type { BenchOptions } from './options.js';

/** The two network sizes of the benchmark (evaluation network of the LRNAS_C10 genotype). */
export type NetworkName = 'tiny' | 'paper' | 'supernet-tiny' | 'supernet-c8' | 'supernet-paper';

/** Shapes of the two networks: the tiny preset (MNIST) and the paper's evaluation network (CIFAR-10). */
export const NETWORKS: Record<
  NetworkName,
  { channels: number; layers: number; imageSize: number; inputChannels: number; epsilon: number }
> = {
  tiny: { channels: 8, layers: 5, imageSize: 28, inputChannels: 1, epsilon: 0.3 },
  paper: { channels: 36, layers: 20, imageSize: 32, inputChannels: 3, epsilon: 8 / 255 },
  // Supernets (k = 4) of performance-targets.md: the tiny preset's, C=8 with 5 layers on 32x32x3, and the paper's.
  'supernet-tiny': { channels: 8, layers: 5, imageSize: 28, inputChannels: 1, epsilon: 0.3 },
  'supernet-c8': { channels: 8, layers: 5, imageSize: 32, inputChannels: 3, epsilon: 8 / 255 },
  'supernet-paper': { channels: 16, layers: 8, imageSize: 32, inputChannels: 3, epsilon: 8 / 255 },
};

/** Attacks of the suite as the benchmark runs them: `@lrnas/schema`'s ATTACKS. */
export type { AttackName };

/** What one iteration of a configuration does. */
export type WorkloadKind =
  | { kind: 'train-clean' }
  | { kind: 'train-pgd'; steps: number }
  | { kind: 'forward' }
  | { kind: 'attack-step' }
  | { kind: 'attack'; attack: AttackName; steps: number }
  | { kind: 'supernet-train' }
  | { kind: 'supernet-forward' }
  /** One contribution estimate (permutations of `batch` valid images, reference mode: the whole walk, FGSM made once). */
  | { kind: 'supernet-estimate'; permutations: number };

/** One measured configuration (run on each selected backend). */
export interface BenchConfig {
  /** e.g. `paper/train-clean`, `tiny/attack/pgd-20`. */
  id: string;
  network: NetworkName;
  workload: WorkloadKind;
  batch: number;
  warmup: number;
  iterations: number;
}

/** Per-configuration iteration counts: [warm-up, timed] for full and quick runs. */
type Counts = { full: [number, number]; quick: [number, number] };

interface Spec {
  id: string;
  network: NetworkName;
  workload: WorkloadKind;
  quickWorkload?: WorkloadKind;
  /** What the cpu backend runs by default (absent: skipped there unless --cpu-full). */
  cpuWorkload?: WorkloadKind;
  batch: number;
  counts: Counts;
}

const attack = (name: AttackName, steps: number, quickSteps: number, counts: Counts, cpuSteps?: number): Spec => ({
  id: `tiny/attack/${name}`,
  network: 'tiny',
  workload: { kind: 'attack', attack: name, steps },
  quickWorkload: { kind: 'attack', attack: name, steps: quickSteps },
  ...(cpuSteps === undefined ? {} : { cpuWorkload: { kind: 'attack', attack: name, steps: cpuSteps } }),
  batch: 64,
  counts,
});

const SPECS: Spec[] = [
  {
    id: 'tiny/train-clean',
    network: 'tiny',
    workload: { kind: 'train-clean' },
    cpuWorkload: { kind: 'train-clean' },
    batch: 64,
    counts: { full: [2, 8], quick: [1, 3] },
  },
  {
    id: 'tiny/train-pgd7',
    network: 'tiny',
    workload: { kind: 'train-pgd', steps: 7 },
    batch: 64,
    counts: { full: [1, 4], quick: [1, 2] },
  },
  attack('fgsm', 1, 1, { full: [2, 8], quick: [1, 3] }, 1),
  attack('pgd', 20, 5, { full: [1, 3], quick: [1, 2] }, 2),
  attack('cw', 100, 10, { full: [1, 2], quick: [1, 2] }),
  attack('apgd-ce', 100, 10, { full: [1, 2], quick: [1, 2] }),
  attack('apgd-dlr', 100, 10, { full: [1, 2], quick: [1, 2] }),
  attack('square', 1000, 100, { full: [1, 2], quick: [1, 2] }),
  {
    id: 'paper/train-clean',
    network: 'paper',
    workload: { kind: 'train-clean' },
    batch: 32,
    counts: { full: [1, 3], quick: [1, 1] },
  },
  {
    id: 'paper/train-pgd7',
    network: 'paper',
    workload: { kind: 'train-pgd', steps: 7 },
    batch: 32,
    counts: { full: [1, 2], quick: [0, 1] },
  },
  {
    id: 'paper/forward',
    network: 'paper',
    workload: { kind: 'forward' },
    batch: 64,
    counts: { full: [1, 5], quick: [1, 2] },
  },
  {
    id: 'paper/attack-step',
    network: 'paper',
    workload: { kind: 'attack-step' },
    batch: 64,
    counts: { full: [1, 3], quick: [1, 2] },
  },
  ...(['supernet-tiny', 'supernet-c8', 'supernet-paper'] as const).flatMap((network): Spec[] => {
    const paper = network === 'supernet-paper';
    return [
      {
        id: `${network}/train`,
        network,
        workload: { kind: 'supernet-train' },
        batch: 64,
        counts: paper ? { full: [1, 3], quick: [1, 1] } : { full: [1, 4], quick: [1, 2] },
      },
      ...(network === 'supernet-c8'
        ? []
        : [
            {
              id: `${network}/forward`,
              network,
              workload: { kind: 'supernet-forward' } as const,
              batch: 64,
              counts: { full: [1, 4], quick: [1, 2] } as Counts,
            },
            {
              id: `${network}/estimate`,
              network,
              workload: { kind: 'supernet-estimate', permutations: 1 } as const,
              batch: paper ? 64 : 32,
              counts: { full: [0, 1], quick: [0, 1] } as Counts,
            },
          ]),
    ];
  }),
];

/** Attack ids carry their step count, e.g. `tiny/attack/pgd-20`, `tiny/attack/square-1000`. */
function specId(spec: Spec, workload: WorkloadKind): string {
  if (workload.kind !== 'attack' || workload.attack === 'fgsm') return spec.id;
  return `${spec.id}-${workload.steps}`;
}

/** Every workload id (without step counts), for --help and for validating --workloads. */
export const WORKLOAD_IDS = SPECS.map((s) => s.id);

/** Whether an id matches one of the --workloads prefixes (by whole path segments). */
function selected(id: string, patterns: string[] | undefined): boolean {
  if (!patterns) return true;
  return patterns.some((p) => id === p || id.startsWith(`${p}/`) || id.startsWith(`${p}-`));
}

/**
 * The configurations of a run for one backend. The pure-JS cpu backend is 30-100x slower than wasm (a tiny-network
 * training step takes minutes): unless --cpu-full it runs only the tiny training step, FGSM and PGD-2, each with
 * one warm-up and one timed iteration, and lists the rest as skipped.
 */
export function planConfigs(options: BenchOptions, backend: string): { configs: BenchConfig[]; skipped: string[] } {
  const configs: BenchConfig[] = [];
  const skipped: string[] = [];
  const reduced = backend === 'cpu' && !options.cpuFull;
  for (const spec of SPECS) {
    const normal = options.quick && spec.quickWorkload ? spec.quickWorkload : spec.workload;
    const workload = reduced ? spec.cpuWorkload : normal;
    if (!selected(spec.id, options.workloads) && !selected(specId(spec, normal), options.workloads)) continue;
    if (!workload) {
      skipped.push(specId(spec, normal));
      continue;
    }
    const id = specId(spec, workload);
    const [warmup, iterations] = reduced ? [1, 1] : options.quick ? spec.counts.quick : spec.counts.full;
    configs.push({
      id,
      network: spec.network,
      workload,
      batch: options.batch ?? spec.batch,
      warmup: options.warmup ?? warmup,
      iterations: options.iterations ?? iterations,
    });
  }
  return { configs, skipped };
}

/** Rejects --workloads patterns that match nothing (a typo would otherwise run an empty benchmark). */
export function checkWorkloadPatterns(patterns: string[] | undefined): string | undefined {
  if (!patterns) return undefined;
  const bad = patterns.filter(
    (p) => !SPECS.some((s) => selected(s.id, [p]) || selected(specId(s, s.workload), [p]) || s.id.startsWith(p)),
  );
  return bad.length > 0
    ? `--workloads: no workload matches ${bad.join(', ')}; known: ${WORKLOAD_IDS.join(', ')}`
    : undefined;
}
