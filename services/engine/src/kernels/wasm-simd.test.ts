import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from './grad-check.js';
import { wasmBackend } from './wasm-heap.js';
import { simdKernels, simdModuleBytes, WASM } from './wasm-simd.js';

const build = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'wasm', 'build.mjs');

test('wasm-simd.generated.ts is what wasm/kernels.ts compiles to', () => {
  // Exits 1 naming the file when it is stale.
  execFileSync(process.execPath, [build, '--check'], { stdio: ['ignore', 'pipe', 'pipe'] });
});

test('the SIMD module shares the backend memory and declares nothing of its own', async () => {
  await useBackend('wasm');
  const kernels = simdKernels(wasmBackend(tf.backend()));
  assert.equal(simdKernels(wasmBackend(tf.backend())), kernels, 'one instance per backend memory');
  const bytes = simdModuleBytes();
  assert.deepEqual(
    WASM.Module.imports(new WASM.Module(bytes)).map((i) => `${i.module}.${i.name}:${i.kind}`),
    ['env.memory:memory'],
  );
  // No data segments (they would overwrite the backend's heap at instantiation): section id 11 is absent.
  assert.equal(sectionIds(bytes).includes(11), false);
});

/** Ids of the sections of a wasm binary. */
function sectionIds(bytes: Uint8Array): number[] {
  const ids: number[] = [];
  let pos = 8;
  while (pos < bytes.length) {
    const id = bytes[pos++] as number;
    let size = 0;
    let shift = 0;
    for (;;) {
      const byte = bytes[pos++] as number;
      size |= (byte & 0x7f) << shift;
      shift += 7;
      if (byte < 0x80) break;
    }
    ids.push(id);
    pos += size;
  }
  return ids;
}
