/** An attack's stored settings in words, for the evaluation tables. */
import { metric } from './format.js';

/**
 * "20 steps · step size 0.075 · 1 restart". Evaluations stored before workers reported the
 * settings they used have none: said so, rather than shown as `{}`.
 */
export function attackSettingsText(settings: Record<string, unknown> | null | undefined): string {
  const entries = Object.entries(settings ?? {});
  if (entries.length === 0) return 'defaults (not recorded)';
  const parts: string[] = [];
  const { steps, stepSize, restarts, ...rest } = settings as Record<string, unknown>;
  if (typeof steps === 'number') parts.push(`${steps} step${steps === 1 ? '' : 's'}`);
  if (typeof stepSize === 'number') parts.push(`step size ${metric(stepSize)}`);
  if (typeof restarts === 'number') parts.push(`${restarts} restart${restarts === 1 ? '' : 's'}`);
  for (const [key, value] of Object.entries(rest)) parts.push(`${key} ${String(value)}`);
  return parts.join(' · ');
}
