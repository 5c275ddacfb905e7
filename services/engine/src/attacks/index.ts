/**
 * Adversarial attacks: FGSM, PGD, CW-inf, CW-L2, APGD-CE/DLR, APGD-T, FAB-T, Square (L-inf but CW-L2), and a suite
 * running several (AutoAttack-style with `cascade`).
 */
export { toLinfThreatModel, type AttackResult, type Classifier, type LinfThreatModel } from './types.js';
export {
  crossEntropyLoss,
  dlrLoss,
  marginLoss,
  maxOtherLogit,
  targetedDlrLoss,
  trueLogit,
  type AttackLoss,
} from './losses.js';
export { ensureGradients, lossAndGradient, misclassifiedBy, type LossAndGradient } from './gradient.js';
export { projectLinf, randomLinfStart } from './linf.js';
export { fgsm, type FgsmOptions } from './fgsm.js';
export { attackLoss, pgd, type LossName, type PgdOptions } from './pgd.js';
export { cwLinf, type CwOptions } from './cw.js';
export { apgd, apgdCe, apgdDlr, type ApgdLoss, type ApgdOptions } from './apgd.js';
export { apgdTargeted, type ApgdTargetedOptions } from './apgd-targeted.js';
export { fabTargeted, projectOntoHyperplaneLinf, type FabOptions } from './fab.js';
export { cwL2, type CwL2Options } from './cw-l2.js';
export { overTargetClasses, targetsByRank, type TargetedRun } from './targeted.js';
export { apgdCheckpoints, shouldHalve, type CheckpointState } from './apgd-schedule.js';
export { squareAttack, squareFraction, squareSide, type SquareOptions, type SquareResult } from './square.js';
export {
  resolveAttackSettings,
  runAttack,
  runSuite,
  suiteAttackSeed,
  SUITE_ATTACKS,
  type AttackReport,
  type AttackSettings,
  type SuiteAttackName,
  type SuiteAttackSpec,
  type SuiteOptions,
  type SuiteReport,
} from './suite.js';
