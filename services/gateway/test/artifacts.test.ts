// Artifacts in the real JetStream object store: a download whose object the store never delivers
// ends with a clear error instead of hanging; finished runs' checkpoints are deleted after the
// retention (weights, genotype and report stay) and the run's artifact list follows; on SQLite
// and PostgreSQL.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { EntityManager } from '@mikro-orm/core';
import type { ObjectStore } from 'nats';
import { ARTIFACTS_BUCKET } from '@lrnas/schema';
import { useNatsServer } from '@lrnas/local/test-nats';
import { startPostgres, type PostgresHandle } from '@lrnas/local/postgres';
import { parseDatabaseUrl, type DatabaseTarget } from '../src/config.js';
import type { GatewayConfig, GatewayHandle } from '../src/index.js';
import { Artifact, Run, RunStatus, Visibility } from '../src/persistence/entities/index.js';
import { createRunFixture } from './support/fixtures.js';
import { gql, ok } from '@lrnas/test-kit/graphql';
import { startTestGateway } from './support/test-gateway.js';

const nats = useNatsServer('lrnas-artifacts-');
let pg: PostgresHandle;
before(async () => {
  pg = await startPostgres();
});
after(async () => {
  await pg?.stop();
});

const DAY = 24 * 60 * 60 * 1000;
const gatewayOn = (database: DatabaseTarget, extra: Partial<GatewayConfig> = {}) =>
  startTestGateway(nats.server, database, extra);
const store = (): Promise<ObjectStore> => nats.nc.jetstream().views.os(ARTIFACTS_BUCKET);

/** A public run with the given status and end, and artifacts stored both in the object store and as rows. */
async function runWithArtifacts(
  em: EntityManager,
  suffix: string,
  status: RunStatus,
  finishedAt: Date | undefined,
  files: [kind: string, file: string][],
): Promise<string> {
  const { experiment, run } = await createRunFixture(em, suffix);
  experiment.visibility = Visibility.PUBLIC;
  run.status = status;
  run.finishedAt = finishedAt;
  const os = await store();
  for (const [kind, file] of files) {
    const name = `${run.id}/${file}`;
    const info = await os.putBlob({ name }, new TextEncoder().encode(`${name} bytes`));
    em.create(Artifact, { run, kind, name, digest: info.digest, size: info.size });
  }
  await em.flush();
  return run.id;
}

async function artifactNames(gateway: GatewayHandle, runId: string): Promise<string[]> {
  const answer = await gql<{ run: { artifacts: { name: string }[] } }>(
    gateway.url,
    'query($id: ID!) { run(id: $id) { artifacts { name } } }',
    { id: runId },
  );
  return ok(answer)
    .run.artifacts.map((a) => a.name)
    .sort();
}

/** The run's artifact list once the sweep changed it (a generous bound only names a failure). */
async function sweptList(gateway: GatewayHandle, runId: string): Promise<string[]> {
  const giveUp = Date.now() + 60_000;
  let names = await artifactNames(gateway, runId);
  while (names.length === 5 && Date.now() < giveUp) {
    await new Promise((r) => setTimeout(r, 100));
    names = await artifactNames(gateway, runId);
  }
  return names;
}

async function inStore(name: string): Promise<boolean> {
  const info = await (await store()).info(name);
  return info !== null && !info.deleted;
}

