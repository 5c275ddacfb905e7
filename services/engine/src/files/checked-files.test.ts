import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from './checked-files.js';

test('an interrupted atomic write leaves the previous file intact and no temporary file behind', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lrnas-atomic-'));
  try {
    const file = path.join(dir, 'checkpoint.lrnas');
    assert.equal(await writeFileAtomic(file, [Buffer.from('old '), Buffer.from('state')]), 9);
    function* failing(): Generator<Uint8Array> {
      yield Buffer.from('half of the new');
      throw new Error('disk full');
    }
    await assert.rejects(writeFileAtomic(file, failing()), /disk full/);
    assert.equal(fs.readFileSync(file, 'utf8'), 'old state');
    assert.deepEqual(fs.readdirSync(dir), ['checkpoint.lrnas']);
    await writeFileAtomic(file, [Buffer.from('new state')]);
    assert.equal(fs.readFileSync(file, 'utf8'), 'new state');
    assert.deepEqual(fs.readdirSync(dir), ['checkpoint.lrnas']);
    // A missing folder is created.
    await writeFileAtomic(path.join(dir, 'sub', 'model.json'), [Buffer.from('{}')]);
    assert.equal(fs.readFileSync(path.join(dir, 'sub', 'model.json'), 'utf8'), '{}');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
