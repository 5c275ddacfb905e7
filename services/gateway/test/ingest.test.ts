// Event ingestion against a real nats-server, on SQLite and PostgreSQL: what a worker publishes
// (with duplicates, replays and events out of order) ends up in the database exactly once.
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EVENTS_STREAM, LIMITS, eventSubject, genotypeHash, type Genotype } from '@lrnas/schema';
import { useNatsServer } from '@lrnas/local/test-nats';
import { startPostgres, type PostgresHandle } from '@lrnas/local/postgres';
import { parseDatabaseUrl, type DatabaseTarget } from '../src/config.js';
import type { GatewayHandle } from '../src/gateway.js';
import {
  Architecture,
  Artifact,
  Evaluation,
  MetricPoint,
  Run,
  RunKind,
  RunStatusChange,
} from '../src/persistence/entities/index.js';
import { createRunFixture } from './support/fixtures.js';
import { eventsDrained, publishSignedEvent, type SignedEventInput } from './support/signed-events.js';
import { startTestGateway } from './support/test-gateway.js';

const genotype = JSON.parse(
  fs.readFileSync(new URL('../../../schema/test/fixtures/genotypes.json', import.meta.url), 'utf8'),
).LRNAS_C10 as Genotype;
const nats = useNatsServer('lrnas-ingest-');
let pg: PostgresHandle;
before(async () => {
  pg = await startPostgres();
});
after(async () => {
  await pg?.stop();
});

const time = (s: number) => new Date(Date.UTC(2026, 10, 26, 12, 0, s)).toISOString();
const base = (runId: string, seq: number, attempt = 1) => ({ v: 1 as const, runId, attempt, seq, time: time(seq) });

/** Every event published so far ingested, in 20 s at the most. */
const drained = (): Promise<void> => eventsDrained(nats.nc, 20_000);

const targets: [string, (dir: string) => DatabaseTarget][] = [
  ['SQLite', (dir) => ({ kind: 'sqlite', file: path.join(dir, 'ingest.sqlite') })],
  ['PostgreSQL', () => parseDatabaseUrl(pg.url)],
];

