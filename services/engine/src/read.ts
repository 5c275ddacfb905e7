/*
 * Reading tensors back to JavaScript. Every read of the engine is asynchronous: on webgpu in Node a synchronous
 * read cannot be done at all (tfjs-backend-webgpu's readSync needs OffscreenCanvas), and on a GPU it would stall
 * the queue; on cpu and wasm the asynchronous read gives the same values. sync-reads.test.ts keeps it so.
 */
import type * as tf from '@tensorflow/tfjs-core';

/** The values of `t`, read asynchronously; `t` is disposed once read (or when the read fails). */
export async function takeData(t: tf.Tensor): Promise<Float32Array | Int32Array | Uint8Array> {
  try {
    return (await t.data()) as Float32Array | Int32Array | Uint8Array;
  } finally {
    t.dispose();
  }
}

/** The first value of `t` (a scalar), read asynchronously; `t` is disposed. */
export async function takeScalar(t: tf.Tensor): Promise<number> {
  return (await takeData(t))[0] ?? NaN;
}
