import { ContractError } from '@lrnas/schema';

/** Size of an evaluation network (lrnas-method.md section 7). */
export interface NetworkShape {
  /** Initial channels C (the stem has 3C; each reduction doubles C). */
  channels: number;
  /** Number of cells L. */
  layers: number;
  /** Classifier outputs. */
  classes: number;
  /** Channels of the input images (3 for RGB, 1 for MNIST). */
  inputChannels: number;
}

/** The paper's evaluation size: C = 36, L = 20, 10 classes, RGB. */
export const DEFAULT_NETWORK_SHAPE: Readonly<NetworkShape> = {
  channels: 36,
  layers: 20,
  classes: 10,
  inputChannels: 3,
};

/** The stem has this many times C channels (DARTS's stem_multiplier). */
export const STEM_MULTIPLIER = 3;

/** A cell concatenates its 4 intermediate nodes. */
export const CELL_MULTIPLIER = 4;

/** Checks that every field of a network shape is a positive integer; throws a ContractError naming the field. */
export function validateNetworkShape(shape: NetworkShape): NetworkShape {
  for (const key of ['channels', 'layers', 'classes', 'inputChannels'] as const) {
    const value = shape[key];
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new ContractError(key, `must be a positive integer, got ${String(value)}`);
    }
  }
  return shape;
}

/** Indices of the reduction cells: L/3 and 2L/3, rounded down (DARTS's `i in [L//3, 2*L//3]`). */
export function reductionLayers(layers: number): [number, number] {
  return [Math.floor(layers / 3), Math.floor((2 * layers) / 3)];
}

/** Channel bookkeeping of one cell. */
export interface CellPlan {
  index: number;
  reduction: boolean;
  /** The previous cell was a reduction, so input 0 is twice the resolution and goes through FactorizedReduce. */
  reductionPrev: boolean;
  /** Channels of input 0 (the cell before the previous one) and input 1 (the previous cell). */
  cPrevPrev: number;
  cPrev: number;
  /** Channels of each intermediate node; the cell outputs 4x this. */
  c: number;
}

/** Per-cell channels of the evaluation network, as DARTS's NetworkCIFAR computes them. */
export function planCells(shape: NetworkShape): CellPlan[] {
  const { channels, layers } = validateNetworkShape(shape);
  const reductions = reductionLayers(layers);
  const stem = STEM_MULTIPLIER * channels;
  let cPrevPrev = stem;
  let cPrev = stem;
  let c = channels;
  let reductionPrev = false;
  const plan: CellPlan[] = [];
  for (let index = 0; index < layers; index++) {
    const reduction = reductions.includes(index);
    if (reduction) c *= 2;
    plan.push({ index, reduction, reductionPrev, cPrevPrev, cPrev, c });
    reductionPrev = reduction;
    [cPrevPrev, cPrev] = [cPrev, CELL_MULTIPLIER * c];
  }
  return plan;
}

/** Index of the cell after which the auxiliary head reads (2L/3, rounded down, as DARTS). */
export function auxiliaryLayer(layers: number): number {
  return Math.floor((2 * layers) / 3);
}
