import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventCodec, type AttackSpec, type RunEventBody as EventBody } from '@lrnas/schema';
import { resolveAttackSettings } from '../attacks/suite.js';
import type { EvaluationReport } from '../evaluate/evaluate-model.js';
import { forwardEngineEvent, type ForwardingContext } from './contract-events.js';

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
