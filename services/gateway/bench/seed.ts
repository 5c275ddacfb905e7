import fs from 'node:fs';
import type { EntityManager } from '@mikro-orm/core';
import { ATTACKS, type Genotype } from '@lrnas/schema';
import { createTeamWithKey } from '../src/auth/bootstrap.js';
import { Architecture, Evaluation, Experiment, Run, RunKind, RunStatus } from '../src/persistence/entities/index.js';
import { rebuildRunResults } from '../src/results/run-results.js';

const genotype = JSON.parse(
  fs.readFileSync(new URL('../../../schema/test/fixtures/genotypes.json', import.meta.url), 'utf8'),
).LRNAS_C10 as Genotype;

/** A deterministic pseudo-random number in [0, 1) from an integer. */
const noise = (i: number) => {
  const x = Math.sin(i * 12.9898) * 43758.5453;
  return x - Math.floor(x);
};

/**
 * A database the size the issue asks for: `runs` runs over 10 experiments and runs/10
 * architectures, `evaluationsPerRun` evaluations each (one per attack and seed), all on
 * CIFAR-10 under L-inf 0.031; inserted in bulk, with the leaderboard's summary rows.
 */
export async function seedResults(
  em: EntityManager,
  options: { runs: number; evaluationsPerRun: number },
): Promise<{ key: string; runs: number; evaluations: number }> {
  const { team, key } = await createTeamWithKey(em, 'bench');
  const experiments = Array.from({ length: 10 }, (_, i) => ({
    id: `exp-${i}`,
    team: team.id,
    name: `experiment ${i}`,
    dataset: 'cifar10',
    threatNorm: 'linf',
    threatEpsilon: 0.031,
    tags: [],
    visibility: i % 2 === 0 ? 'PUBLIC' : 'PRIVATE',
    createdAt: new Date(),
  }));
  await em.insertMany(Experiment, experiments as never);
  const architectures = Math.max(1, Math.round(options.runs / 10));
  const start = Date.now() - options.runs * 1000;
  await chunks(
    architectures,
    1000,
    (i) => ({
      hash: `arch-${i}`,
      genotype,
      params: Math.round(200_000 + noise(i) * 4_800_000),
      flops: Math.round(50_000_000 + noise(i + 7) * 500_000_000),
      channels: 16,
      layers: 8,
      classes: 10,
      createdAt: new Date(start),
    }),
    (rows) => em.insertMany(Architecture, rows as never),
  );
  const statuses = [RunStatus.SUCCEEDED, RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.RUNNING, RunStatus.QUEUED];
  await chunks(
    options.runs,
    1000,
    (i) => ({
      id: `run-${i}`,
      experiment: `exp-${i % 10}`,
      kind: RunKind.TRAIN,
      status: statuses[i % statuses.length]!,
      config: { train: { epochs: 10 + (i % 5) } },
      seed: i,
      tags: i % 2 === 0 ? ['bench'] : [],
      attempts: 1,
      lastAttempt: 1,
      lastSeq: 10,
      architecture: `arch-${i % architectures}`,
      createdAt: new Date(start + i * 1000),
    }),
    (rows) => em.insertMany(Run, rows as never),
  );
  const evaluations = options.runs * options.evaluationsPerRun;
  await chunks(
    evaluations,
    2000,
    (i) => {
      const run = Math.floor(i / options.evaluationsPerRun);
      const attack = ATTACKS[i % ATTACKS.length]!;
      return {
        architecture: `arch-${run % architectures}`,
        run: `run-${run}`,
        dataset: 'cifar10',
        attack,
        attackSettings: { steps: 10 },
        threatNorm: 'linf',
        threatEpsilon: 0.031,
        examples: 1000,
        seed: i % options.evaluationsPerRun,
        cleanAccuracy: 0.8 + noise(i) * 0.15,
        robustAccuracy: 0.3 + noise(i + 3) * 0.3,
        backend: 'cpu',
        engineVersion: '0.1.0',
        settingsKey: `${attack}:${i % options.evaluationsPerRun}`,
        createdAt: new Date(start + run * 1000),
      };
    },
    (rows) => em.insertMany(Evaluation, rows as never),
  );
  // Ingestion keeps the leaderboard's summary as it stores evaluations; rows inserted in bulk need it written.
  await rebuildRunResults(em);
  return { key, runs: options.runs, evaluations };
}

async function chunks<T>(
  n: number,
  size: number,
  make: (i: number) => T,
  insert: (rows: T[]) => Promise<unknown>,
): Promise<void> {
  for (let from = 0; from < n; from += size) {
    const rows = Array.from({ length: Math.min(size, n - from) }, (_, k) => make(from + k));
    await insert(rows);
  }
}
