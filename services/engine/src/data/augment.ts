import { BYTE_TO_UNIT } from './dataset.js';
import type { Dataset } from './dataset.js';
import { DataError } from './errors.js';
import type { Rng } from '../random.js';

/** Random crop with zero padding and optional horizontal flip, as in CIFAR training. */
export interface Augmentation {
  /** Zero border added on each side before cropping back to the original size; 0 disables the crop. */
  padding: number;
  /** Mirror left-right with probability 1/2. */
  flip: boolean;
}

/** What a caller may ask for: `true` means pad 4 and flip where the data set allows it. */
export type AugmentOption = boolean | { padding?: number; flip?: boolean };

/** One image's draw: the crop window's corner in padded coordinates and whether to mirror. */
export interface AugmentDraw {
  dy: number;
  dx: number;
  flip: boolean;
}

/** Resolves an option against a data set; asking to flip digits or clothes-as-digits is an error. */
export function resolveAugmentation(ds: Dataset, option: AugmentOption | undefined): Augmentation | undefined {
  if (option === undefined || option === false) return undefined;
  const padding = option === true ? 4 : (option.padding ?? 4);
  const flip = option === true ? ds.flippable : (option.flip ?? ds.flippable);
  if (!Number.isInteger(padding) || padding < 0 || padding >= Math.min(ds.height, ds.width)) {
    throw new DataError(
      'BAD_OPTION',
      `augmentation padding must be an integer in 0..${Math.min(ds.height, ds.width) - 1}; got ${padding}`,
    );
  }
  if (flip && !ds.flippable)
    throw new DataError('BAD_OPTION', `${ds.name} must not be flipped horizontally: mirrored images change meaning`);
  if (padding === 0 && !flip) return undefined;
  return { padding, flip };
}

/** Draws one image's crop offset and flip; always consumes the same amount of randomness. */
export function drawAugmentation(aug: Augmentation, rng: Rng): AugmentDraw {
  const span = 2 * aug.padding + 1;
  const dy = rng.nextInt(span);
  const dx = rng.nextInt(span);
  const coin = rng.nextU32() >>> 31;
  return { dy, dx, flip: aug.flip && coin === 1 };
}

/**
 * Writes image `n` of `ds` into `out` at `offset` as floats in [0, 1], cropped from the image padded
 * with `padding` zeros at window corner (dy, dx) and mirrored if `draw.flip`: output (r, c) shows
 * padded (r + dy, c' + dx) with c' = flip ? width-1-c : c.
 */
export function writeAugmented(
  ds: Dataset,
  n: number,
  out: Float32Array,
  offset: number,
  padding: number,
  draw: AugmentDraw,
): void {
  const { height: h, width: w, channels: ch } = ds;
  const src = ds.pixels;
  const base = n * h * w * ch;
  let o = offset;
  for (let r = 0; r < h; r++) {
    const sr = r + draw.dy - padding;
    if (sr < 0 || sr >= h) {
      out.fill(0, o, o + w * ch);
      o += w * ch;
      continue;
    }
    const rowBase = base + sr * w * ch;
    for (let c = 0; c < w; c++) {
      const sc = (draw.flip ? w - 1 - c : c) + draw.dx - padding;
      if (sc < 0 || sc >= w) {
        for (let k = 0; k < ch; k++) out[o++] = 0;
      } else {
        const s = rowBase + sc * ch;
        for (let k = 0; k < ch; k++) out[o++] = BYTE_TO_UNIT[src[s + k]!]!;
      }
    }
  }
}
