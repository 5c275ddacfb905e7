/** Data sets: loaders, the in-memory representation, seeded splits and batches. */
export { DataError, DATA_PROBLEMS } from './errors.js';
export type { DataProblem } from './errors.js';
export { Dataset, BYTE_TO_UNIT } from './dataset.js';
export type { DatasetInit, DatasetShape } from './dataset.js';
export { STREAMS } from './streams.js';
export { splitHalves, splitTrainTest, limitSize } from './splits.js';
export { batches, batchCount, epochOrder, EpochPlan } from './batches.js';
export type { Batch, BatchArrays, BatchOptions } from './batches.js';
export { resolveAugmentation, drawAugmentation, writeAugmented } from './augment.js';
export type { Augmentation, AugmentDraw, AugmentOption } from './augment.js';
export { loadDataset, DEFAULT_SPLIT_SEED, DEFAULT_TEST_SIZE } from './load.js';
export type { LoadDatasetOptions } from './load.js';
export { loadCifar10, loadCifar100, CIFAR10_CLASSES, CIFAR100_CLASSES } from './cifar.js';
export { loadSvhn, readSvhnFile, SVHN_CLASSES } from './svhn.js';
export { loadMnistPackage, loadFashionMnistPackage, MNIST_CLASSES, FASHION_MNIST_CLASSES } from './packaged.js';
export { readMat5 } from './mat5.js';
export type { MatData, MatVariable } from './mat5.js';
