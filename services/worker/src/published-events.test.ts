import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunEvent } from '@lrnas/schema';
import type { EventSink } from '@lrnas/engine';
import type { EventBody, MetricPoint } from './event-publisher.js';
import { PublishedEvents, withoutRepeats } from './published-events.js';

const envelope = { v: 1 as const, runId: 'r', attempt: 1, time: '2026-11-26T00:00:00.000Z' };
const point = (key: string, step: number): MetricPoint => ({ key, step, value: step / 10 });
const epoch = (stage: 'search' | 'train', n: number): EventBody => ({
  type: 'epoch',
  stage,
  epoch: n,
  epochs: 5,
  seconds: 1,
  metrics: { loss: 1 },
});

const earlier: RunEvent[] = [
  { ...envelope, seq: 0, type: 'status', status: 'RUNNING' },
  { ...envelope, seq: 1, type: 'metric', points: [point('search/loss', 1), point('search/loss', 2)] },
  { ...envelope, seq: 2, ...epoch('search', 0) } as RunEvent,
  { ...envelope, seq: 3, type: 'metric', points: [point('search/loss', 3), point('search/lr', 3)] },
];

/** A sink that records what reaches it. */
function recorder(): EventSink & { bodies: EventBody[]; points: MetricPoint[] } {
  const bodies: EventBody[] = [];
  const points: MetricPoint[] = [];
  return { bodies, points, emit: (b) => bodies.push(b), metric: (p) => points.push(...p) };
}

test('points up to the last published step of their key are held back, later ones pass', () => {
  const published = PublishedEvents.of(earlier);
  assert.equal(published.lastStep('search/loss'), 3);
  assert.equal(published.lastStep('search/accuracy'), undefined);
  const sink = recorder();
  const filtered = withoutRepeats(sink, published);
  // A resume from the checkpoint at step 1 runs steps 2 and 3 again, then goes on.
  filtered.metric([point('search/loss', 2), point('search/accuracy', 2)]);
  filtered.metric([point('search/loss', 3), point('search/lr', 3)]);
  filtered.metric([point('search/loss', 4), point('search/lr', 4)]);
  assert.deepEqual(
    sink.points.map((p) => `${p.key}@${p.step}`),
    ['search/accuracy@2', 'search/loss@4', 'search/lr@4'],
  );
});

test('an epoch summary already published is not published again; status and logs always pass', () => {
  const sink = recorder();
  const filtered = withoutRepeats(sink, PublishedEvents.of(earlier));
  filtered.emit(epoch('search', 0));
  filtered.emit(epoch('search', 1));
  filtered.emit(epoch('train', 0));
  filtered.emit({ type: 'status', status: 'RUNNING' });
  filtered.emit({ type: 'log', level: 'info', message: 'resumed' });
  assert.deepEqual(
    sink.bodies.map((b) => (b.type === 'epoch' ? `epoch ${b.stage} ${b.epoch}` : b.type)),
    ['epoch search 1', 'epoch train 0', 'status', 'log'],
  );
});

test('genotypes are told apart by stage, epoch and finality; evaluations by attack and threat model', () => {
  const network = { channels: 4, layers: 3, classes: 10, inputChannels: 1, imageSize: 28 };
  const genotype = {
    normal: [['skip_connect', 0] as [string, number], ['skip_connect', 1] as [string, number]],
    normalConcat: [2],
    reduce: [['max_pool_3x3', 0] as [string, number], ['max_pool_3x3', 1] as [string, number]],
    reduceConcat: [2],
  };
  const searchGenotype = { type: 'genotype', stage: 'search', epoch: 2, genotype, network, params: 9, final: false };
  const evaluation = {
    type: 'evaluation',
    attack: { name: 'pgd', steps: 10 },
    threatModel: { norm: 'linf', epsilon: 0.03 },
    examples: 10,
    seed: 1,
    cleanAccuracy: 0.5,
    robustAccuracy: 0.25,
    backend: 'wasm',
    engineVersion: '0.1.0',
  };
  const published = PublishedEvents.of([
    { ...envelope, seq: 0, ...searchGenotype } as RunEvent,
    { ...envelope, seq: 1, ...evaluation } as RunEvent,
  ]);
  assert.equal(published.has(searchGenotype as EventBody), true);
  assert.equal(published.has({ ...searchGenotype, epoch: 3 } as EventBody), false);
  assert.equal(
    published.has({ ...searchGenotype, stage: 'select', epoch: undefined, final: true } as EventBody),
    false,
  );
  assert.equal(published.has(evaluation as EventBody), true);
  assert.equal(published.has({ ...evaluation, attack: { name: 'pgd', steps: 20 } } as EventBody), false);
  assert.equal(published.has({ ...evaluation, threatModel: { norm: 'linf', epsilon: 0.1 } } as EventBody), false);
});

test('a first delivery passes everything through unchanged', () => {
  const sink = recorder();
  assert.equal(withoutRepeats(sink, PublishedEvents.of([])), sink);
});
