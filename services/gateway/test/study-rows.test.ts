// A study's rows through ingestion, on SQLite and PostgreSQL: each study-row event becomes a run of its own (parent:
// the study) with its evaluations on the row's data set, once, however often the worker tells of it (a resumed
// study tells of its rows again); the study query serves the rows and their table; the leaderboard shows the row
// with its study, arm and seed. A row event on a run that is not a study changes nothing.
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Genotype, type StudyRowEvent } from '@lrnas/schema';
import { useNatsServer } from '@lrnas/local/test-nats';
import { startPostgres, type PostgresHandle } from '@lrnas/local/postgres';
import { gql, ok } from '@lrnas/test-kit/graphql';
import { parseDatabaseUrl, type DatabaseTarget } from '../src/config.js';
import type { GatewayHandle } from '../src/gateway.js';
import { studyRowRunId } from '../src/ingest/study-rows.js';
import { Evaluation, Experiment, Run, RunKind, StudyRow, Visibility } from '../src/persistence/entities/index.js';
import { createRunFixture } from './support/fixtures.js';
import { eventsDrained, publishSignedEvent } from './support/signed-events.js';
import { startTestGateway } from './support/test-gateway.js';

const genotypes = JSON.parse(
  fs.readFileSync(new URL('../../../schema/test/fixtures/genotypes.json', import.meta.url), 'utf8'),
) as Record<string, Genotype>;
const nats = useNatsServer('lrnas-study-rows-');
let pg: PostgresHandle;
before(async () => {
  pg = await startPostgres();
});
after(async () => {
  await pg?.stop();
});

const time = (s: number) => new Date(Date.UTC(2026, 11, 7, 12, 0, s)).toISOString();
const base = (runId: string, seq: number) => ({ v: 1 as const, runId, attempt: 1, seq, time: time(seq) });

function rowEvent(runId: string, seq: number, row: Partial<StudyRowEvent>): StudyRowEvent {
  return {
    ...base(runId, seq),
    type: 'study-row',
    key: 'fashion-mnist/seed-3/darts-v2',
    dataset: 'fashion-mnist',
    arm: 'darts-v2',
    seed: 3,
    index: 0,
    genotype: genotypes.DARTS_V2!,
    network: { channels: 6, layers: 5, classes: 10, inputChannels: 1, imageSize: 28 },
    params: 58_000,
    flops: 3_000_000,
    threatModel: { norm: 'linf', epsilon: 0.1 },
    examples: 200,
    cleanAccuracy: 0.8,
    worstCase: 0.3,
    attacks: [
      { attack: { name: 'fgsm', stepSize: 0.1 }, robustAccuracy: 0.5 },
      { attack: { name: 'pgd', steps: 20, stepSize: 0.025, restarts: 1 }, robustAccuracy: 0.35 },
    ],
    seconds: 42,
    backend: 'wasm',
    engineVersion: '0.1.0',
    done: 1,
    total: 2,
    ...row,
  };
}

/** Every event published so far ingested, in 20 s at the most. */
const drained = (): Promise<void> => eventsDrained(nats.nc, 20_000);

const targets: [string, (dir: string) => DatabaseTarget][] = [
  ['SQLite', (dir) => ({ kind: 'sqlite', file: path.join(dir, 'study-rows.sqlite') })],
  ['PostgreSQL', () => parseDatabaseUrl(pg.url)],
];

