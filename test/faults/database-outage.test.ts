// The database briefly unavailable: PostgreSQL is stopped while a job runs and started again. The
// worker goes on publishing into the events stream; the gateway's ingestion pauses (nothing is
// acknowledged that was not stored) and resumes, and the run ends with every metric point stored once.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { watchRunEvents } from '@lrnas/test-kit/run-events';
import { Platform } from './support/platform.js';

let platform: Platform;
before(async () => {
  platform = await Platform.start('database', { database: 'postgres' });
  platform.startWorker('w1');
});
after(() => platform?.stop());

test('PostgreSQL stopped and restarted mid-run: ingestion pauses and resumes, nothing lost', async (t) => {
  const runId = 'db-outage';
  const busId = await platform.startPipeline(runId, { seed: 41, trainLimit: 96, searchEpochs: 4, trainEpochs: 2 });
  const watch = watchRunEvents(platform.nc, busId);
  try {
    const deadline = Date.now() + 180_000;
    while ((await platform.run(runId)).metricKeys.length === 0) {
      if (Date.now() > deadline) throw new Error(`no metric stored\n${platform.tails()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await platform.pg!.halt();
    const haltedAt = Date.now();
    const eventsAtHalt = watch.events.length;
    // Events keep arriving in the stream while the database is down.
    await watch.until(
      (events) => events.length >= eventsAtHalt + 3,
      120_000,
      () => platform.tails(),
    );
    await platform.pg!.resume();
    const resumedAt = Date.now();
    const [run] = await platform.terminal([runId]);
    const account = await platform.account(runId);
    t.diagnostic(
      `database outage: ${JSON.stringify({ ...account, downMs: resumedAt - haltedAt, finishedAfterMs: Date.now() - resumedAt })}`,
    );
    assert.equal(run!.status, 'SUCCEEDED', `${JSON.stringify(run!.statusHistory)}\n${platform.tails()}`);
    assert.equal(run!.statusHistory.filter((s) => s.status === 'SUCCEEDED').length, 1, 'finished once');
    assert.equal(run!.evaluations.length, 1, 'one evaluation');
    assert.equal(account.lost, 0, 'no metric point lost');
    assert.equal(account.duplicated, 0, 'no metric point stored twice');
    assert.match(
      platform.gateway.output.join(''),
      /event batch of \d+ not stored \(connect ECONNREFUSED [^)]*\); will retry/,
      'the gateway said ingestion paused',
    );
  } finally {
    watch.stop();
  }
});
