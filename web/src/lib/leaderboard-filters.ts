/** The leaderboard's filters as they live in the page address. */
import { ATTACKS, DATASETS, enumNames, NORMS } from '@lrnas/schema';

/** Data sets as the API names them: the contract's DATASETS. */
export const DATASET_CHOICES = enumNames(DATASETS);
/** Norms as the API names them: the contract's NORMS. */
export const NORM_CHOICES = enumNames(NORMS);
/** Attacks as the API names them (the contract's ATTACKS); '' ranks by the worst attack of each suite. */
export const ATTACK_CHOICES = ['', ...enumNames(ATTACKS)] as const;

/** Leaderboard filters read from the address (so a view can be shared), with their problems. */
export function readFilters(query: URLSearchParams): {
  dataset: string;
  norm: string;
  epsilon: string;
  maxParams: string;
  attack: string;
  errors: string[];
} {
  const dataset = query.get('dataset') ?? 'MNIST';
  const norm = (query.get('norm') ?? 'LINF').toUpperCase();
  const epsilon = query.get('epsilon') ?? '0.3';
  const maxParams = query.get('maxParams') ?? '';
  const attack = query.get('attack') ?? '';
  const errors: string[] = [];
  if (!(DATASET_CHOICES as readonly string[]).includes(dataset)) errors.push(`unknown data set ${dataset}`);
  if (!(NORM_CHOICES as readonly string[]).includes(norm))
    errors.push(`norm must be ${NORM_CHOICES.join(' or ')}, got ${norm}`);
  if (!(Number(epsilon) > 0)) errors.push(`epsilon must be a number above 0, got "${epsilon}"`);
  if (maxParams && !(Number(maxParams) > 0))
    errors.push(`the parameter limit must be a number above 0, got "${maxParams}"`);
  if (!(ATTACK_CHOICES as readonly string[]).includes(attack)) errors.push(`unknown attack ${attack}`);
  return { dataset, norm, epsilon, maxParams, attack, errors };
}
