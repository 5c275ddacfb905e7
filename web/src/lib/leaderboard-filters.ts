/** The leaderboard's filters as they live in the page address. */

export const DATASET_CHOICES = ['MNIST', 'FASHION_MNIST', 'CIFAR10', 'CIFAR100', 'SVHN'] as const;
/** '' ranks by the worst attack of each suite. */
export const ATTACK_CHOICES = ['', 'FGSM', 'PGD', 'CW', 'APGD_CE', 'APGD_DLR', 'SQUARE'] as const;

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
  if (norm !== 'LINF' && norm !== 'L2') errors.push(`norm must be LINF or L2, got ${norm}`);
  if (!(Number(epsilon) > 0)) errors.push(`epsilon must be a number above 0, got "${epsilon}"`);
  if (maxParams && !(Number(maxParams) > 0))
    errors.push(`the parameter limit must be a number above 0, got "${maxParams}"`);
  if (!(ATTACK_CHOICES as readonly string[]).includes(attack)) errors.push(`unknown attack ${attack}`);
  return { dataset, norm, epsilon, maxParams, attack, errors };
}
