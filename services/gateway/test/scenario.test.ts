// The "done when" scenario of issue 5, against a real nats-server, on SQLite and PostgreSQL: a
// client creates an experiment and starts a run, its job appears on the work queue, events are
// fed as a worker would (with duplicates and out of order), and the API reads back exactly the
// runs, metrics, architectures, evaluations and leaderboard those events imply.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  CANCELS_BUCKET,
  JOBS_STREAM,
  cancelSubject,
  canonicalGenotype,
  genotypeHash,
  jobCodec,
  PRESET_BUDGETS,
  type Job,
} from '@lrnas/schema';
import { useNatsServer } from '@lrnas/local/test-nats';
import { startPostgres, type PostgresHandle } from '@lrnas/local/postgres';
import { parseDatabaseUrl, type DatabaseTarget } from '../src/config.js';
import type { GatewayHandle } from '../src/gateway.js';
import { GENOTYPES, firstError, gql, ok } from '@lrnas/test-kit/graphql';
import { publishSignedEvent, type SignedEventInput } from './support/signed-events.js';
import { startTestGateway } from './support/test-gateway.js';

const nats = useNatsServer('lrnas-scenario-');
let pg: PostgresHandle;
before(async () => {
  pg = await startPostgres();
});
after(async () => {
  await pg?.stop();
});

const BOOTSTRAP_KEY = 'scenario-bootstrap-key-0123456789abcdef';
const genotype = GENOTYPES.LRNAS_C10;
// Events happen after the runs they report on were queued, in the order of their sequence.
const time = (s: number) => new Date(Date.now() + s).toISOString();
const envelope = (runId: string, seq: number, attempt = 1) => ({ v: 1 as const, runId, attempt, seq, time: time(seq) });

/** Every job on the work queue for `runId`, with its message id. */
async function jobsOf(runId: string): Promise<{ job: Job; msgId: string | undefined; subject: string }[]> {
  const jsm = await nats.nc.jetstreamManager();
  const info = await jsm.streams.info(JOBS_STREAM);
  const found = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const stored = await jsm.streams.getMessage(JOBS_STREAM, { seq }).catch(() => undefined);
    if (!stored) continue;
    const job = jobCodec.decode(stored.data);
    if (job.runId === runId) found.push({ job, msgId: stored.header?.get('Nats-Msg-Id'), subject: stored.subject });
  }
  return found;
}

