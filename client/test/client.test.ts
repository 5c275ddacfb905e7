import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { buildSchema, parse, validate, type OperationDefinitionNode } from 'graphql';
import { getVariableValues } from 'graphql/execution/values.js';
import { OPERATIONS } from '../src/operations.js';
import { Spool } from '../src/spool.js';
import { CLIENT_VERSION } from '../src/version.js';
import { Hub } from '../src/hub.js';

const repo = path.resolve(import.meta.dirname, '..', '..');

test("every operation the client sends is valid against the hub's schema", () => {
  const schema = buildSchema(fs.readFileSync(path.join(repo, 'schema', 'graphql', 'schema.graphql'), 'utf8'));
  for (const [name, document] of Object.entries(OPERATIONS)) {
    assert.deepEqual(
      validate(schema, parse(document)).map((e) => e.message),
      [],
      name,
    );
  }
});

test("the version the client records is its package's", () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(repo, 'client', 'package.json'), 'utf8')) as {
    version: string;
  };
  assert.equal(CLIENT_VERSION, manifest.version);
});

test('a spool keeps every entry until acknowledged, across reopening, and skips a line torn by a crash', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lrnas-spool-'));
  try {
    const header = { hubUrl: 'http://hub', experimentId: 'exp_1', runId: 'r1', id: 'run_1' };
    const spool = Spool.open(root, header);
    const point = (step: number) => ({
      t: 'points' as const,
      points: [{ key: 'loss', step, value: step, time: '2026-12-07T00:00:00.000Z' }],
    });
    for (let step = 0; step < 5; step++) spool.append(point(step));
    spool.acknowledge(2);
    spool.close();
    // A crash in the middle of writing the next line.
    fs.appendFileSync(path.join(spool.dir, 'entries.jsonl'), '{"t":"points","poi');
    const [again] = Spool.pending(root);
    assert.ok(again, 'the spool with unsent entries is found');
    assert.deepEqual(again.header, header);
    assert.deepEqual(again.unsent(), [point(2), point(3), point(4)]);
    again.acknowledge(5);
    again.close();
    assert.deepEqual(Spool.pending(root), [], 'nothing left to send');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('a hub without a URL or key is refused naming what is missing; bad steps and keys throw before anything is logged', () => {
  const env = { url: process.env.LRNAS_HUB_URL, key: process.env.LRNAS_API_KEY };
  delete process.env.LRNAS_HUB_URL;
  delete process.env.LRNAS_API_KEY;
  try {
    assert.throws(() => new Hub({ apiKey: 'k' }), /hub’s URL/);
    assert.throws(() => new Hub({ url: 'not a url', apiKey: 'k' }), /is not a URL/);
    assert.throws(() => new Hub({ url: 'http://hub' }), /API key/);
  } finally {
    if (env.url !== undefined) process.env.LRNAS_HUB_URL = env.url;
    if (env.key !== undefined) process.env.LRNAS_API_KEY = env.key;
  }
});

test('the variables the client sends are values of the hub’s input types, as it spells them', () => {
  const schema = buildSchema(fs.readFileSync(path.join(repo, 'schema', 'graphql', 'schema.graphql'), 'utf8'));
  const point = { key: 'train/loss', step: 3, value: 0.5, time: '2026-12-07T00:00:00.000Z' };
  const sent: [string, Record<string, unknown>][] = [
    [
      OPERATIONS.CREATE_RUN,
      {
        input: {
          experimentId: 'exp_1',
          runId: 'r1',
          name: 'n',
          kind: 'PIPELINE',
          config: { lr: 0.1 },
          tags: ['a'],
          seed: 1,
          source: 'CLI',
          client: `@lrnas/client ${CLIENT_VERSION}`,
        },
      },
    ],
    [OPERATIONS.LOG_METRICS, { runId: 'r1', points: [point, { ...point, value: null }] }],
    [
      OPERATIONS.LOG_ARCHITECTURE,
      {
        runId: 'r1',
        input: {
          genotype: { normal: [] },
          network: { channels: 8, layers: 5, classes: 10, inputChannels: 1, imageSize: 28 },
          params: 100,
          flops: 1000,
        },
      },
    ],
    [
      OPERATIONS.LOG_EVALUATION,
      {
        runId: 'r1',
        input: {
          attack: { name: 'APGD_CE', steps: 100, stepSize: 0.01, restarts: 1 },
          threatModel: { norm: 'LINF', epsilon: 0.1 },
          examples: 10,
          seed: 0,
          cleanAccuracy: 0.9,
          robustAccuracy: 0.4,
          backend: 'wasm',
          engineVersion: '0.1.0',
        },
      },
    ],
    [OPERATIONS.LOG_STAGE, { runId: 'r1', stage: 'train' }],
    [OPERATIONS.HEARTBEAT, { runId: 'r1' }],
    [OPERATIONS.FINISH_RUN, { runId: 'r1', status: 'FAILED', error: 'diverged' }],
  ];
  for (const [document, variables] of sent) {
    const operation = parse(document).definitions[0] as OperationDefinitionNode;
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
    assert.deepEqual(coerced.errors?.map((e) => e.message) ?? [], [], operation.name?.value);
  }
});
