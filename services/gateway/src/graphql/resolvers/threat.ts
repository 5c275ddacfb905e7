import { threatModelLabel, type Norm as NormName } from '@lrnas/schema';
import type { ThreatModel } from '../types.js';
import type { Norm } from '../enums.js';

/** The ThreatModel object of a row's norm and radius columns. */
export function threatModelOf(row: { threatNorm: string; threatEpsilon: number }): ThreatModel {
  const model = { norm: row.threatNorm as NormName, epsilon: row.threatEpsilon };
  return { norm: model.norm as Norm, epsilon: model.epsilon, label: threatModelLabel(model) };
}
