import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProgressReporter, progressOf } from './progress-reporter.js';

type Sent = { phase: string; done: number; total: number; rate?: number; etaSeconds?: number };

test('a burst of counts goes out as the first, then at most one per interval, the last of a phase before the next, and the last on close', () => {
  let now = 0;
  const sent: Sent[] = [];
  const reporter = new ProgressReporter(
    (body) => sent.push(body),
    2000,
    () => now,
  );
  reporter.report({ stage: 'search', phase: 'search', done: 100, total: 1100 });
  for (let done = 101; done <= 110; done++) {
    now += 100;
    reporter.report({ stage: 'search', phase: 'search', done, total: 1100 });
  }
  assert.equal(sent.length, 1, 'the first at once, the rest held');
  assert.equal(sent[0]!.rate, undefined, 'no rate before any time has passed');
  now = 2000;
  reporter.report({ stage: 'search', phase: 'search', done: 120, total: 1100 });
  assert.equal(sent.length, 2);
  // 20 steps in 2 s since the phase began (a resumed stage counts from where it resumed).
  assert.deepEqual(sent[1], {
    type: 'progress',
    stage: 'search',
    phase: 'search',
    done: 120,
    total: 1100,
    rate: 10,
    etaSeconds: 98,
  });

  now = 2300;
  reporter.report({ stage: 'search', phase: 'search', done: 125, total: 1100 });
  now = 2500;
  reporter.report({ stage: 'search', phase: 'estimate', done: 0, total: 40 });
  assert.equal(sent.at(-1)!.phase, 'estimate', 'a new phase goes out at once');
  now = 2600;
  reporter.report({ stage: 'search', phase: 'estimate', done: 3, total: 40 });
  reporter.close();
  assert.deepEqual(
    sent.map((s) => [s.phase, s.done]),
    [
      ['search', 100],
      ['search', 120],
      ['search', 125],
      ['estimate', 0],
      ['estimate', 3],
    ],
  );
});

test('a held count is sent by the timer when no other count comes', async () => {
  const sent: Sent[] = [];
  const reporter = new ProgressReporter((body) => sent.push(body), 30);
  reporter.report({ stage: 'evaluate', phase: 'attack', done: 0, total: 12 });
  reporter.report({ stage: 'evaluate', phase: 'attack', done: 6, total: 12 });
  assert.equal(sent.length, 1);
  await new Promise((r) => setTimeout(r, 80));
  assert.deepEqual(
    sent.map((s) => s.done),
    [0, 6],
  );
  reporter.close();
  assert.equal(sent.length, 2, 'nothing pending, nothing more');
});

test('the engine events that count: steps, estimate masks, attacked examples', () => {
  const step = {
    type: 'step',
    epoch: 0,
    batch: 0,
    batches: 5,
    step: 3,
    totalSteps: 10,
    loss: 1,
    accuracy: 0.5,
    lr: 0.1,
    seconds: 1,
  };
  assert.deepEqual(progressOf({ type: 'search', event: step } as never), {
    stage: 'search',
    phase: 'search',
    done: 3,
    total: 10,
  });
  assert.deepEqual(
    progressOf({ type: 'search', event: { type: 'estimate-progress', epoch: 1, done: 4, total: 9 } } as never),
    {
      stage: 'search',
      phase: 'estimate',
      done: 4,
      total: 9,
    },
  );
  assert.deepEqual(progressOf({ type: 'evaluate-progress', done: 6, total: 12 }), {
    stage: 'evaluate',
    phase: 'attack',
    done: 6,
    total: 12,
  });
  assert.equal(progressOf({ type: 'stage', stage: 'train', status: 'started' } as never), undefined);
});
