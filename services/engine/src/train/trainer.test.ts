import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ContractError } from '@lrnas/schema';
import { useBackend } from '../nn/test-util.js';
import { readCheckpoint } from '../files/checkpoint.js';
import { ModelFileError } from '../files/checked-files.js';
import type { TrainMethod } from './objectives.js';
import { resolveTrainSettings, type TrainExtras } from './settings.js';
import { bandDataset, TINY_GENOTYPE } from './test-data.js';
import { Trainer, type TrainEvent } from './trainer.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lrnas-train-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

const train = bandDataset(24, { seed: 1 });
const testSet = bandDataset(9, { seed: 2, split: 'test' });

function settingsFor(method: TrainMethod, extras: TrainExtras = {}, config: Record<string, unknown> = {}) {
  return resolveTrainSettings(
    {
      method,
      channels: 4,
      layers: 3,
      epochs: 2,
      batchSize: 8,
      learningRate: 0.05,
      milestones: [1],
      attackSteps: 2,
      threatModel: { norm: 'linf', epsilon: 0.1 },
      dropPath: 0.2,
      auxiliaryWeight: 0.4,
      augment: true,
      ...config,
    },
    'mnist',
    { monitorPgdExamples: 4, monitorPgdSteps: 2, ...extras },
  );
}

/** Events without wall-clock fields (which differ between runs) and without checkpoint notices. */
function comparable(events: TrainEvent[]): unknown[] {
  return events
    .filter((e) => e.type === 'step' || e.type === 'epoch')
    .map((e) => {
      const { seconds: _seconds, ...rest } = e as TrainEvent & { seconds: number };
      return rest;
    });
}

/** Every variable of the run: weights, BN statistics and momentum, as exact float32 values. */
function fullState(trainer: Trainer): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [name, v] of trainer.network.namedVariables()) out[name] = Array.from(v.dataSync());
  for (const [name, v] of trainer.optimizer.namedBuffers()) out[`momentum:${name}`] = Array.from(v.dataSync());
  return out;
}

for (const method of ['madry', 'trades'] as const) {
  test(`a run resumed from a checkpoint repeats the uninterrupted one bit for bit (${method}, wasm)`, async () => {
    await useBackend('wasm');
    const settings = settingsFor(method);
    const data = { train, test: testSet };

    const whole = new Trainer({ genotype: TINY_GENOTYPE, settings, seed: 7, ...data });
    const wholeEvents: TrainEvent[] = [];
    const done = await whole.run({ onEvent: (e) => wholeEvents.push(e) });
    assert.equal(done.status, 'completed');
    assert.deepEqual(done.position, { epoch: 2, batch: 0, step: 6 });

    // Interrupted in the middle of epoch 1 (batch 1 of 3), from a fresh network object.
    const file = path.join(tmp, `resume-${method}.lrnas`);
    const controller = new AbortController();
    const first = new Trainer({ genotype: TINY_GENOTYPE, settings, seed: 7, ...data });
    const firstEvents: TrainEvent[] = [];
    const stopped = await first.run({
      checkpointPath: file,
      signal: controller.signal,
      onEvent: (e) => {
        firstEvents.push(e);
        if (e.type === 'step' && e.step === 4) controller.abort();
      },
    });
    assert.equal(stopped.status, 'cancelled');
    assert.deepEqual(stopped.position, { epoch: 1, batch: 1, step: 4 }, 'stops before the next step');
    assert.equal(firstEvents.at(-1)?.type, 'checkpoint');
    first.dispose();

    const second = await Trainer.resume(file, data);
    assert.deepEqual(second.position, { epoch: 1, batch: 1, step: 4 });
    const secondEvents: TrainEvent[] = [];
    const rest = await second.run({ onEvent: (e) => secondEvents.push(e) });
    assert.equal(rest.status, 'completed');

    assert.deepEqual(comparable([...firstEvents, ...secondEvents]), comparable(wholeEvents));
    assert.equal(comparable(wholeEvents).length, 6 + 2);
    assert.deepEqual(
      rest.history.map(({ seconds: _s, ...h }) => h),
      done.history.map(({ seconds: _s, ...h }) => h),
    );
    assert.deepEqual(fullState(second), fullState(whole));
    const epoch = wholeEvents.find((e) => e.type === 'epoch');
    assert.ok(epoch && epoch.type === 'epoch' && epoch.testPgdExamples === 4 && epoch.testPgdAccuracy !== null);
    whole.dispose();
    second.dispose();
  });
}

for (const method of ['standard', 'madry', 'trades', 'fgsm-rs'] as const) {
  test(`training steps do not grow the number of tensors (${method})`, async () => {
    await useBackend('wasm');
    const trainer = new Trainer({
      genotype: TINY_GENOTYPE,
      settings: settingsFor(method, { monitorPgdExamples: 0 }),
      seed: 1,
      train,
    });
    // The first step creates the momentum buffers.
    assert.equal((await trainer.run({ maxSteps: 1 })).status, 'stopped');
    const before = tf.memory().numTensors;
    const losses: number[] = [];
    const result = await trainer.run({
      maxSteps: 4,
      onEvent: (e) => e.type === 'step' && losses.push(e.loss ?? Number.NaN),
    });
    assert.equal(result.status, 'stopped');
    assert.equal(result.position.step, 5, 'crosses an epoch boundary');
    assert.equal(tf.memory().numTensors, before);
    assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
    trainer.dispose();
  });
}

