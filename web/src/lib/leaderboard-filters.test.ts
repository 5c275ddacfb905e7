import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFilters } from './leaderboard-filters.js';

test('defaults: MNIST, L-inf 0.3, the worst attack, no size limit', () => {
  assert.deepEqual(readFilters(new URLSearchParams()), {
    dataset: 'MNIST',
    norm: 'LINF',
    epsilon: '0.3',
    maxParams: '',
    attack: '',
    errors: [],
  });
});

test('the address sets every filter; the norm may be written in lower case', () => {
  const f = readFilters(new URLSearchParams('dataset=CIFAR10&norm=linf&epsilon=0.031373&maxParams=2000000&attack=PGD'));
  assert.deepEqual(f.errors, []);
  assert.equal(f.norm, 'LINF');
  assert.equal(f.maxParams, '2000000');
});

test('each bad value is named', () => {
  const f = readFilters(new URLSearchParams('dataset=IMAGENET&norm=L1&epsilon=-1&maxParams=lots&attack=BIM'));
  assert.equal(f.errors.length, 5);
  assert.match(f.errors.join('\n'), /IMAGENET[\s\S]*L1[\s\S]*-1[\s\S]*lots[\s\S]*BIM/);
});