for (const [label, target] of targets) {
  describe(label, () => {
    let gateway: GatewayHandle;
    const runId = `run-ingest-${label}`; // made by createRunFixture
    const publish = (event: SignedEventInput) => publishSignedEvent(nats.nc, gateway.db.orm, event);
    before(async () => {
      gateway = await startTestGateway(nats.server, target(nats.dataDir));
      await createRunFixture(gateway.db.orm.em.fork(), `ingest-${label}`, { kind: RunKind.PIPELINE });
    });
    after(async () => {
      await gateway?.stop();
    });

    test('duplicates, replays and late events leave exactly what the run did', async () => {
      const points = [0, 1, 2, 3, 4].map((step) => ({ key: 'search/loss', step, value: 2 - step * 0.1 }));
      const evaluation = {
        ...base(runId, 12),
        type: 'evaluation' as const,
        attack: { name: 'pgd' as const, steps: 20, stepSize: 0.01 },
        threatModel: { norm: 'linf' as const, epsilon: 0.3 },
        examples: 500,
        seed: 1,
        cleanAccuracy: 0.97,
        robustAccuracy: 0.81,
        backend: 'wasm',
        engineVersion: '0.1.0',
      };
      const artifact = {
        ...base(runId, 13),
        type: 'artifact' as const,
        kind: 'weights' as const,
        stage: 'train' as const,
        name: `${runId}/weights`,
        digest: 'SHA-256=abc',
        size: 1234,
      };
      await publish({
        ...base(runId, 0),
        type: 'status',
        status: 'RUNNING',
        stage: 'search',
        workerId: 'w1',
        backend: 'wasm',
      });
      await publish({ ...base(runId, 1), type: 'metric', points });
      await publish({ ...base(runId, 1), type: 'metric', points }); // a replay
      await publish({ ...base(runId, 10), type: 'status', status: 'RUNNING', stage: 'train' });
      await publish({ ...base(runId, 5), type: 'status', status: 'RUNNING', stage: 'select' }); // late
      await publish({
        ...base(runId, 11),
        type: 'genotype',
        stage: 'select',
        genotype,
        network: { channels: 36, layers: 20, classes: 10, inputChannels: 3, imageSize: 32 },
        params: 2_179_702,
        flops: 346_100_000,
        final: true,
      });
      await publish(evaluation);
      await publish(evaluation);
      await publish(artifact);
      await publish(artifact);
      await publish({
        ...base(runId, 14),
        type: 'epoch',
        stage: 'train',
        epoch: 0,
        epochs: 1,
        seconds: 3,
        metrics: { 'train/acc': 0.9 },
      });
      await publish({ ...base(runId, 15), type: 'status', status: 'SUCCEEDED', stage: 'evaluate' });
      await publish({ ...base(runId, 3), type: 'status', status: 'RUNNING', stage: 'search' }); // late, after the end
      await nats.nc.jetstream().publish(eventSubject(runId, 'metric'), new TextEncoder().encode('not json'));
      await publish({ ...base('run-nobody-knows', 0), type: 'log', level: 'info', message: 'hi' });
      await drained();

      const em = gateway.db.orm.em.fork();
      const run = await em.findOneOrFail(Run, runId, { populate: ['architecture'] });
      assert.equal(run.status, 'SUCCEEDED');
      assert.equal(run.stage, 'evaluate');
      assert.equal(run.workerId, 'w1');
      assert.equal(run.backend, 'wasm');
      assert.equal(run.attempts, 1);
      assert.ok(run.startedAt && run.finishedAt && run.finishedAt > run.startedAt);
      assert.equal(run.architecture?.hash, genotypeHash(genotype));

      const history = await em.find(RunStatusChange, { run: runId }, { orderBy: { id: 'asc' } });
      assert.equal(history.at(-1)?.status, 'SUCCEEDED');
      assert.ok(
        history.every((h, i) => i === 0 || h.at >= history[i - 1]!.at),
        'history only moves forward',
      );

      const stored = await em.find(MetricPoint, { run: runId }, { orderBy: { key: 'asc', step: 'asc' } });
      assert.deepEqual(
        stored.map((p) => [p.key, p.step, p.value]),
        [...points.map((p) => [p.key, p.step, p.value]), ['train/acc', 0, 0.9]],
      );
      assert.equal(stored[0]!.time.toISOString(), time(1), 'times read back as written');
      const architecture = await em.findOneOrFail(Architecture, { hash: genotypeHash(genotype) });
      assert.equal(architecture.params, 2_179_702);
      assert.equal(architecture.channels, 36);
      const evaluations = await em.find(Evaluation, { run: runId });
      assert.equal(evaluations.length, 1);
      assert.equal(evaluations[0]!.robustAccuracy, 0.81);
      assert.equal(evaluations[0]!.dataset, 'mnist');
      assert.deepEqual(evaluations[0]!.attackSettings, { steps: 20, stepSize: 0.01 });
      assert.equal((await em.find(Artifact, { run: runId })).length, 1);
    });

    test('an evaluation that arrives before its genotype waits for it instead of being lost', async () => {
      const early = `early-${label}`;
      await createRunFixture(gateway.db.orm.em.fork(), early, { kind: RunKind.TRAIN });
      const runOf = `run-${early}`;
      await publish({ ...base(runOf, 0), type: 'status', status: 'RUNNING', stage: 'train', workerId: 'w1' });
      await publish({
        ...base(runOf, 5),
        type: 'evaluation',
        attack: { name: 'fgsm' },
        threatModel: { norm: 'linf', epsilon: 0.3 },
        examples: 100,
        seed: 1,
        cleanAccuracy: 0.9,
        robustAccuracy: 0.6,
        backend: 'cpu',
        engineVersion: '0.1.0',
      });
      await new Promise((r) => setTimeout(r, 700));
      await publish({
        ...base(runOf, 1),
        type: 'genotype',
        stage: 'train',
        genotype,
        network: { channels: 16, layers: 8, classes: 10, inputChannels: 1, imageSize: 28 },
        params: 1000,
        final: true,
      });
      await drained();
      const stored = await gateway.db.orm.em.fork().find(Evaluation, { run: runOf });
      assert.deepEqual(
        stored.map((e) => e.robustAccuracy),
        [0.6],
      );
    });

    test('a running stage always has a progress: 0 when it begins, then the latest count, never an older one', async () => {
      const counted = `counted-${label}`;
      await createRunFixture(gateway.db.orm.em.fork(), counted);
      const runOf = `run-${counted}`;
      const progressOf = async () => (await gateway.db.orm.em.fork().findOneOrFail(Run, runOf)).progress;
      await publish({ ...base(runOf, 0), type: 'status', status: 'RUNNING', stage: 'search', workerId: 'w1' });
      await drained();
      assert.deepEqual(
        { ...(await progressOf()), updatedAt: undefined },
        { stage: 'search', done: 0, updatedAt: undefined, attempt: 1, seq: 0 },
      );
      const count = (seq: number, done: number) => ({
        ...base(runOf, seq),
        type: 'progress' as const,
        stage: 'search' as const,
        phase: 'estimate' as const,
        done,
        total: 40,
        rate: 4,
        etaSeconds: (40 - done) / 4,
      });
      await publish(count(2, 20));
      await publish(count(1, 10)); // late: older than what is stored
      await drained();
      const latest = await progressOf();
      assert.equal(latest?.done, 20);
      assert.equal(latest?.fraction, 0.5);
      assert.equal(latest?.etaSeconds, 5);
      await publish({ ...base(runOf, 3), type: 'status', status: 'RUNNING', stage: 'train' });
      await drained();
      assert.equal((await progressOf())?.stage, 'train');
      assert.equal((await progressOf())?.done, 0);
    });

    test('a metric event at the size limit of the contract is stored whole', async () => {
      const points = Array.from({ length: LIMITS.metricPointsPerBatch }, (_, i) => ({
        key: `big/${i % 4}`,
        step: Math.floor(i / 4),
        value: i,
      }));
      const big = `run-big-${label}`;
      await createRunFixture(gateway.db.orm.em.fork(), `big-${label}`);
      await publish({ ...base(big, 0), type: 'status', status: 'RUNNING', stage: 'search', workerId: 'w1' });
      await publish({ ...base(big, 1), type: 'metric', points });
      await drained();
      const stored = await gateway.db.orm.em.fork().count(MetricPoint, { run: big, key: { $like: 'big/%' } });
      assert.equal(stored, LIMITS.metricPointsPerBatch);
    });

    test('a whole batch replayed from the stream changes nothing', async () => {
      const em = gateway.db.orm.em.fork();
      const before = {
        points: await em.count(MetricPoint, { run: runId }),
        history: await em.count(RunStatusChange, { run: runId }),
        evaluations: await em.count(Evaluation, { run: runId }),
      };
      // Re-deliver everything the stream holds for this run, as a consumer reset would.
      const jsm = await nats.nc.jetstreamManager();
      const info = await jsm.streams.info(EVENTS_STREAM);
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
        const stored = await jsm.streams.getMessage(EVENTS_STREAM, { seq });
        if (stored.subject.includes(runId)) {
          await nats.nc.jetstream().publish(stored.subject, stored.data, { headers: stored.header });
        }
      }
      await drained();
      const fresh = gateway.db.orm.em.fork();
      assert.deepEqual(
        {
          points: await fresh.count(MetricPoint, { run: runId }),
          history: await fresh.count(RunStatusChange, { run: runId }),
          evaluations: await fresh.count(Evaluation, { run: runId }),
        },
        before,
      );
      assert.equal((await fresh.findOneOrFail(Run, runId)).status, 'SUCCEEDED');
    });
  });
}
