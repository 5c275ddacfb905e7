/** Purposes that derive independent data streams from one user seed (first part after the seed). */
export const STREAMS = {
  shuffle: 1,
  augment: 2,
  testSplit: 3,
  halves: 4,
  limit: 5,
} as const;