describe('download deadline', () => {
  let gateway: GatewayHandle;
  before(async () => {
    gateway = await gatewayOn(
      { kind: 'sqlite', file: path.join(nats.dataDir, 'download.sqlite') },
      { api: { artifactStallMs: 3000 } },
    );
  });
  after(async () => {
    await gateway?.stop();
  });

  test('an object whose chunks the store never delivers ends the request with 504, not a hang', async () => {
    const runId = await runWithArtifacts(gateway.db.orm.em.fork(), 'stall', RunStatus.SUCCEEDED, new Date(), [
      ['weights', 'weights.bin'],
      ['report', 'report.json'],
    ]);
    // The chunks of weights.bin go missing (as when the node holding them is gone): its metadata
    // still says it exists, and the NATS client's read waits for chunks that never come.
    const info = (await (await store()).info(`${runId}/weights.bin`))!;
    const jsm = await nats.nc.jetstreamManager();
    await jsm.streams.purge(`OBJ_${ARTIFACTS_BUCKET}`, { filter: `$O.${ARTIFACTS_BUCKET}.C.${info.nuid}` });

    const stalled = await fetch(`${gateway.url}/artifacts/${runId}?name=${encodeURIComponent(`${runId}/weights.bin`)}`);
    assert.equal(stalled.status, 504);
    const body = (await stalled.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'UNAVAILABLE');
    assert.match(body.error.message, /delivered nothing of ".*weights\.bin" for 3 s .*try again/);

    // The other artifact of the run still downloads.
    const fine = await fetch(`${gateway.url}/artifacts/${runId}?name=${encodeURIComponent(`${runId}/report.json`)}`);
    assert.equal(fine.status, 200);
    assert.equal(await fine.text(), `${runId}/report.json bytes`);
  });
});

const targets: [string, (dir: string) => DatabaseTarget][] = [
  ['SQLite', (dir) => ({ kind: 'sqlite', file: path.join(dir, 'retention.sqlite') })],
  ['PostgreSQL', () => parseDatabaseUrl(pg.url)],
];

for (const [label, target] of targets) {
  describe(`checkpoint retention on ${label}`, () => {
    let gateway: GatewayHandle;
    let expired: string;
    let recent: string;
    let running: string;
    before(async () => {
      // Rows and objects exist before the gateway starts: its first sweep finds them.
      const seed = await gatewayOn(target(nats.dataDir), { checkpointRetentionMs: 0 });
      const em = seed.db.orm.em.fork();
      const files: [string, string][] = [
        ['checkpoint', 'search.ckpt'],
        ['checkpoint', 'train.ckpt'],
        ['weights', 'model/model.json'],
        ['genotype', 'genotype.json'],
        ['report', 'report.json'],
      ];
      const ago = (days: number) => new Date(Date.now() - days * DAY);
      expired = await runWithArtifacts(em, `old-${label}`, RunStatus.SUCCEEDED, ago(8), files);
      recent = await runWithArtifacts(em, `new-${label}`, RunStatus.FAILED, ago(6), files);
      running = await runWithArtifacts(em, `run-${label}`, RunStatus.RUNNING, undefined, files);
      await seed.stop();
      gateway = await gatewayOn(target(nats.dataDir), { checkpointRetentionMs: 7 * DAY, checkpointSweepMs: 200 });
    });
    after(async () => {
      await gateway?.stop();
    });

    const results = (runId: string) => [`${runId}/genotype.json`, `${runId}/model/model.json`, `${runId}/report.json`];
    const all = (runId: string) => [...results(runId), `${runId}/search.ckpt`, `${runId}/train.ckpt`].sort();

    test('a run that ended longer ago than the retention loses its checkpoints, and only those', async () => {
      assert.deepEqual(await sweptList(gateway, expired), results(expired));
      assert.equal(await inStore(`${expired}/search.ckpt`), false);
      assert.equal(await inStore(`${expired}/train.ckpt`), false);
      for (const name of results(expired)) assert.equal(await inStore(name), true, name);
      // Runs that ended recently or have not ended keep everything.
      assert.deepEqual(await artifactNames(gateway, recent), all(recent));
      assert.deepEqual(await artifactNames(gateway, running), all(running));
      assert.equal(await inStore(`${recent}/search.ckpt`), true);
      assert.equal(await inStore(`${running}/train.ckpt`), true);
    });

    test('the periodic sweep catches a run once its end is older than the retention', async () => {
      const em = gateway.db.orm.em.fork();
      const run = await em.findOneOrFail(Run, { id: recent });
      run.finishedAt = new Date(Date.now() - 7 * DAY - 60_000);
      await em.flush();
      assert.deepEqual(await sweptList(gateway, recent), results(recent));
      assert.equal(await inStore(`${recent}/train.ckpt`), false);
      assert.deepEqual(await artifactNames(gateway, running), all(running));
    });
  });
}
