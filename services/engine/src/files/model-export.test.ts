import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../nn/test-util.js';
import { ENGINE_VERSION } from '../version.js';
import { exportModel, loadExportedModel, type ModelJson } from './model-export.js';
import { ModelFileError } from './checked-files.js';
import { resolveTrainSettings } from '../train/settings.js';
import { bandDataset, TINY_GENOTYPE } from '../train/test-data.js';
import { Trainer } from '../train/trainer.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lrnas-export-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

const train = bandDataset(16);

async function trainedModel(dir: string, auxiliaryWeight = 0.4): Promise<Trainer> {
  const settings = resolveTrainSettings(
    { method: 'standard', channels: 4, layers: 3, epochs: 1, batchSize: 8, auxiliaryWeight },
    'mnist',
  );
  const trainer = new Trainer({ genotype: TINY_GENOTYPE, settings, seed: 5, train });
  await trainer.run();
  await exportModel(dir, trainer.network, {
    imageHeight: 8,
    imageWidth: 8,
    training: settings,
    seed: 5,
    data: trainer.data,
  });
  return trainer;
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`export then import gives identical predictions (${backend})`, async () => {
    await useBackend(backend);
    const dir = path.join(tmp, `model-${backend}`);
    const trainer = await trainedModel(dir);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as ModelJson;
    assert.equal(json.format, 'lrnas-eval-network');
    assert.equal(json.generatedBy, `@lrnas/engine ${ENGINE_VERSION}`);
    assert.deepEqual(json.weightsManifest[0]!.paths, ['weights.bin']);
    const names = trainer.network.namedVariables().map(([name]) => name);
    assert.deepEqual(
      json.weightsManifest[0]!.weights.map((w) => w.name),
      names,
    );
    assert.ok(json.weightsManifest[0]!.weights.every((w) => w.dtype === 'float32'));
    const meta = json.userDefinedMetadata;
    assert.deepEqual(meta.genotype, TINY_GENOTYPE);
    assert.deepEqual(meta.network, {
      channels: 4,
      layers: 3,
      classes: 3,
      inputChannels: 1,
      auxiliary: true,
      imageHeight: 8,
      imageWidth: 8,
    });
    assert.equal(meta.engineVersion, ENGINE_VERSION);
    assert.equal(meta.training?.method, 'standard');
    assert.equal(meta.parameters, trainer.network.parameterCount());
    // TF.js's own decoder reads weights.bin with the manifest.
    const bin = fs.readFileSync(path.join(dir, 'weights.bin'));
    const decoded = tf.io.decodeWeights(
      bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer,
      json.weightsManifest[0]!.weights,
    );
    const [firstName, firstVar] = trainer.network.namedVariables()[0]!;
    assert.deepEqual(Array.from(decoded[firstName]!.dataSync()), Array.from(firstVar.dataSync()));
    tf.dispose(Object.values(decoded));

    const loaded = await loadExportedModel(dir);
    assert.notEqual(loaded.network, trainer.network);
    const { x } = bandDataset(10, { seed: 8 }).toTensors();
    const expected = tf.tidy(() => trainer.network.forward(x, { training: false }).logits);
    const actual = tf.tidy(() => loaded.network.forward(x, { training: false }).logits);
    assert.deepEqual(Array.from(actual.dataSync()), Array.from(expected.dataSync()));
    for (const [name, v] of loaded.network.namedBuffers()) {
      const original = trainer.network.namedBuffers().find(([n]) => n === name)![1];
      assert.deepEqual(Array.from(v.dataSync()), Array.from(original.dataSync()), name);
    }
    tf.dispose([x, expected, actual]);
    loaded.network.dispose();
    trainer.dispose();
  });
}

test('loading a broken export names the file and the problem', async () => {
  await useBackend('wasm');
  const dir = path.join(tmp, 'good');
  (await trainedModel(dir, 0)).dispose();
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as ModelJson;
  const bin = fs.readFileSync(path.join(dir, 'weights.bin'));
  const variant = (name: string, edit: (j: ModelJson) => unknown, weights: Buffer = bin, text?: string): string => {
    const d = path.join(tmp, name);
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, 'model.json'), text ?? JSON.stringify(edit(structuredClone(json))));
    fs.writeFileSync(path.join(d, 'weights.bin'), weights);
    return d;
  };
  const weights = (j: ModelJson) => j.weightsManifest[0]!.weights;
  const first = weights(json)[0]!;
  const firstSize = first.shape.reduce((a, b) => a * b, 1) * 4;
  const cases: Array<[string, RegExp, string?]> = [
    [path.join(tmp, 'nowhere'), /no such model folder/],
    [variant('empty', () => ({}), bin, ''), /not valid JSON/, 'model.json'],
    [
      variant('format', (j) => ({ ...j, format: 'layers-model' })),
      /format: must be "lrnas-eval-network"/,
      'model.json',
    ],
    [
      variant('manifest', (j) => ({ ...j, weightsManifest: [] })),
      /weightsManifest: must be a non-empty array/,
      'model.json',
    ],
    [
      variant('missing', (j) => (weights(j).shift(), j), bin.subarray(firstSize)),
      new RegExp(`weights missing from the manifest: ${first.name.replace(/\./g, '\\.')}`),
      'model.json',
    ],
    [
      variant(
        'extra',
        (j) => (weights(j).push({ name: 'surplus.weight', shape: [2], dtype: 'float32' }), j),
        Buffer.concat([bin, Buffer.alloc(8)]),
      ),
      /weights the network does not have: surplus\.weight/,
      'model.json',
    ],
    [
      variant('shape', (j) => ((weights(j)[0]!.shape = [first.shape.reduce((a, b) => a * b, 1)]), j)),
      new RegExp(`weight ${first.name.replace(/\./g, '\\.')} has shape`),
      'model.json',
    ],
    [
      variant('short', (j) => j, bin.subarray(0, bin.length - 4)),
      /hold \d+ bytes, the manifest needs \d+ \(truncated\)/,
      'model.json',
    ],
    [
      variant('long', (j) => j, Buffer.concat([bin, Buffer.alloc(4)])),
      /4 more than the manifest describes/,
      'model.json',
    ],
    [
      variant('dtype', (j) => ((weights(j)[0]!.dtype = 'int32' as 'float32'), j)),
      /dtype: must be "float32"/,
      'model.json',
    ],
    [
      variant('escape', (j) => ((j.weightsManifest[0]!.paths = ['../good/weights.bin']), j)),
      /paths\[0\]: must be a file name beside model\.json/,
      'model.json',
    ],
    [
      variant('genotype', (j) => ((j.userDefinedMetadata.genotype.normal[0]![0] = 'conv_9x9' as 'none'), j)),
      /userDefinedMetadata\.genotype/,
      'model.json',
    ],
    [
      variant('network', (j) => ((j.userDefinedMetadata.network.channels = 0), j)),
      /userDefinedMetadata\.network\.channels/,
      'model.json',
    ],
  ];
  for (const [where, problem, file] of cases) {
    await assert.rejects(loadExportedModel(where), (error: unknown) => {
      assert.ok(error instanceof ModelFileError, `${where}: ${String(error)}`);
      assert.equal(error.file, file ? path.join(where, file) : where);
      assert.match(error.message, problem);
      return true;
    });
  }
  fs.rmSync(path.join(tmp, 'missing', 'weights.bin'));
  await assert.rejects(loadExportedModel(path.join(tmp, 'missing')), /weights\.bin: no such weights file/);
});
