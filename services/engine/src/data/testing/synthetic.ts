import { Dataset } from '../dataset.js';

/**
 * Test-only data set whose image n has pixel (r, c, ch) = pattern(n, r, c, ch), so every value
 * tells where it came from; labels are n mod classes.
 */
export function syntheticDataset(options: {
  size: number;
  height?: number;
  width?: number;
  channels?: number;
  classes?: number;
  flippable?: boolean;
  pattern?: (n: number, r: number, c: number, ch: number) => number;
}): Dataset {
  const { size, height = 6, width = 5, channels = 3, classes = 4, flippable = true } = options;
  const pattern = options.pattern ?? ((n, r, c, ch) => (n * 31 + r * 7 + c * 3 + ch * 101 + 1) % 256);
  const pixels = new Uint8Array(size * height * width * channels);
  let o = 0;
  for (let n = 0; n < size; n++)
    for (let r = 0; r < height; r++)
      for (let c = 0; c < width; c++) for (let ch = 0; ch < channels; ch++) pixels[o++] = pattern(n, r, c, ch);
  const labels = Int32Array.from({ length: size }, (_, n) => n % classes);
  return new Dataset({
    name: 'synthetic',
    split: 'train',
    height,
    width,
    channels,
    classes,
    pixels,
    labels,
    flippable,
  });
}
