import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkerMetrics } from './metrics.js';

/** The value of an unlabelled (but for `worker`) series in Prometheus text. */
async function valueOf(metrics: WorkerMetrics, name: string): Promise<number> {
  const text = await metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`));
  assert.ok(line, `${name} is exported`);
  return Number(line.split(' ').at(-1));
}

test('heartbeat and presence ages grow while nothing is sent, and are 0 when there is nothing to send', async () => {
  let now = 1_000_000;
  const metrics = new WorkerMetrics({ workerId: 'w-1' }, () => now);
  assert.equal(await valueOf(metrics, 'lrnas_worker_heartbeat_age_seconds'), 0);
  assert.equal(await valueOf(metrics, 'lrnas_worker_presence_age_seconds'), 0);

  metrics.presenceWritten();
  metrics.jobStarted();
  now += 5_000;
  assert.equal(await valueOf(metrics, 'lrnas_worker_heartbeat_age_seconds'), 5, 'counted from the start of the job');
  assert.equal(await valueOf(metrics, 'lrnas_worker_presence_age_seconds'), 5);
  metrics.heartbeat();
  now += 500;
  assert.equal(await valueOf(metrics, 'lrnas_worker_heartbeat_age_seconds'), 0.5);

  // A second job does not reset the first one's age; the age stays until the last job ends.
  metrics.jobStarted();
  now += 1_000;
  assert.equal(await valueOf(metrics, 'lrnas_worker_heartbeat_age_seconds'), 1.5);
  metrics.jobEnded('search', 'succeeded');
  assert.equal(await valueOf(metrics, 'lrnas_worker_heartbeat_age_seconds'), 1.5);
  metrics.jobEnded('search', 'succeeded');
  assert.equal(await valueOf(metrics, 'lrnas_worker_heartbeat_age_seconds'), 0);
  assert.equal(await valueOf(metrics, 'lrnas_worker_presence_age_seconds'), 6.5);
});

test("the event loop's lag is exported", async () => {
  const metrics = new WorkerMetrics({ workerId: 'w-1' });
  assert.ok((await valueOf(metrics, 'nodejs_eventloop_lag_seconds')) >= 0);
  assert.ok((await valueOf(metrics, 'nodejs_eventloop_lag_p99_seconds')) >= 0);
});

test('how long the thread was held since the last scrape is exported, and counted afresh after it', async () => {
  const metrics = new WorkerMetrics({ workerId: 'w-1' });
  await valueOf(metrics, 'lrnas_worker_event_loop_held_seconds');
  const start = process.cpuUsage();
  for (;;) {
    const used = process.cpuUsage(start);
    if ((used.user + used.system) / 1000 >= 300) break;
  }
  const held = await valueOf(metrics, 'lrnas_worker_event_loop_held_seconds');
  assert.ok(held > 0.2 && held < 0.4, `${held} s after 300 ms of computing`);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok((await valueOf(metrics, 'lrnas_worker_event_loop_held_seconds')) < 0.1, 'counted afresh');
});
