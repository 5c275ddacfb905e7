// Faults on the gateway's side of a running job: the gateway SIGKILLed while it ingests (events keep
// coming) and started again, and the single nats-server restarted while a job runs and the gateway
// ingests. Each run must end SUCCEEDED once with every metric point its attempts produced stored once.
import assert from 'node:assert/strict';
import { after, before, test, type TestContext } from 'node:test';
import { watchRunEvents } from '@lrnas/test-kit/run-events';
import { Platform, TERMINAL, type Accounting } from './support/platform.js';

let platform: Platform;
before(async () => {
  platform = await Platform.start('gateway-nats');
  platform.startWorker('w1');
});
after(() => platform?.stop());

/** A pipeline long enough to be running when the fault comes: 4 search epochs, 2 of retraining. */
const size = { seed: 21, trainLimit: 96, searchEpochs: 4, trainEpochs: 2 };

/** Waits until the gateway has stored at least one metric point of the run. */
async function ingesting(runId: string): Promise<void> {
  const deadline = Date.now() + 180_000;
  while ((await platform.run(runId)).metricKeys.length === 0) {
    if (Date.now() > deadline) throw new Error(`no metric of ${runId} stored\n${platform.tails()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function checkOutcome(t: TestContext, runId: string, fault: string, recoveredMs: number): Promise<Accounting> {
  const [run] = await platform.terminal([runId]);
  const account = await platform.account(runId);
  t.diagnostic(`${fault}: ${JSON.stringify({ ...account, recoveredMs })}`);
  assert.equal(run!.status, 'SUCCEEDED', `${fault}: ${JSON.stringify(run!.statusHistory)}\n${platform.tails()}`);
  assert.equal(run!.statusHistory.filter((s) => s.status === 'SUCCEEDED').length, 1, 'finished once');
  assert.equal(run!.evaluations.length, 1, 'one evaluation');
  assert.ok(account.expected >= 40, `the run produced its metrics (${account.expected} points)`);
  assert.equal(account.lost, 0, 'no metric point lost');
  assert.equal(account.duplicated, 0, 'no metric point stored twice');
  return account;
}

test('gateway SIGKILL mid-ingestion, events keep arriving, then a restart: nothing lost or doubled', async (t) => {
  const runId = 'gateway-kill';
  const watch = watchRunEvents(platform.nc, await platform.startPipeline(runId, size));
  try {
    await ingesting(runId);
    await platform.gateway.kill('SIGKILL');
    const eventsAtKill = watch.events.length;
    // The worker goes on publishing into the stream while no gateway reads it.
    await watch.until(
      (events) => events.length >= eventsAtKill + 3,
      120_000,
      () => platform.tails(),
    );
    const restartedAt = Date.now();
    platform.gateway.start();
    await platform.gatewayReady();
    await checkOutcome(t, runId, 'gateway SIGKILL mid-ingestion', Date.now() - restartedAt);
  } finally {
    watch.stop();
  }
});

test('nats-server restarted while a job runs and the gateway ingests: the run finishes complete', async (t) => {
  const runId = 'nats-restart';
  await platform.startPipeline(runId, size);
  await ingesting(runId);
  await platform.nats.stop();
  const stoppedAt = Date.now();
  await platform.startNats();
  // Recovered once the gateway has stored an event the worker produced after the restart.
  const deadline = Date.now() + 120_000;
  for (;;) {
    const run = await platform.run(runId).catch(() => undefined);
    if (run && (TERMINAL.includes(run.status) || Date.parse(run.lastEventAt ?? '') > stoppedAt)) break;
    if (Date.now() > deadline) throw new Error(`nothing ingested after the NATS restart\n${platform.tails()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  await checkOutcome(t, runId, 'nats-server restart', Date.now() - stoppedAt);
});
