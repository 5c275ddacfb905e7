import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { buildSchema, parse, validate } from 'graphql';
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