for (const [label, target] of targets) {
  describe(label, () => {
    let gateway: GatewayHandle;
    const studyId = `run-study-${label}`;
    const otherId = `run-other-${label}`;
    before(async () => {
      gateway = await startTestGateway(nats.server, target(nats.dataDir));
      const em = gateway.db.orm.em.fork();
      const { experiment } = await createRunFixture(em, `study-${label}`, { kind: RunKind.STUDY });
      experiment.visibility = Visibility.PUBLIC;
      em.create(Run, { id: otherId, experiment, kind: RunKind.TRAIN, config: {}, seed: 1 });
      await em.flush();
    });
    after(async () => {
      await gateway?.stop();
    });

    test("each row is a run of its own, stored once however often it is told, on its data set's leaderboard", async () => {
      const publish = (event: Parameters<typeof publishSignedEvent>[2]) =>
        publishSignedEvent(nats.nc, gateway.db.orm, event);
      await publish({ ...base(studyId, 0), type: 'status', status: 'RUNNING', stage: 'train', workerId: 'w1' });
      await publish(rowEvent(studyId, 1, {}));
      const mnist = rowEvent(studyId, 2, {
        key: 'mnist/seed-4/random-1',
        dataset: 'mnist',
        arm: 'random',
        seed: 4,
        index: 1,
        genotype: genotypes.LRNAS_C10!,
        threatModel: { norm: 'linf', epsilon: 0.3 },
        done: 2,
      });
      await publish(mnist);
      // A resumed study tells of its rows again, in a later attempt's numbering.
      await publish({ ...rowEvent(studyId, 3, {}), worstCase: 0.31 });
      await publish({ ...base(otherId, 0), type: 'status', status: 'RUNNING', stage: 'train', workerId: 'w2' });
      await publish(rowEvent(otherId, 1, {}));
      await drained();

      const em = gateway.db.orm.em.fork();
      const rows = await em.find(StudyRow, { study: studyId }, { orderBy: { id: 'asc' } });
      assert.deepEqual(
        rows.map((r) => [r.key, r.seed, r.worstCase]),
        [
          ['fashion-mnist/seed-3/darts-v2', 3, 0.31],
          ['mnist/seed-4/random-1', 4, 0.3],
        ],
      );
      const rowRun = await em.findOneOrFail(Run, studyRowRunId(studyId, 'mnist/seed-4/random-1'));
      assert.equal(rowRun.kind, RunKind.TRAIN);
      assert.equal(rowRun.status, 'SUCCEEDED');
      assert.equal(rowRun.seed, 4);
      assert.equal(rowRun.parent?.id, studyId);
      assert.equal(rowRun.eventKey, null, 'no event may be sent for a row run');
      const evaluations = await em.find(Evaluation, { run: { parent: studyId } });
      assert.equal(evaluations.length, 4, 'two attacks per row, once each');
      assert.deepEqual([...new Set(evaluations.map((e) => e.dataset))].sort(), ['fashion-mnist', 'mnist']);
      assert.equal(await em.count(StudyRow, { study: otherId }), 0, 'a row of a run that is no study is ignored');
      assert.equal(await em.count(Run, { parent: otherId }), 0);
      assert.equal((await em.findOneOrFail(Experiment, `exp-study-${label}`)).dataset, 'mnist');

      const { study, leaderboard } = ok(
        await gql<{
          study: { planned: number; rows: { key: string; run: { id: string } }[]; table: { arm: string }[] };
          leaderboard: { run: { id: string; studyRow: { studyRunId: string; arm: string; seed: number } | null } }[];
        }>(
          gateway.url,
          `query($id: ID!) {
            study(runId: $id) { planned rows { key run { id } } table { arm } }
            leaderboard(dataset: FASHION_MNIST, threatModel: { norm: LINF, epsilon: 0.1 }) {
              run { id studyRow { studyRunId arm seed } } }
          }`,
          { id: studyId },
        ),
      );
      assert.equal(study.planned, 2);
      assert.deepEqual(
        study.table.map((l) => l.arm),
        ['darts-v2', 'random'],
      );
      assert.deepEqual(
        leaderboard.map((e) => e.run.studyRow),
        [{ studyRunId: studyId, arm: 'darts-v2', seed: 3 }],
      );
      const notAStudy = await gql(gateway.url, 'query($id: ID!) { study(runId: $id) { planned } }', { id: otherId });
      assert.match(notAStudy.errors?.[0]?.message ?? '', /is a TRAIN run, not a STUDY/);
    });
  });
}
