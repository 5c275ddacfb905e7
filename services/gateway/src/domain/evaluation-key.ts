/**
 * Identity of an evaluation within a run: the attack with its settings, the threat model, the
 * number of examples and the seed. A replayed evaluation event has the same key and so updates
 * the row it made instead of adding one.
 */
export function evaluationSettingsKey(e: {
  attack: { name: string; steps?: number | undefined; stepSize?: number | undefined; restarts?: number | undefined };
  threatModel: { norm: string; epsilon: number };
  examples: number;
  seed: number;
}): string {
  const { name, steps, stepSize, restarts } = e.attack;
  return JSON.stringify([
    name,
    steps ?? null,
    stepSize ?? null,
    restarts ?? null,
    e.threatModel.norm,
    e.threatModel.epsilon,
    e.examples,
    e.seed,
  ]);
}
