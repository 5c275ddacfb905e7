import { ContractError } from '@lrnas/schema';

/** A learning-rate schedule, evaluated per epoch (the rate is constant within an epoch, as in DARTS). */
export type LrSchedule =
  | { kind: 'cosine'; baseLr: number; epochs: number; minLr?: number }
  | { kind: 'step'; baseLr: number; milestones: readonly number[]; gamma?: number }
  | { kind: 'constant'; baseLr: number };

/**
 * Cosine annealing from `baseLr` at epoch 0 towards `minLr` at epoch `epochs` (PyTorch's
 * CosineAnnealingLR stepped once per epoch, as DARTS does): min + (base - min) * (1 + cos(pi e / T)) / 2.
 */
export function cosineLr(baseLr: number, epoch: number, epochs: number, minLr = 0): number {
  return minLr + ((baseLr - minLr) * (1 + Math.cos((Math.PI * epoch) / epochs))) / 2;
}

/** Step decay: `baseLr` times `gamma` for every milestone at or before `epoch` (PyTorch's MultiStepLR). */
export function stepLr(baseLr: number, epoch: number, milestones: readonly number[], gamma = 0.1): number {
  let lr = baseLr;
  for (const m of milestones) if (epoch >= m) lr *= gamma;
  return lr;
}

/** The learning rate of `epoch` under `schedule`. */
export function learningRate(schedule: LrSchedule, epoch: number): number {
  switch (schedule.kind) {
    case 'cosine':
      return cosineLr(schedule.baseLr, epoch, schedule.epochs, schedule.minLr ?? 0);
    case 'step':
      return stepLr(schedule.baseLr, epoch, schedule.milestones, schedule.gamma ?? 0.1);
    case 'constant':
      return schedule.baseLr;
  }
}

/**
 * The paper's milestones (x0.1 at epochs 99 and 104 of 110), scaled to a run of `epochs` epochs:
 * floor(epochs * 99 / 110) and floor(epochs * 104 / 110).
 */
export function defaultMilestones(epochs: number): number[] {
  return [Math.floor((epochs * 99) / 110), Math.floor((epochs * 104) / 110)];
}

/** DARTS's drop-path schedule: `maxProb * epoch / epochs`, rising linearly from 0 over the run. */
export function dropPathProbability(maxProb: number, epoch: number, epochs: number): number {
  return (maxProb * epoch) / epochs;
}

/** Checks a schedule's numbers; throws a ContractError naming the field. */
export function validateSchedule(schedule: LrSchedule): LrSchedule {
  if (!(Number.isFinite(schedule.baseLr) && schedule.baseLr > 0))
    throw new ContractError('learningRate', `must be a positive number, got ${schedule.baseLr}`);
  if (schedule.kind === 'cosine' && !(Number.isInteger(schedule.epochs) && schedule.epochs > 0))
    throw new ContractError('epochs', `must be a positive integer, got ${schedule.epochs}`);
  if (schedule.kind === 'step') {
    schedule.milestones.forEach((m, i) => {
      if (!(Number.isInteger(m) && m >= 0))
        throw new ContractError(`milestones[${i}]`, `must be a non-negative integer, got ${m}`);
    });
    const gamma = schedule.gamma ?? 0.1;
    if (!(Number.isFinite(gamma) && gamma > 0)) throw new ContractError('gamma', `must be positive, got ${gamma}`);
  }
  return schedule;
}
