import fs from 'node:fs';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_MESSAGE_BYTES, formatPath, splitPath, type Codec } from './codec.js';
import { ContractError, ErrorCode } from './errors.js';
import { eventCodec, type RunEvent } from './events.js';
import type { Genotype } from './genotype.js';
import { jobCodec, type Job } from './jobs.js';
import { workerPresenceCodec } from './presence.js';
import { studyJobCodec } from './study.js';
import type { EVENT_TYPES, JOB_KINDS } from './names.js';

const genotype = (
  JSON.parse(fs.readFileSync(new URL('../test/fixtures/genotypes.json', import.meta.url), 'utf8')) as Record<
    string,
    Genotype
  >
).LRNAS_C10!;
const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const matrix = () => Array.from({ length: 14 }, (_, e) => Array.from({ length: 8 }, (_, o) => e * 0.1 - o * 0.01));

const base = {
  v: 1,
  runId: 'run_01',
  experimentId: 'exp-1',
  seed: 7,
  dataset: { name: 'mnist', trainLimit: 1000 },
  createdAt: '2026-11-26T12:00:00.000Z',
};
const threatModel = { norm: 'linf', epsilon: 0.3 };
const jobs: Record<(typeof JOB_KINDS)[number], Record<string, unknown>> = {
  search: { ...base, kind: 'search', search: { preset: 'tiny', epochs: 3 }, selection: { budget: 200_000 } },
  train: { ...base, kind: 'train', genotype, train: { method: 'madry', threatModel, epochs: 2 } },
  evaluate: {
    ...base,
    kind: 'evaluate',
    sourceRunId: 'run_00',
    weights: 'run_00/weights',
    evaluate: { threatModel, attacks: [{ name: 'pgd', steps: 20 }, { name: 'square' }] },
  },
  pipeline: {
    ...base,
    kind: 'pipeline',
    search: { preset: 'tiny' },
    selection: { budget: 150_000, mode: 'reference' },
    train: { method: 'trades', tradesBeta: 6 },
    evaluate: { threatModel, attacks: [{ name: 'fgsm' }] },
  },
  study: {
    v: 1,
    kind: 'study',
    runId: 'run_01',
    experimentId: 'exp-1',
    createdAt: '2026-11-26T12:00:00.000Z',
    study: { preset: 'small', datasets: ['mnist'], arms: ['lrnas', 'random'], seeds: [0, 3], searchEpochs: 1 },
  },
};
const envelope = { v: 1, runId: 'run_01', attempt: 1, seq: 3, time: '2026-11-26T12:00:01Z' };
const events: Record<(typeof EVENT_TYPES)[number], Record<string, unknown>> = {
  status: {
    ...envelope,
    type: 'status',
    status: 'RUNNING',
    stage: 'search',
    workerId: 'w1',
    progress: { done: 1, total: 10 },
  },
  metric: {
    ...envelope,
    type: 'metric',
    points: [
      { key: 'train/loss', step: 0, value: 2.3 },
      { key: 'train/loss', step: 1, value: null },
    ],
  },
  epoch: {
    ...envelope,
    type: 'epoch',
    stage: 'train',
    epoch: 0,
    epochs: 10,
    seconds: 12.5,
    metrics: { 'train/acc': 0.5 },
  },
  snapshot: {
    ...envelope,
    type: 'snapshot',
    epoch: 15,
    alphas: { normal: matrix(), reduce: matrix() },
    contributions: { normal: matrix(), reduce: matrix() },
  },
  genotype: {
    ...envelope,
    type: 'genotype',
    stage: 'select',
    genotype,
    network: { channels: 36, layers: 20, classes: 10, inputChannels: 3, imageSize: 32 },
    params: 123_456,
    flops: 9_999_999,
    final: true,
  },
  evaluation: {
    ...envelope,
    type: 'evaluation',
    attack: { name: 'pgd', steps: 20, stepSize: 0.01 },
    threatModel,
    examples: 1000,
    seed: 1,
    cleanAccuracy: 0.98,
    robustAccuracy: 0.9,
    backend: 'wasm',
    engineVersion: '0.1.0',
  },
  artifact: {
    ...envelope,
    type: 'artifact',
    kind: 'checkpoint',
    stage: 'search',
    name: 'run_01/ckpt-3',
    digest: 'SHA-256=abc',
    size: 1024,
  },
  log: { ...envelope, type: 'log', level: 'info', message: 'hello' },
  'study-row': {
    ...envelope,
    type: 'study-row',
    key: 'mnist/seed-3/random-1',
    dataset: 'mnist',
    arm: 'random',
    seed: 3,
    index: 1,
    genotype,
    network: { channels: 8, layers: 5, classes: 10, inputChannels: 1, imageSize: 28 },
    params: 51_000,
    flops: 2_000_000,
    threatModel,
    examples: 200,
    cleanAccuracy: 0.9,
    worstCase: 0.4,
    attacks: [
      { attack: { name: 'fgsm' }, robustAccuracy: 0.6 },
      { attack: { name: 'pgd', steps: 20, stepSize: 0.075 }, robustAccuracy: 0.45 },
    ],
    seconds: 61.5,
    backend: 'wasm',
    engineVersion: '0.1.0',
    done: 4,
    total: 8,
  },
  progress: {
    ...envelope,
    type: 'progress',
    stage: 'search',
    phase: 'estimate',
    done: 40,
    total: 120,
    rate: 3.5,
    etaSeconds: 22.9,
  },
};

