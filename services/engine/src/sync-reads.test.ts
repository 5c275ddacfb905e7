// Keeps synchronous tensor reads out of the engine: on webgpu in Node they cannot be done at all
// (tfjs-backend-webgpu's readSync needs OffscreenCanvas), and on a GPU they stall its queue. Every read of a
// tensor in src/ and bench/ is asynchronous (`await t.data()`, read.ts), but for the files allowed below.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));

/** Files that may read synchronously, relative to services/engine, with the reason. */
const ALLOWED: Record<string, string> = {
  'src/attacks/test-models.ts': 'test helpers of the attack tests, which run on cpu and wasm',
  'src/kernels/grad-check.ts':
    'gradient checks of the kernel tests on cpu and wasm (webgpu.test.ts reads asynchronously)',
};

const SYNC_READ = /\.(dataSync|arraySync|bufferSync|readSync)\(/;

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sources(file);
    return /\.(ts|mts|js|mjs)$/.test(entry.name) && !/\.test\.[mc]?[jt]s$/.test(entry.name) ? [file] : [];
  });
}

test('no synchronous tensor read (dataSync, arraySync, bufferSync, readSync) in the engine outside the allow-list', () => {
  const found: string[] = [];
  for (const file of ['src', 'bench'].flatMap((dir) => sources(path.join(root, dir)))) {
    const name = path.relative(root, file);
    if (name in ALLOWED) continue;
    fs.readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (SYNC_READ.test(line) && !/^\s*(\/\/|\*)/.test(line)) found.push(`${name}:${i + 1}: ${line.trim()}`);
      });
  }
  assert.deepEqual(found, [], `read asynchronously instead (await t.data(), src/read.ts):\n${found.join('\n')}`);
});

test('every file of the allow-list exists and still reads synchronously', () => {
  for (const name of Object.keys(ALLOWED)) {
    const text = fs.readFileSync(path.join(root, name), 'utf8');
    assert.ok(SYNC_READ.test(text), `${name} no longer reads synchronously: take it off the allow-list`);
  }
});
