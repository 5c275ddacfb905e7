/** What the top of a run page says: where the run stands, how long it took, what it measured. */
import { isTerminalRunStatus, stagesOfRunKind } from '@lrnas/schema';

export interface SummaryInput {
  kind: string;
  status: string;
  stage: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  experiment: { threatModel: { norm: string; epsilon: number } };
  evaluations: {
    attack: string;
    cleanAccuracy: number;
    robustAccuracy: number;
    threatModel: { norm: string; epsilon: number };
  }[];
}

/**
 * The run's stage in words: the one running, or how the run ended. After success every stage is
 * done, so it says so instead of naming the last one as if it were still under way.
 */
export function stageText(run: Pick<SummaryInput, 'kind' | 'status' | 'stage'>): string {
  const stages = stagesOfRunKind(run.kind);
  switch (run.status) {
    case 'QUEUED':
      return 'waiting for a worker';
    case 'SUCCEEDED':
      return stages.length > 1 ? `all ${stages.length} stages done (${stages.join(', ')})` : 'done';
    case 'FAILED':
      return run.stage ? `failed during ${run.stage}` : 'failed before its first stage';
    case 'CANCELLED':
      return run.stage ? `cancelled during ${run.stage}` : 'cancelled before its first stage';
    default:
      return run.stage
        ? `${run.stage} (stage ${(stages as readonly string[]).indexOf(run.stage) + 1} of ${stages.length})`
        : 'starting';
  }
}

/** Milliseconds from start to finish, or to `now` while running; null before the start. */
export function runDuration(
  run: Pick<SummaryInput, 'status' | 'startedAt' | 'finishedAt'>,
  now: number,
): number | null {
  if (!run.startedAt) return null;
  const end = run.finishedAt ? Date.parse(run.finishedAt) : isTerminalRunStatus(run.status) ? null : now;
  return end === null ? null : end - Date.parse(run.startedAt);
}

export interface Result {
  clean: number;
  /** The lowest robust accuracy over the attacks: the worst case the suite found. */
  robust: number;
  worstAttack: string;
  attacks: number;
}

/**
 * The run's result under its experiment's threat model: clean accuracy and the worst robust
 * accuracy over the attacks evaluated (ties go to the first). Null without such an evaluation.
 */
export function headlineResult(run: Pick<SummaryInput, 'experiment' | 'evaluations'>): Result | null {
  const { norm, epsilon } = run.experiment.threatModel;
  const matching = run.evaluations.filter((e) => e.threatModel.norm === norm && e.threatModel.epsilon === epsilon);
  if (matching.length === 0) return null;
  let worst = matching[0]!;
  for (const e of matching) if (e.robustAccuracy < worst.robustAccuracy) worst = e;
  return {
    clean: Math.max(...matching.map((e) => e.cleanAccuracy)),
    robust: worst.robustAccuracy,
    worstAttack: worst.attack,
    attacks: matching.length,
  };
}

export interface ArtifactEntry {
  name: string;
  kind: string;
  digest: string;
  size: number;
  stage: string | null;
}

/** The file name of an artifact's stored name (run-1/model/model.json is model.json under model/). */
export function fileName(name: string): string {
  const parts = name.split('/');
  return parts.length > 1 ? parts.slice(1).join('/') : name;
}

/**
 * One download per distinct artifact: artifacts with the same content (digest) are one entry,
 * named by its first file, with the other names kept to say so.
 */
export function distinctArtifacts<A extends ArtifactEntry>(artifacts: readonly A[]): (A & { sameAs: string[] })[] {
  const byDigest = new Map<string, A & { sameAs: string[] }>();
  for (const a of [...artifacts].sort((x, y) => x.name.localeCompare(y.name))) {
    const seen = byDigest.get(a.digest);
    if (seen) seen.sameAs.push(fileName(a.name));
    else byDigest.set(a.digest, { ...a, sameAs: [] });
  }
  return [...byDigest.values()];
}
