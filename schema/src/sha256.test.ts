import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sha256Hex } from './sha256.js';

const reference = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

test('sha256Hex matches the FIPS 180-4 test vectors', () => {
  assert.equal(sha256Hex(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('sha256Hex agrees with node:crypto across padding boundaries and non-ASCII text', () => {
  // Lengths around 55/56/64 bytes exercise the one- and two-block padding cases.
  for (let length = 0; length < 200; length++) {
    const text = 'x'.repeat(length);
    assert.equal(sha256Hex(text), reference(text), `length ${length}`);
  }
  for (const text of ['ε=8/255 L∞', '🧠 robust', '\u0000\uffff', 'a'.repeat(100_000)]) {
    assert.equal(sha256Hex(text), reference(text));
  }
});
