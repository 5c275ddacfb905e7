// The gateway's schema on both databases it supports: migrations build exactly what the entities
// describe, and the uniqueness rules that make event ingestion idempotent hold.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { genotypeHash, type Genotype } from '@lrnas/schema';
import { startPostgres, type PostgresHandle } from '@lrnas/local/postgres';
import { parseDatabaseUrl, type DatabaseTarget } from '../src/config.js';
import { openDatabase } from '../src/persistence/database.js';
import { Architecture, Experiment, MetricPoint } from '../src/persistence/entities/index.js';
import { createRunFixture } from './support/fixtures.js';

const genotype = JSON.parse(
  fs.readFileSync(new URL('../../../schema/test/fixtures/genotypes.json', import.meta.url), 'utf8'),
).DARTS_V2 as Genotype;

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'lrnas-persistence-'));
let pg: PostgresHandle;
before(async () => {
  pg = await startPostgres();
});
after(async () => {
  await pg?.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
});

const targets: [string, () => DatabaseTarget][] = [
  ['SQLite', () => ({ kind: 'sqlite', file: path.join(scratch, 'db.sqlite') })],
  ['PostgreSQL', () => parseDatabaseUrl(pg.url)],
];

for (const [label, target] of targets) {
  describe(label, () => {
    test('the migrations build the schema the entities describe, and rerun as a no-op', async () => {
      const db = await openDatabase(target());
      try {
        assert.equal(await db.orm.getMigrator().checkMigrationNeeded(), false, 'run npm run migration:create');
        const executed = await db.orm.getMigrator().getExecutedMigrations();
        assert.ok(executed.length >= 1);
      } finally {
        await db.close();
      }
      const again = await openDatabase(target());
      try {
        assert.deepEqual(await again.orm.getMigrator().getPendingMigrations(), []);
      } finally {
        await again.close();
      }
    });

    test('metric points are unique on (run, key, step): a replay updates instead of duplicating', async () => {
      const db = await openDatabase(target());
      try {
        const em = db.orm.em.fork();
        const { experiment, run } = await createRunFixture(em, label, { parameterBudget: 12_000_000_000 });

        const points = (value: number) =>
          [0, 1, 2].map((step) => ({
            run,
            key: 'train/loss',
            step,
            value: step === 2 ? null : value,
            time: new Date(),
          }));
        await em.upsertMany(MetricPoint, points(1.5), { onConflictFields: ['run', 'key', 'step'] });
        await em.upsertMany(MetricPoint, points(0.5), { onConflictFields: ['run', 'key', 'step'] });
        const stored = await db.orm.em.fork().find(MetricPoint, { run: run.id }, { orderBy: { step: 'asc' } });
        assert.deepEqual(
          stored.map((p) => [p.step, p.value]),
          [
            [0, 0.5],
            [1, 0.5],
            [2, null],
          ],
        );
        const reread = await db.orm.em.fork().findOneOrFail(Experiment, experiment.id);
        assert.equal(reread.parameterBudget, 12_000_000_000, 'budgets above 2^31 survive');
      } finally {
        await db.close();
      }
    });

    test('architectures are keyed by the canonical genotype hash and keep the genotype intact', async () => {
      const db = await openDatabase(target());
      try {
        const em = db.orm.em.fork();
        const hash = genotypeHash(genotype);
        em.create(Architecture, {
          hash,
          genotype,
          params: 3_349_342,
          flops: 528_359_040,
          channels: 36,
          layers: 20,
          classes: 10,
        });
        await em.flush();
        const stored = await db.orm.em.fork().findOneOrFail(Architecture, { hash });
        assert.deepEqual(stored.genotype, genotype);
        assert.equal(stored.params, 3_349_342);
        const duplicate = db.orm.em.fork();
        duplicate.create(Architecture, { hash, genotype, params: 1, channels: 36, layers: 20, classes: 10 });
        await assert.rejects(duplicate.flush(), /unique|duplicate|UNIQUE/i);
      } finally {
        await db.close();
      }
    });
  });
}
