import { z } from 'zod';

/** Norms an attack may be bounded in. */
export const NORMS = ['linf', 'l2'] as const;
export type Norm = (typeof NORMS)[number];

/** Where an adversary may move an input: within `epsilon` of it in the given norm, pixels in [0, 1]. */
export interface ThreatModel {
  norm: Norm;
  epsilon: number;
}

export const threatModelSchema = z
  .strictObject({
    norm: z.enum(NORMS),
    // L-inf radii live in (0, 1] on [0,1] images; L2 radii can be larger but stay bounded.
    epsilon: z.number().positive().max(64),
  })
  .refine((t) => t.norm !== 'linf' || t.epsilon <= 1, {
    message: 'an L-inf epsilon above 1 covers the whole [0, 1] pixel range',
    path: ['epsilon'],
  });

/** Grouping key for leaderboards: `linf:0.031373` (epsilon rounded to 6 decimals). */
export function threatModelKey(t: ThreatModel): string {
  return `${t.norm}:${t.epsilon.toFixed(6)}`;
}

/** Human label: `L∞ ε=8/255` for the common /255 radii, otherwise the decimal. */
export function threatModelLabel(t: ThreatModel): string {
  const over255 = t.epsilon * 255;
  const eps = Math.abs(over255 - Math.round(over255)) < 1e-6 ? `${Math.round(over255)}/255` : String(t.epsilon);
  return `${t.norm === 'linf' ? 'L∞' : 'L2'} ε=${eps}`;
}
