import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d } from './batch-norm.js';
import { Conv2d, Linear, ReLU } from './layers.js';
import { Layer, Module, Sequential, type ForwardContext } from './module.js';
import { avgPoolExcludePad } from './pooling.js';

/** Average pooling without padding (a parameterless layer, so the DARTS indices of `features` line up). */
class AvgPoolValid extends Layer {
  constructor(
    readonly kernel: number,
    readonly stride: number,
  ) {
    super();
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    const [, h, w] = x.shape;
    // Inputs smaller than the window are pooled whole.
    const k = Math.min(this.kernel, h, w);
    return avgPoolExcludePad(x, k, this.stride, 0);
  }
}

/**
 * DARTS's AuxiliaryHeadCIFAR: ReLU, avgpool 5 stride 3 (no padding), 1x1 conv to 128, BN, ReLU,
 * 2x2 conv to 768, BN, ReLU, linear. Names follow DARTS (`features.2.weight`, `classifier.bias`).
 * Exactly DARTS on its 8x8 input (CIFAR at 32x32). Other sizes, where DARTS would fail: an input
 * smaller than 5 is pooled whole, a 1x1 pooled map gets the 2x2 conv with one zero row and column
 * after it, and a conv output larger than 1x1 is averaged to 1x1 before the linear layer.
 */
export class AuxiliaryHead extends Module {
  readonly features: Sequential;
  readonly classifier: Linear;
  readonly #conv2: Conv2d;

  constructor(inChannels: number, classes: number) {
    super();
    this.#conv2 = new Conv2d(128, 768, 2);
    this.features = this.addModule(
      'features',
      new Sequential([
        new ReLU(),
        new AvgPoolValid(5, 3),
        new Conv2d(inChannels, 128, 1),
        new BatchNorm2d(128),
        new ReLU(),
        this.#conv2,
        new BatchNorm2d(768),
        new ReLU(),
      ]),
    );
    this.classifier = this.addModule('classifier', new Linear(768, classes));
  }

  /** `[N, H, W, C]` to logits `[N, classes]`. */
  forward(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor2D {
    return tf.tidy(() => {
      const layers = this.features.layers;
      let h = x;
      for (const layer of layers) {
        if (layer === this.#conv2) {
          const pad: [[0, 0], [number, number], [number, number], [0, 0]] = [
            [0, 0],
            [0, h.shape[1] < 2 ? 1 : 0],
            [0, h.shape[2] < 2 ? 1 : 0],
            [0, 0],
          ];
          h = tf.conv2d(h, this.#conv2.weight.value as tf.Tensor4D, 1, pad);
        } else {
          h = layer.forward(h, ctx);
        }
      }
      const flat = h.shape[1] === 1 && h.shape[2] === 1 ? tf.reshape(h, [h.shape[0], 768]) : tf.mean(h, [1, 2]);
      return this.classifier.forward(flat as tf.Tensor2D);
    });
  }
}
