// Worker SIGKILL at four moments of a pipeline: mid-search, mid-retraining, mid-evaluation and
// during a checkpoint upload. Each time another worker process takes over once AckWait expires, and
// the run must end SUCCEEDED once with every metric point its attempts produced stored exactly once.
import assert from 'node:assert/strict';
import { after, before, test, type TestContext } from 'node:test';
import type { RunEvent } from '@lrnas/schema';
import { ARTIFACTS_BUCKET } from '@lrnas/schema';
import { watchRunEvents, type RunEventWatch } from '@lrnas/test-kit/run-events';
import { Platform, publishedPoints, stepsOf, type ServiceProcess } from './support/platform.js';

let platform: Platform;
before(async () => {
  // AckWait 15 s: a killed worker's job comes back soon, and a worker starved of CPU by tests running
  // beside it still heartbeats (every 3.75 s) well within it.
  platform = await Platform.start('worker-kill', { ackWaitMs: 15_000 });
});
after(() => platform?.stop());

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
let workerCount = 0;

/**
 * Runs pipeline `runId` on a worker, SIGKILLs that worker once `moment` holds (checked on every event,
 * or armed by `arm` for moments that are not events), starts a fresh worker, and checks the outcome.
 */
async function killAndRecover(
  t: TestContext,
  runId: string,
  fault: string,
  moment: { whenEvent?: (events: RunEvent[]) => boolean; arm?: (kill: () => void) => () => void },
  evaluate?: Record<string, unknown>,
): Promise<void> {
  let watch: RunEventWatch | undefined;
  const doomed: ServiceProcess = platform.startWorker(`w${++workerCount}`);
  let heir: ServiceProcess | undefined;
  let killedAt = 0;
  const kill = () => {
    if (killedAt) return;
    killedAt = Date.now();
    doomed.child.kill('SIGKILL');
  };
  const disarm = moment.arm?.(kill);
  try {
    const size = { seed: 7 + workerCount, trainLimit: 48, searchEpochs: 2 };
    const busId = await platform.startPipeline(runId, size, evaluate);
    watch = watchRunEvents(platform.nc, busId);
    await watch.until(
      (events) => {
        if (!killedAt && moment.whenEvent?.(events)) kill();
        return killedAt > 0;
      },
      180_000,
      () => platform.tails(),
    );
    await doomed.exited;
    heir = platform.startWorker(`w${++workerCount}`);
    await watch.until(
      (events) => events.some((e) => e.attempt === 2),
      120_000,
      () => platform.tails(),
    );
    const recoveredMs = Date.now() - killedAt;
    const [run] = await platform.terminal([runId]);
    const account = await platform.account(runId);
    t.diagnostic(`${fault}: ${JSON.stringify({ ...account, recoveredMs })}`);

    assert.equal(run!.status, 'SUCCEEDED', `${fault}: ${JSON.stringify(run!.statusHistory)}\n${platform.tails()}`);
    assert.equal(run!.statusHistory.filter((s) => s.status === 'SUCCEEDED').length, 1, 'finished once');
    assert.ok(run!.attempts >= 2, `a second delivery finished it (attempts ${run!.attempts})`);
    assert.equal(run!.evaluations.length, 1, 'one evaluation');
    assert.equal(account.lost, 0, 'no metric point lost');
    assert.equal(account.duplicated, 0, 'no metric point stored twice');
    const published = publishedPoints(await platform.streamEvents(busId));
    assert.deepEqual(stepsOf(published, 'search/loss'), range(4), 'every search step was produced');
    assert.deepEqual(stepsOf(published, 'train/loss'), range(4), 'every training step was produced');
  } finally {
    disarm?.();
    watch?.stop();
    doomed.child.kill('SIGKILL');
    await heir?.kill('SIGTERM');
  }
}

test('worker SIGKILL mid-search', async (t) => {
  await killAndRecover(t, 'kill-search', 'mid-search', {
    // After the first epoch's checkpoint, inside the second epoch.
    whenEvent: (events) =>
      events.some((e) => e.type === 'artifact' && e.kind === 'checkpoint' && e.stage === 'search') &&
      events.some((e) => e.type === 'metric' && e.points.some((p) => p.key === 'search/loss' && p.step === 3)),
  });
});

test('worker SIGKILL mid-retraining', async (t) => {
  await killAndRecover(t, 'kill-train', 'mid-retraining', {
    whenEvent: (events) => events.some((e) => e.type === 'metric' && e.points.some((p) => p.key.startsWith('train/'))),
  });
});

test('worker SIGKILL mid-evaluation', async (t) => {
  // An evaluation long enough to be interrupted: PGD-20 on 96 images.
  const evaluate = { threatModel: { norm: 'linf', epsilon: 0.3 }, attacks: [{ name: 'pgd', steps: 20 }], examples: 96 };
  await killAndRecover(
    t,
    'kill-eval',
    'mid-evaluation',
    { whenEvent: (events) => events.some((e) => e.type === 'status' && e.stage === 'evaluate') },
    evaluate,
  );
});

test('worker SIGKILL during a checkpoint upload', async (t) => {
  // The first chunk of a large object (a checkpoint; the JSON files are a few kB) reaching the artifact
  // store is the moment: the worker dies with the object's chunks half sent and its record unwritten.
  await killAndRecover(t, 'kill-upload', 'during a checkpoint upload', {
    arm: (kill) => {
      const sub = platform.nc.subscribe(`$O.${ARTIFACTS_BUCKET}.C.>`, {
        callback: (_err, msg) => {
          if (msg.data.length > 16_384) kill();
        },
      });
      return () => sub.unsubscribe();
    },
  });
});
