import type { Genotype } from '@lrnas/schema';
import { PUBLISHED_GENOTYPES } from '../src/study/baselines.js';

/**
 * LRNAS_C10, the genotype the paper found on CIFAR-10 (lrnas-method.md section 9): both benchmark networks use it.
 * The one copy is the study's (src/study/baselines.ts, tested there); the benchmark only names it.
 */
export const LRNAS_C10: Genotype = PUBLISHED_GENOTYPES['lrnas-c10'];