function badMessage(codec: Codec<unknown>, value: unknown, field: string, reason: RegExp): void {
  const input = value instanceof Uint8Array ? value : bytes(value);
  assert.throws(
    () => codec.decode(input),
    (error: unknown) => {
      assert.ok(error instanceof ContractError, `expected a ContractError, got ${String(error)}`);
      assert.equal(error.code, ErrorCode.BAD_MESSAGE);
      assert.equal(error.field, field, error.message);
      assert.match(error.message, reason);
      assert.ok(error.message.length < 500, 'error messages stay short');
      return true;
    },
  );
}

test('every job kind round-trips through the codec, defaults filled in', () => {
  for (const [kind, job] of Object.entries(jobs)) {
    const decoded = jobCodec.decode(bytes(job)) as Job;
    assert.equal(decoded.kind, kind);
    assert.deepEqual(jobCodec.decode(jobCodec.encode(decoded)), decoded);
  }
  const search = jobCodec.decode(bytes(jobs.search)) as Extract<Job, { kind: 'search' }>;
  assert.equal(search.selection.mode, 'strict');
  const train = jobCodec.decode(bytes({ ...jobs.train, train: {} })) as Extract<Job, { kind: 'train' }>;
  assert.equal(train.train.method, 'madry');
});

test('every event type round-trips through the codec', () => {
  for (const [type, event] of Object.entries(events)) {
    const decoded = eventCodec.decode(bytes(event)) as RunEvent;
    assert.equal(decoded.type, type);
    assert.deepEqual(decoded, event);
    assert.deepEqual(eventCodec.decode(eventCodec.encode(decoded)), decoded);
  }
});

test('worker presence round-trips and is validated', () => {
  const presence = {
    v: 1,
    workerId: 'host-1',
    host: 'host',
    pid: 42,
    backend: 'wasm',
    device: 'CPU',
    engineVersion: '0.1.0',
    versions: { node: '20.20.2' },
    concurrency: 1,
    currentJobs: [],
    startedAt: '2026-11-26T12:00:00Z',
    seenAt: '2026-11-26T12:00:05Z',
  };
  assert.deepEqual(workerPresenceCodec.decode(bytes(presence)), presence);
  badMessage(workerPresenceCodec, { ...presence, workerId: 'a.b' }, 'workerId', /letters, digits/);
  badMessage(workerPresenceCodec, { ...presence, concurrency: 0 }, 'concurrency', /./);
});

