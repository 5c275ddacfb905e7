import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findTrainCheckpoint, JOB_FILES, LEGACY_JOB_FILES, readJson, writeJson } from './files.js';

test('a folder of an older `lrnas train` resumes from its checkpoint.lrnas; train.ckpt wins when both exist', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lrnas-job-files-'));
  try {
    assert.equal(await findTrainCheckpoint(dir), undefined);
    fs.writeFileSync(path.join(dir, LEGACY_JOB_FILES.trainCheckpoint), 'old');
    assert.equal(await findTrainCheckpoint(dir), path.join(dir, 'checkpoint.lrnas'));
    fs.writeFileSync(path.join(dir, JOB_FILES.trainCheckpoint), 'new');
    assert.equal(await findTrainCheckpoint(dir), path.join(dir, 'train.ckpt'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('writeJson writes pretty JSON with a final newline, in folders it makes', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lrnas-job-files-'));
  try {
    const file = path.join(dir, 'sub', JOB_FILES.report);
    await writeJson(file, { a: [1, 2] });
    assert.equal(fs.readFileSync(file, 'utf8'), '{\n  "a": [\n    1,\n    2\n  ]\n}\n');
    assert.deepEqual(await readJson(file), { a: [1, 2] });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
