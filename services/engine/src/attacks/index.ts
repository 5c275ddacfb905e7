/** Adversarial attacks (L-inf): FGSM, PGD, CW-inf, APGD-CE/DLR, Square, and a suite running several. */
export { toLinfThreatModel, type AttackResult, type Classifier, type LinfThreatModel } from './types.js';
export { crossEntropyLoss, dlrLoss, marginLoss, maxOtherLogit, trueLogit, type AttackLoss } from './losses.js';
export { ensureGradients, lossAndGradient, misclassifiedBy, type LossAndGradient } from './gradient.js';
export { projectLinf, randomLinfStart } from './linf.js';
export { fgsm, type FgsmOptions } from './fgsm.js';
export { attackLoss, pgd, type LossName, type PgdOptions } from './pgd.js';
export { cwLinf, type CwOptions } from './cw.js';
export { apgd, apgdCe, apgdDlr, type ApgdOptions } from './apgd.js';
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