test('malformed bytes are refused with BAD_MESSAGE', () => {
  badMessage(jobCodec, new Uint8Array([0xff, 0xfe, 0x7b]), '', /not valid UTF-8 JSON/);
  badMessage(jobCodec, new TextEncoder().encode('{"v":1,'), '', /not valid UTF-8 JSON/);
  badMessage(jobCodec, new TextEncoder().encode('[1,2]'), '', /expected a JSON object/);
  badMessage(jobCodec, new TextEncoder().encode('null'), '', /expected a JSON object/);
  badMessage(jobCodec, new Uint8Array(MAX_MESSAGE_BYTES + 1), '', /exceeds the 1048576-byte limit/);
  // Nesting deep enough to exhaust a recursive parser stays a clean error.
  const deep = new TextEncoder().encode(`{"v":1,"x":${'['.repeat(400_000)}${']'.repeat(400_000)}}`);
  assert.ok(deep.byteLength < MAX_MESSAGE_BYTES);
  assert.throws(() => jobCodec.decode(deep), ContractError);
});

test('versions other than 1 are refused by name', () => {
  badMessage(jobCodec, { ...jobs.search, v: 2 }, 'v', /unsupported job version 2 \(this build reads 1\)/);
  const { v: _v, ...noVersion } = events.log;
  badMessage(eventCodec, noVersion, 'v', /unsupported event version undefined/);
});

test('bad job fields are named', () => {
  badMessage(jobCodec, { ...jobs.search, kind: 'train-all' }, 'kind', /./);
  badMessage(jobCodec, { ...jobs.search, runId: 'run.1' }, 'runId', /letters, digits/);
  badMessage(jobCodec, { ...jobs.search, runId: 'lrnas.>' }, 'runId', /letters, digits/);
  badMessage(jobCodec, { ...jobs.search, runId: 'x'.repeat(1_000_000) }, 'runId', /./);
  badMessage(jobCodec, { ...jobs.search, seed: -1 }, 'seed', /./);
  badMessage(jobCodec, { ...jobs.search, seed: '7' }, 'seed', /expected number/);
  badMessage(jobCodec, { ...jobs.search, dataset: { name: 'imagenet' } }, 'dataset.name', /./);
  badMessage(jobCodec, { ...jobs.search, createdAt: 'yesterday' }, 'createdAt', /./);
  badMessage(jobCodec, { ...jobs.search, search: { preset: 'tiny', epochs: 0 } }, 'search.epochs', /./);
  badMessage(jobCodec, { ...jobs.search, search: { preset: 'tiny', learningRate: 1e9 } }, 'search.learningRate', /./);
  badMessage(jobCodec, { ...jobs.search, search: { preset: 'tiny', shell: 'rm -rf /' } }, 'search', /shell/);
  badMessage(jobCodec, { ...jobs.search, selection: {} }, 'selection.budget', /./);
  badMessage(jobCodec, { ...jobs.search, extra: true }, '', /extra/);
  badMessage(
    jobCodec,
    { ...jobs.evaluate, evaluate: { threatModel: { norm: 'linf', epsilon: 2 }, attacks: [{ name: 'pgd' }] } },
    'evaluate.threatModel.epsilon',
    /whole \[0, 1\] pixel range/,
  );
  badMessage(jobCodec, { ...jobs.evaluate, evaluate: { threatModel, attacks: [] } }, 'evaluate.attacks', /./);
  badMessage(
    jobCodec,
    { ...jobs.evaluate, evaluate: { threatModel, attacks: [{ name: 'deepfool' }] } },
    'evaluate.attacks[0].name',
    /./,
  );
});

