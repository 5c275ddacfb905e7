// A study through the real platform at the smallest size: startStudy over GraphQL, the job on JetStream, a worker
// process running it, every row's event ingested by the gateway. Every planned row comes back, each with the seed
// it was asked for, as a run of its own (parent: the study) whose evaluations are on the leaderboard with the
// study, arm and seed as provenance; the table has mean ± spread over the seeds; the run stores the table as its
// report. Baseline arms only (random and resnet), so no search runs: the search is the engine's own tests' work.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Platform } from './faults/support/platform.js';

let platform: Platform;
before(async () => {
  platform = await Platform.start('study');
  platform.startWorker('w-study');
});
after(async () => {
  await platform?.stop();
});

const START = `mutation($input: StartStudyInput!) { startStudy(input: $input) { id kind status seed } }`;
const TINY = {
  datasets: ['MNIST'],
  arms: ['RANDOM', 'RESNET'],
  seeds: [0, 5],
  randomArchitectures: 1,
  searchEpochs: 1,
  trainEpochs: 1,
  trainLimit: 64,
  evalExamples: 8,
};

interface StudyView {
  run: { id: string; status: string; artifacts: { name: string; kind: string }[] };
  planned: number | null;
  rows: {
    key: string;
    arm: string;
    seed: number;
    dataset: string;
    params: number;
    attacks: { attack: string }[];
    architecture: { hash: string };
    run: {
      id: string;
      kind: string;
      status: string;
      seed: number;
      parent: { id: string } | null;
      studyRow: { studyRunId: string; arm: string; seed: number } | null;
      evaluations: { attack: string }[];
    };
  }[];
  table: { arm: string; worstCase: { n: number; mean: number; spread: number } }[];
}

test('bad study settings are refused naming the field, before anything is queued', async () => {
  const refused = async (study: Record<string, unknown>): Promise<string> => {
    const answer = await fetch(`${platform.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${platform.key}` },
      body: JSON.stringify({ query: START, variables: { input: { experimentId: platform.experimentId, study } } }),
    }).then((r) => r.json() as Promise<{ errors?: { message: string; extensions?: { field?: string } }[] }>);
    assert.ok(answer.errors?.length, 'refused');
    return `${answer.errors[0]!.extensions?.field ?? ''} ${answer.errors[0]!.message}`;
  };
  assert.match(await refused({ arms: ['VGG'] }), /StudyArm/);
  assert.match(await refused({ seeds: [-1] }), /input\.study\.seeds\[0\]/);
  assert.match(await refused({ datasets: [] }), /input\.study\.datasets/);
  const { runs } = await platform.query<{ runs: { totalCount: number } }>(
    `query { runs(filter: { kinds: [STUDY] }) { totalCount } }`,
  );
  assert.equal(runs.totalCount, 0, 'nothing was stored');
});

test('a tiny study started through GraphQL produces every row with its seed, each on the leaderboard', async () => {
  const input = { experimentId: platform.experimentId, runId: 'tiny-study', study: TINY };
  const { startStudy } = await platform.query<{ startStudy: { id: string; kind: string; seed: number } }>(START, {
    input,
  });
  assert.equal(startStudy.kind, 'STUDY');
  assert.equal(startStudy.seed, 0, "the run's seed is the study's first");
  const again = await platform.query<{ startStudy: { id: string } }>(START, { input });
  assert.equal(again.startStudy.id, startStudy.id, 'starting it again returns the same run');

  const [done] = await platform.terminal([startStudy.id]);
  assert.equal(done!.status, 'SUCCEEDED', platform.tails());

  const { study } = await platform.query<{ study: StudyView }>(
    `query($id: ID!) { study(runId: $id) {
      run { id status artifacts { name kind } }
      planned
      rows { key arm seed dataset params attacks { attack } architecture { hash }
        run { id kind status seed parent { id } studyRow { studyRunId arm seed } evaluations { attack } } }
      table { arm worstCase { n mean spread } }
    } }`,
    { id: 'tiny-study' },
  );
  // Every row of the plan, each seed as asked: random (one genotype per seed) and resnet, on seeds 0 and 5.
  assert.equal(study.planned, 4);
  assert.deepEqual(study.rows.map((r) => r.key).sort(), [
    'mnist/seed-0/random-0',
    'mnist/seed-0/resnet',
    'mnist/seed-5/random-0',
    'mnist/seed-5/resnet',
  ]);
  for (const row of study.rows) {
    assert.equal(row.dataset, 'mnist');
    assert.deepEqual(
      row.attacks.map((a) => a.attack),
      ['fgsm', 'pgd', 'apgd-ce'],
    );
    assert.ok(row.params > 0 && row.params <= 60_000, `${row.key} is within the budget: ${row.params}`);
    assert.equal(row.run.kind, 'TRAIN');
    assert.equal(row.run.status, 'SUCCEEDED');
    assert.equal(row.run.seed, row.seed, 'the row run keeps its seed');
    assert.equal(row.run.parent?.id, study.run.id);
    assert.deepEqual(row.run.studyRow, { studyRunId: study.run.id, arm: row.arm, seed: row.seed });
    assert.equal(row.run.evaluations.length, 3);
  }
  // Two seeds drew two different random genotypes; the resnet chain is the same genotype on both.
  const hashes = (arm: string) => new Set(study.rows.filter((r) => r.arm === arm).map((r) => r.architecture.hash));
  assert.equal(hashes('random').size, 2, 'each seed samples its own random genotype');
  assert.deepEqual(
    study.table.map((l) => [l.arm, l.worstCase.n]),
    [
      ['random', 2],
      ['resnet', 2],
    ],
  );
  assert.ok(
    study.run.artifacts.some((a) => a.kind === 'report' && a.name.endsWith('report.json')),
    'the table is stored',
  );

  // On the MNIST leaderboard: every architecture of the study, by one of its rows' runs, with its provenance.
  const { leaderboard } = await platform.query<{
    leaderboard: { architecture: { hash: string }; run: { id: string; studyRow: { arm: string; seed: number } } }[];
  }>(
    `query { leaderboard(dataset: MNIST, threatModel: { norm: LINF, epsilon: 0.3 }) {
      architecture { hash } run { id studyRow { arm seed } } } }`,
  );
  for (const hash of new Set(study.rows.map((r) => r.architecture.hash))) {
    const entry = leaderboard.find((e) => e.architecture.hash === hash);
    assert.ok(entry, `architecture ${hash} is on the leaderboard`);
    const row = study.rows.find((r) => r.run.id === entry.run.id);
    assert.ok(row, 'by a row of the study');
    assert.deepEqual(entry.run.studyRow, { arm: row.arm, seed: row.seed });
  }
});
