import * as tf from '@tensorflow/tfjs-core';
import { RELU_GRAD, reluGrad } from '../relu-grad.js';
import { asFloat, at, grad, one, unbroadcast, zeros } from './util.js';

type Rule = (dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/**
 * A broadcasting binary kernel: `ruleA` and `ruleB` give the gradients of a and b at the broadcast shape, each
 * computed only when backprop asks for it (e.g. not for a constant factor).
 */
function binary(kernelName: string, ruleA: Rule, ruleB: Rule): tf.GradConfig {
  return grad({
    kernelName,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = [at(saved, 0), at(saved, 1)];
      return {
        a: () => unbroadcast(ruleA(one(dy), a, b), a.shape),
        b: () => unbroadcast(ruleB(one(dy), a, b), b.shape),
      };
    },
  });
}

/** A unary kernel whose gradient needs its input x. */
function fromInput(kernelName: string, rule: (dy: tf.Tensor, x: tf.Tensor) => tf.Tensor): tf.GradConfig {
  return grad({
    kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => rule(one(dy), at(saved, 0)) }),
  });
}

/** A unary kernel whose gradient is cheapest from its output y. */
function fromOutput(kernelName: string, rule: (dy: tf.Tensor, y: tf.Tensor) => tf.Tensor): tf.GradConfig {
  return grad({
    kernelName,
    outputsToSave: [true],
    gradFunc: (dy, saved) => ({ x: () => rule(one(dy), at(saved, 0)) }),
  });
}

/** Piecewise-constant or boolean kernels: a zero gradient lets backprop pass through masks built from x. */
function flat(kernelName: string, inputs: string[]): tf.GradConfig {
  return grad({
    kernelName,
    inputsToSave: inputs,
    gradFunc: (_dy, saved) => Object.fromEntries(inputs.map((name, i) => [name, () => zeros(at(saved, i))])),
  });
}