/** Polls a read until it satisfies `done`. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const targets: [string, (dir: string) => DatabaseTarget][] = [
  ['SQLite', (dir) => ({ kind: 'sqlite', file: path.join(dir, 'scenario.sqlite') })],
  ['PostgreSQL', () => parseDatabaseUrl(pg.url)],
];

for (const [label, target] of targets) {
  describe(label, () => {
    let gateway: GatewayHandle;
    const q = <T>(query: string, variables: Record<string, unknown> = {}, key: string | undefined = BOOTSTRAP_KEY) =>
      gql<T>(gateway.url, query, variables, key);
    let experimentId: string;
    /** The id the client chose; the run's own id (job message id, event subjects) is `busId`. */
    const runId = `pipe-${label}`;
    let busId: string;
    const publish = (event: SignedEventInput) => publishSignedEvent(nats.nc, gateway.db.orm, event);

    before(async () => {
      gateway = await startTestGateway(nats.server, target(nats.dataDir), {
        api: { bootstrapKey: BOOTSTRAP_KEY, bootstrapTeam: `lab ${label}` },
      });
    });
    after(async () => {
      await gateway?.stop();
    });

    test('create an experiment and start a pipeline: stored QUEUED, its job on the stream once', async () => {
      const created = ok(
        await q<{ createExperiment: { id: string; team: { name: string }; visibility: string } }>(
          `mutation($input: CreateExperimentInput!) { createExperiment(input: $input) { id team { name } visibility } }`,
          {
            input: {
              name: 'robust mnist',
              dataset: 'MNIST',
              threatModel: { norm: 'LINF', epsilon: 0.3 },
              parameterBudget: 3_000_000,
              tags: ['scenario'],
            },
          },
        ),
      );
      experimentId = created.createExperiment.id;
      assert.deepEqual(created.createExperiment.team, { name: `lab ${label}` });
      assert.equal(created.createExperiment.visibility, 'PRIVATE');

      const START = `mutation($input: StartPipelineInput!) { startPipeline(input: $input) { id status kind config } }`;
      const input = {
        experimentId,
        runId,
        seed: 42,
        trainLimit: 512,
        search: { epochs: 2 },
        train: { epochs: 1, method: 'MADRY' },
        evaluate: { attacks: [{ name: 'PGD', steps: 20, stepSize: 0.01 }, { name: 'FGSM' }], examples: 500 },
      };
      const started = ok(
        await q<{ startPipeline: { id: string; status: string; kind: string; config: Job } }>(START, { input }),
      );
      assert.equal(started.startPipeline.status, 'QUEUED');
      assert.equal(started.startPipeline.kind, 'PIPELINE');
      busId = started.startPipeline.id;
      assert.match(busId, /^run_[A-Za-z0-9_-]{22}$/, 'a run id of its own, derived from team and client id');
      const again = ok(await q<{ startPipeline: { id: string } }>(START, { input }));
      assert.equal(again.startPipeline.id, busId, 'a retried start returns the same run');
      const byClientId = ok(
        await q<{ run: { id: string; clientId: string } }>(`{ run(id: "${runId}") { id clientId } }`),
      );
      assert.deepEqual(byClientId.run, { id: busId, clientId: runId }, 'the run is found by the id its team chose');

      const jobs = await jobsOf(busId);
      assert.equal(jobs.length, 1, 'one job on the stream despite the retry');
      const [{ job, msgId, subject }] = jobs as [(typeof jobs)[number]];
      assert.equal(msgId, busId);
      assert.equal(subject, 'lrnas.jobs.pipeline');
      assert.equal(job.kind, 'pipeline');
      if (job.kind !== 'pipeline') return;
      assert.deepEqual(job.dataset, { name: 'mnist', trainLimit: 512 });
      assert.equal(job.selection.budget, 3_000_000, 'the budget of the experiment');
      assert.deepEqual(job.evaluate.threatModel, { norm: 'linf', epsilon: 0.3 });
      assert.deepEqual(job.train.threatModel, { norm: 'linf', epsilon: 0.3 });
      assert.equal(job.seed, 42);
      assert.deepEqual(started.startPipeline.config, job, 'the run keeps the job as published');
    });

    test('events fed as a worker would, with duplicates and late ones, read back exactly', async () => {
      const points = [0, 1, 2, 3].map((step) => ({ key: 'search/loss', step, value: 2 - step * 0.25 }));
      const evaluation = (seq: number, name: 'pgd' | 'fgsm', robust: number) => ({
        ...envelope(busId, seq),
        type: 'evaluation' as const,
        attack: name === 'pgd' ? { name, steps: 20, stepSize: 0.01 } : { name },
        threatModel: { norm: 'linf' as const, epsilon: 0.3 },
        examples: 500,
        seed: 42,
        cleanAccuracy: 0.97,
        robustAccuracy: robust,
        backend: 'cpu',
        engineVersion: '0.1.0',
      });
      const genotypeEvent = {
        ...envelope(busId, 5),
        type: 'genotype' as const,
        stage: 'select' as const,
        genotype,
        network: { channels: 16, layers: 8, classes: 10, inputChannels: 1, imageSize: 28 },
        params: 1_234_567,
        flops: 98_765_432,
        final: true,
      };
      await publish({
        ...envelope(busId, 0),
        type: 'status',
        status: 'RUNNING',
        stage: 'search',
        workerId: 'w-1',
        backend: 'cpu',
      });
      await publish({ ...envelope(busId, 1), type: 'metric', points });
      await publish({ ...envelope(busId, 1), type: 'metric', points }); // redelivered
      await publish({ ...envelope(busId, 6), type: 'status', status: 'RUNNING', stage: 'train' });
      await until(
        async () => ok(await q<{ run: { stage: string } }>(`{ run(id: "${runId}") { stage } }`)).run.stage,
        (stage) => stage === 'train',
        'the train stage',
      );
      await publish({ ...envelope(busId, 4), type: 'status', status: 'RUNNING', stage: 'select' }); // late
      await publish(genotypeEvent);
      await publish(genotypeEvent);
      await publish({
        ...envelope(busId, 7),
        type: 'epoch',
        stage: 'train',
        epoch: 0,
        epochs: 1,
        seconds: 2,
        metrics: { 'train/robust_acc': 0.8 },
      });
      await publish({
        ...envelope(busId, 8),
        type: 'artifact',
        kind: 'weights',
        stage: 'train',
        name: `${busId}/weights`,
        digest: 'SHA-256=x',
        size: 10,
      });
      await publish({
        ...envelope(busId, 9),
        type: 'status',
        status: 'RUNNING',
        stage: 'evaluate',
        progress: { done: 1, total: 2 },
      });
      await publish(evaluation(10, 'pgd', 0.81));
      await publish(evaluation(11, 'fgsm', 0.85));
      await publish(evaluation(10, 'pgd', 0.81)); // replayed
      await publish({ ...envelope(busId, 12), type: 'status', status: 'SUCCEEDED', stage: 'evaluate' });
      await publish({ ...envelope(busId, 3), type: 'status', status: 'RUNNING', stage: 'search' }); // after the end

      type RunAnswer = {
        run: {
          status: string;
          stage: string;
          workerId: string;
          attempts: number;
          statusHistory: { status: string; stage: string | null }[];
          stages: { stage: string }[];
          architecture: { hash: string; params: number; flops: number; genotype: unknown };
          artifacts: { kind: string; name: string }[];
          evaluations: { attack: string; robustAccuracy: number }[];
        };
      };
      const { run } = await until(
        async () =>
          ok(
            await q<RunAnswer>(
              `query($id: ID!) { run(id: $id) { status stage workerId attempts statusHistory { status stage } stages { stage }
                 architecture { hash params flops genotype } artifacts { kind name } evaluations { attack robustAccuracy } } }`,
              { id: runId },
            ),
          ),
        (a) => a.run.status === 'SUCCEEDED' && a.run.evaluations.length === 2,
        'the run to succeed',
      );
      assert.equal(run.stage, 'evaluate');
      assert.equal(run.workerId, 'w-1');
      assert.equal(run.attempts, 1);
      assert.deepEqual(
        run.statusHistory.map((h) => [h.status, h.stage]),
        [
          ['QUEUED', null],
          ['RUNNING', 'search'],
          ['RUNNING', 'train'],
          ['RUNNING', 'evaluate'],
          ['SUCCEEDED', 'evaluate'],
        ],
        'the late select and search events changed nothing',
      );
      assert.deepEqual(
        run.stages.map((s) => s.stage),
        ['search', 'train', 'evaluate'],
      );
      assert.deepEqual(run.architecture, {
        hash: genotypeHash(genotype),
        params: 1_234_567,
        flops: 98_765_432,
        genotype: run.architecture.genotype,
      });
      assert.deepEqual(run.artifacts, [{ kind: 'weights', name: `${busId}/weights` }]);

      const series = ok(
        await q<{ metricSeries: { key: string; totalPoints: number; points: { step: number; value: number }[] }[] }>(
          `query($id: ID!) { metricSeries(runId: $id) { key totalPoints points { step value } } }`,
          { id: runId },
        ),
      ).metricSeries;
      assert.deepEqual(
        series.map((s) => [s.key, s.totalPoints]),
        [
          ['search/loss', 4],
          ['train/robust_acc', 1],
        ],
        'duplicates stored once',
      );
      assert.deepEqual(
        series[0]!.points,
        points.map(({ step, value }) => ({ step, value })),
      );

      const listed = ok(
        await q<{ runs: { totalCount: number; edges: { node: { id: string } }[] } }>(
          `query($e: ID) { runs(filter: { experimentId: $e, statuses: [SUCCEEDED], params: { max: 2000000 } }) { totalCount edges { node { id } } } }`,
          { e: experimentId },
        ),
      );
      assert.deepEqual(
        listed.runs.edges.map((e) => e.node.id),
        [busId],
      );

      const architectures = ok(
        await q<{ architecture: { hash: string; originRun: { id: string } } }>(
          `query($g: JSON) { architecture(genotype: $g) { hash originRun { id } } }`,
          { g: genotype },
        ),
      );
      assert.deepEqual(architectures.architecture, { hash: genotypeHash(genotype), originRun: { id: busId } });

      const board = ok(
        await q<{
          leaderboard: {
            rank: number;
            robustAccuracy: number;
            cleanAccuracy: number;
            params: number;
            run: { id: string };
            decisive: { attack: string; examples: number; seed: number; engineVersion: string };
            suite: { attack: string }[];
          }[];
        }>(
          `{ leaderboard(dataset: MNIST, threatModel: { norm: LINF, epsilon: 0.3 }) {
              rank robustAccuracy cleanAccuracy params run { id } decisive { attack examples seed engineVersion } suite { attack } } }`,
        ),
      ).leaderboard;
      assert.deepEqual(board, [
        {
          rank: 1,
          robustAccuracy: 0.81,
          cleanAccuracy: 0.97,
          params: 1_234_567,
          run: { id: busId },
          decisive: { attack: 'PGD', examples: 500, seed: 42, engineVersion: '0.1.0' },
          suite: [{ attack: 'PGD' }, { attack: 'FGSM' }],
        },
      ]);
      const anonymous = ok(
        await q<{ leaderboard: unknown[] }>(
          `{ leaderboard(dataset: MNIST, threatModel: { norm: LINF, epsilon: 0.3 }) { rank } }`,
          {},
          '', // no key
        ),
      );
      assert.deepEqual(anonymous.leaderboard, [], 'a private experiment stays off the public board');
    });

    test('an evaluation of the trained run: job names the weights, results join the architecture', async () => {
      const evalId = `eval-${label}`;
      const started = ok(
        await q<{
          startEvaluation: { id: string; kind: string; parent: { id: string }; architecture: { hash: string } };
        }>(
          `mutation($input: StartEvaluationInput!) { startEvaluation(input: $input) { id kind parent { id } architecture { hash } } }`,
          { input: { trainedRunId: runId, runId: evalId, evaluate: { attacks: [{ name: 'APGD_CE' }] } } },
        ),
      ).startEvaluation;
      const evalBus = started.id;
      assert.deepEqual(started, {
        id: evalBus,
        kind: 'EVALUATE',
        parent: { id: busId },
        architecture: { hash: genotypeHash(genotype) },
      });
      const [queued] = await jobsOf(evalBus);
      assert.equal(queued?.job.kind, 'evaluate');
      if (queued?.job.kind !== 'evaluate') return;
      assert.equal(queued.job.sourceRunId, busId);
      assert.equal(queued.job.weights, `${busId}/weights`);

      await publish({ ...envelope(evalBus, 0), type: 'status', status: 'RUNNING', stage: 'evaluate' });
      await publish({
        ...envelope(evalBus, 1),
        type: 'evaluation',
        attack: { name: 'apgd-ce', steps: 100 },
        threatModel: { norm: 'linf', epsilon: 0.3 },
        examples: 1000,
        seed: 3,
        cleanAccuracy: 0.97,
        robustAccuracy: 0.9,
        backend: 'cpu',
        engineVersion: '0.1.1',
      });
      await publish({ ...envelope(evalBus, 2), type: 'status', status: 'SUCCEEDED', stage: 'evaluate' });
      const board = await until(
        async () =>
          ok(
            await q<{ leaderboard: { run: { id: string }; robustAccuracy: number }[] }>(
              `{ leaderboard(dataset: MNIST, threatModel: { norm: LINF, epsilon: 0.3 }, attack: APGD_CE) { run { id } robustAccuracy } }`,
            ),
          ).leaderboard,
        (rows) => rows.length > 0,
        'the APGD evaluation',
      );
      assert.deepEqual(board, [{ run: { id: evalBus }, robustAccuracy: 0.9 }]);

      const refused = await q(`mutation($input: StartEvaluationInput!) { startEvaluation(input: $input) { id } }`, {
        input: { trainedRunId: evalId },
      });
      assert.equal(firstError(refused).field, 'input.trainedRunId', 'an EVALUATE run has no weights to attack');
    });

    test('training a known architecture, cancelling it, tagging, and bad input changing nothing', async () => {
      const trainId = `train-${label}`;
      const started = ok(
        await q<{ startTraining: { id: string; architecture: { hash: string } } }>(
          `mutation($input: StartTrainingInput!) { startTraining(input: $input) { id architecture { hash } } }`,
          { input: { experimentId, runId: trainId, architecture: genotypeHash(genotype), train: { epochs: 3 } } },
        ),
      ).startTraining;
      assert.equal(started.architecture.hash, genotypeHash(genotype));
      const trainBus = started.id;
      const [job] = await jobsOf(trainBus);
      assert.deepEqual(job?.job.kind === 'train' && job.job.genotype, canonicalGenotype(genotype));

      const cancels: string[] = [];
      const subscription = nats.nc.subscribe(cancelSubject(trainBus), {
        callback: (_error, message) => cancels.push(new TextDecoder().decode(message.data)),
      });
      await nats.nc.flush();
      const cancelled = ok(
        await q<{ cancelRun: { status: string } }>(`mutation { cancelRun(id: "${trainId}") { status } }`),
      );
      assert.equal(cancelled.cancelRun.status, 'CANCELLED');
      await until(
        async () => cancels.length,
        (n) => n === 1,
        'the cancel message',
      );
      subscription.unsubscribe();
      assert.equal(JSON.parse(cancels[0]!).runId, trainBus);
      // The job is still queued: the worker that picks it up finds the request in the cancels bucket.
      const request = await (await nats.nc.jetstream().views.kv(CANCELS_BUCKET)).get(trainBus);
      assert.equal(request?.operation, 'PUT');
      assert.equal(JSON.parse(new TextDecoder().decode(request.value)).runId, trainBus);
      await publish({ ...envelope(trainBus, 0), type: 'status', status: 'RUNNING', stage: 'train' });
      const again = ok(
        await q<{ cancelRun: { status: string } }>(`mutation { cancelRun(id: "${trainId}") { status } }`),
      );
      assert.equal(again.cancelRun.status, 'CANCELLED', 'cancelling twice is harmless');
      const finished = await q(`mutation { cancelRun(id: "${runId}") { status } }`);
      assert.equal(firstError(finished).code, 'CONFLICT');

      const tagged = ok(
        await q<{ tagRun: { tags: string[] } }>(
          `mutation { tagRun(id: "${runId}", add: ["best", "mnist"], remove: ["mnist"]) { tags } }`,
        ),
      );
      assert.deepEqual(tagged.tagRun.tags, ['best']);

      const count = async () =>
        ok(await q<{ runs: { totalCount: number } }>(`{ runs { totalCount } }`)).runs.totalCount;
      const before = await count();
      const bad = [
        [{ experimentId, search: { epochs: -1 } }, 'input.search.epochs'],
        [{ experimentId, selection: { budget: 1, mode: 'greedy' } }, 'input.selection.mode'],
        [{ experimentId, runId: 'no spaces allowed' }, 'input.runId'],
        [{ experimentId, seed: -5 }, 'input.seed'],
        [{ experimentId, tags: ['ok', ' bad'] }, 'input.tags[1]'],
      ] as const;
      for (const [input, field] of bad) {
        const answer = await q(`mutation($input: StartSearchInput!) { startSearch(input: $input) { id } }`, { input });
        assert.deepEqual([firstError(answer).code, firstError(answer).field], ['BAD_INPUT', field]);
      }
      const badGenotype = await q(`mutation($input: StartTrainingInput!) { startTraining(input: $input) { id } }`, {
        input: { experimentId, genotype: { ...genotype, reduceConcat: [9] } },
      });
      assert.deepEqual(firstError(badGenotype).field?.startsWith('input.genotype.reduceConcat'), true);
      const badExperiment = await q(
        `mutation($input: CreateExperimentInput!) { createExperiment(input: $input) { id } }`,
        { input: { name: 'x', dataset: 'MNIST', threatModel: { norm: 'LINF', epsilon: 2 } } },
      );
      assert.equal(firstError(badExperiment).field, 'input.threatModel.epsilon');
      assert.equal(await count(), before, 'nothing was stored');
    });

    test("without a budget from the run or the experiment, a search selects under its preset's", async () => {
      const created = ok(
        await q<{ createExperiment: { id: string } }>(
          `mutation { createExperiment(input: { name: "no budget", dataset: MNIST, threatModel: { norm: LINF, epsilon: 0.1 } }) { id } }`,
        ),
      );
      const start = (search: Record<string, unknown>) =>
        q<{ startSearch: { config: Job } }>(
          `mutation($input: StartSearchInput!) { startSearch(input: $input) { config } }`,
          { input: { experimentId: created.createExperiment.id, search } },
        );
      const budgetOf = async (search: Record<string, unknown>) => {
        const { config } = ok(await start(search)).startSearch;
        return config.kind === 'search' ? config.selection.budget : undefined;
      };
      assert.equal(await budgetOf({}), PRESET_BUDGETS.tiny);
      assert.equal(await budgetOf({ preset: 'PAPER' }), PRESET_BUDGETS.paper);
      assert.equal(firstError(await start({ preset: 'huge' })).field, 'input.search.preset');
      // Out of the way of the next test, which lists the live experiments.
      ok(await q(`mutation { archiveExperiment(id: "${created.createExperiment.id}") { archivedAt } }`));
    });

    test('archived experiments take no new runs', async () => {
      ok(await q(`mutation { archiveExperiment(id: "${experimentId}") { archivedAt } }`));
      const refused = await q(`mutation($input: StartSearchInput!) { startSearch(input: $input) { id } }`, {
        input: { experimentId },
      });
      assert.equal(firstError(refused).code, 'CONFLICT');
      const listed = ok(await q<{ experiments: unknown[] }>(`{ experiments { id } }`));
      assert.deepEqual(listed.experiments, []);
    });
  });
}
