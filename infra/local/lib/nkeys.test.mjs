// The launcher's own nkeys (it has no dependencies) must be what nats.js and nats-server read.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nkeys } from 'nats';
import { newUserNkey } from './nkeys.mjs';

test('a made nkey user is a valid user seed whose public key nats.js derives the same', () => {
  const seen = new Set();
  for (let i = 0; i < 100; i++) {
    const { seed, publicKey } = newUserNkey();
    assert.match(seed, /^SU[A-Z2-7]{56}$/);
    assert.match(publicKey, /^U[A-Z2-7]{55}$/);
    const pair = nkeys.fromSeed(new TextEncoder().encode(seed));
    assert.equal(pair.getPublicKey(), publicKey);
    assert.ok(nkeys.fromPublic(publicKey).verify(new Uint8Array([1]), pair.sign(new Uint8Array([1]))));
    seen.add(seed);
  }
  assert.equal(seen.size, 100);
});
