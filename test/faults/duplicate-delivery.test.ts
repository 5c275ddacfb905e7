// Two workers given the same job: the first worker is frozen (SIGSTOP, as a swapping or starved process
// would be) past AckWait, so JetStream hands the job to a second worker; then the first wakes up and
// goes on. Both run it to the end; the run must record one result and consistent metrics.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { watchRunEvents } from '@lrnas/test-kit/run-events';
import { Platform } from './support/platform.js';

let platform: Platform;
before(async () => {
  platform = await Platform.start('duplicate', { ackWaitMs: 8_000 });
});
after(() => platform?.stop());

test('AckWait expires while the first worker still lives: one result, consistent events', async (t) => {
  const runId = 'two-workers';
  const busId = await platform.startPipeline(runId, { seed: 31, trainLimit: 96, searchEpochs: 3, trainEpochs: 1 });
  const watch = watchRunEvents(platform.nc, busId);
  const first = platform.startWorker('w-frozen');
  let second: ReturnType<Platform['startWorker']> | undefined;
  try {
    await watch.until(
      (events) => events.some((e) => e.type === 'metric' && e.points.some((p) => p.key === 'search/loss')),
      180_000,
      () => platform.tails(),
    );
    first.child.kill('SIGSTOP');
    const frozenAt = Date.now();
    second = platform.startWorker('w-second');
    await watch.until(
      (events) => events.some((e) => e.attempt === 2),
      120_000,
      () => platform.tails(),
    );
    const redeliveredMs = Date.now() - frozenAt;
    first.child.kill('SIGCONT');
    // Both deliveries run on; wait until the first one has ended too, whatever its end.
    await platform.terminal([runId]);
    await watch.until(
      (events) =>
        events.some((e) => e.attempt === 1 && e.type === 'status' && ['SUCCEEDED', 'FAILED'].includes(e.status)) ||
        events.some((e) => e.attempt === 1 && e.type === 'log' && /handed back|failed/.test(e.message)) ||
        !first.running,
      240_000,
      () => platform.tails(),
    );
    const run = await platform.run(runId);
    const account = await platform.account(runId);
    const attemptsSeen = new Set(watch.events.map((e) => e.attempt));
    const firstEnd = watch.events.filter((e) => e.attempt === 1 && (e.type === 'status' || e.type === 'log')).at(-1);
    t.diagnostic(
      `two workers, one job: ${JSON.stringify({ ...account, redeliveredMs, attemptsSeen: [...attemptsSeen], firstEnd })}`,
    );

    assert.deepEqual([...attemptsSeen].sort(), [1, 2], 'both deliveries reported');
    assert.equal(run.status, 'SUCCEEDED', `${JSON.stringify(run.statusHistory)}\n${platform.tails()}`);
    assert.equal(run.statusHistory.filter((s) => s.status === 'SUCCEEDED').length, 1, 'one result');
    assert.equal(run.evaluations.length, 1, 'one evaluation');
    assert.equal(account.lost, 0, 'no metric point lost');
    assert.equal(account.duplicated, 0, 'no metric point stored twice');
  } finally {
    watch.stop();
    first.child.kill('SIGCONT');
    await first.kill('SIGKILL');
    await second?.kill('SIGTERM');
  }
});