test('a hostile genotype inside a job is refused with its full path', () => {
  const later = structuredClone(genotype);
  later.normal[6] = ['max_pool_3x3', 5];
  badMessage(jobCodec, { ...jobs.train, genotype: later }, 'genotype.normal[6][1]', /points at a later node/);
  const unknownOp = structuredClone(genotype);
  (unknownOp.reduce[0] as unknown[])[0] = 'x'.repeat(100_000);
  badMessage(jobCodec, { ...jobs.train, genotype: unknownOp }, 'genotype.reduce[0][0]', /unknown operation/);
  badMessage(jobCodec, { ...jobs.train, genotype: 'DARTS_V2' }, 'genotype', /expected a genotype object/);
});

test('bad event fields are named', () => {
  badMessage(eventCodec, { ...events.status, status: 'DONE' }, 'status', /./);
  badMessage(eventCodec, { ...events.status, attempt: 0 }, 'attempt', /./);
  badMessage(eventCodec, { ...events.metric, points: [] }, 'points', /./);
  badMessage(eventCodec, { ...events.metric, points: [{ key: 'loss', step: -1, value: 1 }] }, 'points[0].step', /./);
  badMessage(eventCodec, { ...events.metric, points: [{ key: 'loss', step: 1.5, value: 1 }] }, 'points[0].step', /./);
  badMessage(
    eventCodec,
    { ...events.metric, points: [{ key: 'bad key!', step: 1, value: 1 }] },
    'points[0].key',
    /start with a letter/,
  );
  badMessage(
    eventCodec,
    { ...events.metric, points: Array.from({ length: 10_001 }, (_, step) => ({ key: 'l', step, value: 1 })) },
    'points',
    /./,
  );
  badMessage(
    eventCodec,
    { ...events.snapshot, alphas: { normal: matrix().slice(1), reduce: matrix() } },
    'alphas.normal',
    /./,
  );
  badMessage(eventCodec, { ...events.evaluation, robustAccuracy: 1.5 }, 'robustAccuracy', /./);
  badMessage(eventCodec, { ...events.log, message: 'x'.repeat(10_000) }, 'message', /./);
  badMessage(eventCodec, { ...events.log, type: 'gossip' }, 'type', /./);
  badMessage(eventCodec, { ...events.progress, done: 121 }, 'done', /must not exceed total/);
  badMessage(eventCodec, { ...events.progress, total: 0 }, 'total', /./);
  badMessage(eventCodec, { ...events.progress, phase: 'waiting' }, 'phase', /./);
  badMessage(eventCodec, { ...events.progress, rate: -1 }, 'rate', /./);
});

test('encode refuses invalid values, so producers cannot publish them', () => {
  const event = { ...events.metric, points: [{ key: 'loss', step: 0, value: Number.NaN }] } as unknown as RunEvent;
  assert.throws(
    () => eventCodec.encode(event),
    (e: unknown) => e instanceof ContractError && e.field === 'points[0].value',
  );
});

test('paths format and split symmetrically', () => {
  assert.equal(formatPath(['points', 3, 'step']), 'points[3].step');
  assert.equal(formatPath([]), '');
  assert.deepEqual(splitPath('genotype.normal[6][1]'), ['genotype', 'normal', 6, 1]);
  assert.equal(formatPath(splitPath('a.b[2].c[0][1]')), 'a.b[2].c[0][1]');
});

test('a study job decodes with the preset filled in and names a bad row', () => {
  const job = {
    v: 1,
    kind: 'study',
    runId: 'study-1',
    experimentId: 'exp-1',
    createdAt: '2025-01-01T00:00:00.000Z',
    study: { arms: ['lrnas', 'resnet'], seeds: [0, 1] },
  };
  const decoded = studyJobCodec.decode(new TextEncoder().encode(JSON.stringify(job)));
  assert.equal(decoded.study.preset, 'small');
  assert.deepEqual(decoded.study.arms, ['lrnas', 'resnet']);
  const bad = { ...job, study: { arms: ['vgg'] } };
  assert.throws(() => studyJobCodec.decode(new TextEncoder().encode(JSON.stringify(bad))), /study\.arms/);
});