/** Gradients of the arithmetic, activation and comparison kernels. */
export const elementwiseGradients: tf.GradConfig[] = [
  binary(
    'Add',
    (dy) => dy,
    (dy) => dy,
  ),
  binary(
    'Sub',
    (dy) => dy,
    (dy) => tf.neg(dy),
  ),
  binary(
    'Multiply',
    (dy, _a, b) => tf.mul(dy, b),
    (dy, a) => tf.mul(dy, a),
  ),
  binary(
    'RealDiv',
    (dy, _a, b) => tf.div(dy, b),
    (dy, a, b) => tf.neg(tf.div(tf.mul(dy, a), tf.square(b))),
  ),
  // Ties send the gradient to `a`, as in TensorFlow.
  binary(
    'Maximum',
    (dy, a, b) => tf.mul(dy, asFloat(tf.greaterEqual(a, b))),
    (dy, a, b) => tf.mul(dy, asFloat(tf.less(a, b))),
  ),
  binary(
    'Minimum',
    (dy, a, b) => tf.mul(dy, asFloat(tf.lessEqual(a, b))),
    (dy, a, b) => tf.mul(dy, asFloat(tf.greater(a, b))),
  ),
  binary(
    'SquaredDifference',
    (dy, a, b) => tf.mul(dy, tf.mul(tf.scalar(2), tf.sub(a, b))),
    (dy, a, b) => tf.neg(tf.mul(dy, tf.mul(tf.scalar(2), tf.sub(a, b)))),
  ),
  grad({
    kernelName: 'Pow',
    inputsToSave: ['a', 'b'],
    outputsToSave: [true],
    gradFunc: (dy, saved) => {
      const [a, b, y] = [at(saved, 0), at(saved, 1), at(saved, 2)];
      const d = one(dy);
      // d/db a^b = a^b log a, defined for a > 0 only.
      const logA = tf.where(tf.greater(a, 0), tf.log(tf.maximum(a, 1e-30)), tf.zerosLike(a));
      return {
        a: () => unbroadcast(tf.mul(d, tf.mul(b, tf.pow(a, tf.sub(b, 1)))), a.shape),
        b: () => unbroadcast(tf.mul(d, tf.mul(y, logA)), b.shape),
      };
    },
  }),
  grad({
    kernelName: 'AddN',
    saveAllInputs: true,
    gradFunc: (dy, saved) => Object.fromEntries(saved.map((_, i) => [String(i), () => tf.clone(one(dy))])),
  }),
  grad({
    kernelName: 'Select',
    inputsToSave: ['condition', 't', 'e'],
    gradFunc: (dy, saved) => {
      const [condition, t, e] = [at(saved, 0), at(saved, 1), at(saved, 2)];
      const pick = asFloat(condition);
      return {
        condition: () => zeros(condition),
        t: () => unbroadcast(tf.mul(one(dy), pick), t.shape),
        e: () => unbroadcast(tf.mul(one(dy), tf.sub(1, pick)), e.shape),
      };
    },
  }),
  grad({
    kernelName: 'ClipByValue',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs: tf.ClipByValueAttrs) => {
      const x = at(saved, 0);
      const inside = tf.logicalAnd(tf.greaterEqual(x, attrs.clipValueMin), tf.lessEqual(x, attrs.clipValueMax));
      return { x: () => tf.mul(one(dy), asFloat(inside)) };
    },
  }),
  grad({ kernelName: 'Identity', gradFunc: (dy) => ({ x: () => tf.clone(one(dy)) }) }),
  grad({ kernelName: 'Cast', gradFunc: (dy) => ({ x: () => tf.cast(one(dy), 'float32') }) }),
  grad({ kernelName: 'Neg', gradFunc: (dy) => ({ x: () => tf.neg(one(dy)) }) }),
  // dy where y = relu(x) > 0, i.e. where x > 0 (one engine kernel on cpu and wasm). Read from the output, which
  // the next layer (a convolution) saves anyway, so the input need not stay alive.
  fromOutput('Relu', reluGrad),
  // Its own gradient (second order): linear in dy with the same mask; none for y.
  grad({
    kernelName: RELU_GRAD,
    inputsToSave: ['y'],
    gradFunc: (ddx, saved) => {
      const y = at(saved, 0);
      return { dy: () => reluGrad(one(ddx), y), y: () => zeros(y) };
    },
  }),
  fromInput('Abs', (dy, x) => tf.mul(dy, tf.sign(x))),
  fromInput('Log', (dy, x) => tf.div(dy, x)),
  fromInput('Square', (dy, x) => tf.mul(dy, tf.mul(x, 2))),
  fromOutput('Exp', (dy, y) => tf.mul(dy, y)),
  fromOutput('Sqrt', (dy, y) => tf.div(dy, tf.mul(y, 2))),
  // d/dx x^-1/2 = -1/2 x^-3/2 = -1/2 y^3.
  fromOutput('Rsqrt', (dy, y) => tf.mul(dy, tf.mul(tf.pow(y, 3), -0.5))),
  fromOutput('Reciprocal', (dy, y) => tf.neg(tf.mul(dy, tf.square(y)))),
  fromOutput('Sigmoid', (dy, y) => tf.mul(dy, tf.mul(y, tf.sub(1, y)))),
  fromOutput('Tanh', (dy, y) => tf.mul(dy, tf.sub(1, tf.square(y)))),
  ...['Sign', 'Step', 'Floor', 'Ceil', 'Round', 'IsNan', 'LogicalNot', 'ZerosLike', 'OnesLike', 'ArgMax', 'ArgMin'].map(
    (name) => flat(name, ['x']),
  ),
  ...['Equal', 'NotEqual', 'Greater', 'GreaterEqual', 'Less', 'LessEqual', 'LogicalAnd', 'LogicalOr', 'FloorDiv'].map(
    (name) => flat(name, ['a', 'b']),
  ),
  flat('OneHot', ['indices']),
];