test('a checkpoint holds weights, BN statistics, momentum, position, settings and genotype', async () => {
  await useBackend('wasm');
  const settings = settingsFor('standard', { monitorPgdExamples: 0 });
  const trainer = new Trainer({ genotype: TINY_GENOTYPE, settings, seed: 3, train });
  const file = path.join(tmp, 'contents.lrnas');
  await trainer.run({ maxSteps: 2, checkpointPath: file });
  const ckpt = await readCheckpoint(file);
  const m = ckpt.manifest;
  assert.equal(m.format, 'lrnas-checkpoint');
  assert.deepEqual(m.position, { epoch: 0, batch: 2, step: 2 });
  assert.deepEqual(m.genotype, TINY_GENOTYPE);
  assert.deepEqual(m.settings, settings);
  assert.equal(m.seed, 3);
  assert.equal(m.epochProgress.examples, 16);
  assert.deepEqual(m.random, { scheme: 'derived-v1', seed: 3 });
  assert.equal(ckpt.tensors.parameter.size, trainer.network.namedParameters().length);
  assert.equal(ckpt.tensors.buffer.size, trainer.network.namedBuffers().length);
  assert.equal(ckpt.tensors.momentum.size, trainer.network.namedParameters().length);
  const [name, variable] = trainer.network.namedBuffers()[0]!;
  assert.deepEqual(Array.from(ckpt.tensors.buffer.get(name)!.values), Array.from(variable.dataSync()));
  const leftovers = fs.readdirSync(tmp).filter((f) => f.endsWith('.tmp'));
  assert.deepEqual(leftovers, [], 'no temporary files remain');

  // Resuming on other data is refused.
  await assert.rejects(
    Trainer.resume(file, {
      train: bandDataset(24, { seed: 9 }).subset([1, 0, ...Array.from({ length: 22 }, (_, i) => i + 2)]),
    }),
    (error: unknown) => {
      assert.ok(error instanceof ContractError);
      assert.match(error.message, /other data: its trainLabelsHash/);
      return true;
    },
  );
  trainer.dispose();
});

test('bad, truncated or corrupt checkpoint files get errors naming the file and the problem', async () => {
  await useBackend('wasm');
  const trainer = new Trainer({
    genotype: TINY_GENOTYPE,
    settings: settingsFor('standard', { monitorPgdExamples: 0 }),
    seed: 3,
    train,
  });
  const good = path.join(tmp, 'good.lrnas');
  await trainer.saveCheckpoint(good);
  trainer.dispose();
  const bytes = fs.readFileSync(good);
  const jsonLength = bytes.readUInt32LE(12);
  const variant = (name: string, edit: (b: Buffer) => Buffer): string => {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, edit(Buffer.from(bytes)));
    return file;
  };
  const cases: Array<[string, RegExp]> = [
    [path.join(tmp, 'missing.lrnas'), /no such checkpoint file/],
    [variant('empty.lrnas', () => Buffer.alloc(0)), /truncated: 0 bytes/],
    [
      variant('cut.lrnas', (b) => b.subarray(0, b.length - 10)),
      /truncated: the tensor data has \d+ bytes, the manifest announces \d+/,
    ],
    [variant('cut-json.lrnas', (b) => b.subarray(0, 100)), /truncated: the manifest needs/],
    [variant('magic.lrnas', (b) => (b.write('NOTACKPT', 0, 'ascii'), b)), /not an LRNAS checkpoint/],
    [variant('version.lrnas', (b) => (b.writeUInt32LE(9, 8), b)), /layout version 9 is not supported/],
    [
      variant('flip.lrnas', (b) => ((b[b.length - 3] = b[b.length - 3]! ^ 0xff), b)),
      /corrupt: the tensor data does not match/,
    ],
    [variant('json.lrnas', (b) => ((b[16] = 0x58), b)), /manifest is not valid JSON/],
    [
      variant('genotype.lrnas', (b) => {
        const manifest = JSON.parse(b.toString('utf8', 16, 16 + jsonLength)) as Record<string, unknown>;
        delete manifest.genotype;
        const json = Buffer.from(JSON.stringify(manifest).padEnd(jsonLength, ' '));
        return Buffer.concat([b.subarray(0, 16), json, b.subarray(16 + jsonLength)]);
      }),
      /bad manifest: genotype/,
    ],
  ];
  for (const [file, problem] of cases) {
    await assert.rejects(readCheckpoint(file), (error: unknown) => {
      assert.ok(error instanceof ModelFileError, `${file}: ${String(error)}`);
      assert.ok(error.message.startsWith(`${file}: `), error.message);
      assert.match(error.message, problem);
      return true;
    });
  }
});
