import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventCodec, type AttackSpec, type RunEventBody as EventBody } from '@lrnas/schema';
import { resolveAttackSettings } from '../attacks/suite.js';
import type { EvaluationReport } from '../evaluate/evaluate-model.js';
import type { StudyRow } from '../study/run-study.js';
import { PUBLISHED_GENOTYPES } from '../study/baselines.js';
import { forwardEngineEvent, forwardStudyEvent, type ForwardingContext } from './contract-events.js';

const threatModel = { norm: 'linf' as const, epsilon: 0.3 };

/** The evaluation events a report of `asked` attacks turns into, settings resolved as the engine resolves them. */
function evaluationEvents(asked: AttackSpec[]): EventBody[] {
  const report = {
    data: { name: 'mnist', split: 'test', examples: 12 },
    backend: { name: 'wasm', tfBackend: 'wasm', device: 'cpu', versions: {} },
    engineVersion: '0.1.0',
    cleanAccuracy: 0.5,
    robustAccuracy: 0.25,
    attacks: asked.map((spec, i) => ({
      name: spec.name,
      settings: resolveAttackSettings(spec, threatModel.epsilon, `attacks[${i}]`),
      robustAccuracy: 0.25,
      attacked: 6,
      seconds: 1,
    })),
  } as unknown as EvaluationReport;
  const bodies: EventBody[] = [];
  const context = { workerId: 'w', backend: 'wasm', seed: 1, attacks: asked, threatModel } as ForwardingContext;
  forwardEngineEvent({ type: 'evaluation', report }, { emit: (b) => bodies.push(b), metric: () => {} }, context);
  return bodies;
}

test('an evaluation event carries the attack settings the engine used, defaults filled in', () => {
  const events = evaluationEvents([{ name: 'pgd' }, { name: 'pgd', steps: 2 }, { name: 'fgsm' }, { name: 'square' }]);
  assert.deepEqual(
    events.map((e) => (e.type === 'evaluation' ? e.attack : null)),
    [
      { name: 'pgd', steps: 20, stepSize: 0.075, restarts: 1 },
      { name: 'pgd', steps: 2, stepSize: 0.075, restarts: 1 },
      { name: 'fgsm', stepSize: 0.3 },
      { name: 'square', steps: 5000, restarts: 1 },
    ],
  );
  // Each is a valid contract event, as the gateway checks it.
  for (const [seq, body] of events.entries()) {
    eventCodec.parse({ v: 1, runId: 'run-1', attempt: 1, seq, time: '2026-12-07T00:00:00.000Z', ...body });
  }
});

test('each stage that starts, resumes or ends is a log line, so the run page tells what the worker did', () => {
  const bodies: EventBody[] = [];
  const sink = { emit: (b: EventBody) => bodies.push(b), metric: () => {} };
  const context = { workerId: 'w', backend: 'wasm', seed: 1, attacks: [], threatModel } as unknown as ForwardingContext;
  forwardEngineEvent({ type: 'stage', stage: 'search', status: 'started' }, sink, context);
  forwardEngineEvent({ type: 'stage', stage: 'search', status: 'completed' }, sink, context);
  forwardEngineEvent({ type: 'stage', stage: 'train', status: 'resumed' }, sink, context);
  assert.deepEqual(
    bodies.map((b) => (b.type === 'log' ? b.message : `${b.type} ${b.type === 'status' ? b.stage : ''}`)),
    [
      'stage search started',
      'status search',
      'stage search done',
      'stage train resumed from its checkpoint',
      'status train',
    ],
  );
});

test("a study's row, the stage a row enters and the finished table become contract events of the study run", () => {
  const row: StudyRow = {
    dataset: 'mnist',
    arm: 'random',
    seed: 5,
    index: 1,
    genotype: PUBLISHED_GENOTYPES['darts-v2'],
    channels: 8,
    layers: 5,
    params: 51_000,
    flops: 2_000_000,
    cleanAccuracy: 0.9,
    attacks: { fgsm: 0.6 },
    worstCase: 0.6,
    seconds: 12,
    record: {
      classes: 10,
      inputChannels: 1,
      imageSize: 28,
      threatModel,
      examples: 200,
      attacks: [{ attack: { name: 'fgsm', stepSize: 0.3 }, robustAccuracy: 0.6 }],
      backend: 'wasm',
      engineVersion: '0.1.0',
    },
  };
  const bodies: EventBody[] = [];
  const sink = { emit: (b: EventBody) => bodies.push(b), metric: () => assert.fail('a study sends no metrics') };
  const context = { workerId: 'w', backend: 'wasm' };
  forwardStudyEvent({ type: 'study-row', row, done: 3, total: 4 }, sink, context);
  const step = { type: 'stage', stage: 'train', status: 'started' } as const;
  forwardStudyEvent({ type: 'study-step', row: 'mnist/seed-5/lrnas', done: 3, total: 4, event: step }, sink, context);
  const loss = { type: 'step', step: 1, totalSteps: 9, loss: 1, accuracy: 0.5, lr: 0.1, epsilon: 0.3 };
  forwardStudyEvent(
    {
      type: 'study-step',
      row: 'mnist/seed-5/lrnas',
      done: 3,
      total: 4,
      event: { type: 'train', event: loss } as never,
    },
    sink,
    context,
  );
  forwardStudyEvent({ type: 'study-done', rows: 4, text: 'the table' }, sink, context);
  assert.deepEqual(
    bodies.map((b) => b.type),
    ['study-row', 'log', 'status', 'log'],
  );
  const envelope = { v: 1, runId: 'run_s', attempt: 1, seq: 0, time: '2026-12-07T12:00:00Z' };
  for (const body of bodies) eventCodec.decode(eventCodec.encode({ ...envelope, ...body } as never));
  assert.deepEqual(
    { ...bodies[0], genotype: undefined },
    {
      type: 'study-row',
      key: 'mnist/seed-5/random-1',
      dataset: 'mnist',
      arm: 'random',
      seed: 5,
      index: 1,
      genotype: undefined,
      network: { channels: 8, layers: 5, classes: 10, inputChannels: 1, imageSize: 28 },
      params: 51_000,
      flops: 2_000_000,
      threatModel,
      examples: 200,
      cleanAccuracy: 0.9,
      worstCase: 0.6,
      attacks: [{ attack: { name: 'fgsm', stepSize: 0.3 }, robustAccuracy: 0.6 }],
      seconds: 12,
      backend: 'wasm',
      engineVersion: '0.1.0',
      done: 3,
      total: 4,
    },
  );
  assert.deepEqual(bodies[2], {
    type: 'status',
    status: 'RUNNING',
    stage: 'train',
    workerId: 'w',
    backend: 'wasm',
    progress: { done: 3, total: 4 },
  });
  assert.match((bodies[3] as { message: string }).message, /^study done: 4 rows\nthe table$/);
});
