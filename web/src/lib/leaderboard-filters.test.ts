import assert from 'node:assert/strict';
import { test } from 'node:test';
import { boardsWithResults, readFilters, whyEmpty } from './leaderboard-filters.js';

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

const at = (dataset: string, epsilon: number, attack = 'PGD') => ({
  dataset,
  attack,
  threatModel: { norm: 'LINF', epsilon, label: `L∞ ε=${epsilon}` },
});

test('the board opens on the threat model with the most evaluations; the address still decides when it names one', () => {
  const boards = boardsWithResults([at('MNIST', 0.1), at('MNIST', 0.1, 'FGSM'), at('CIFAR10', 0.03), at('MNIST', 0.3)]);
  assert.deepEqual(
    boards.map((b) => [b.dataset, b.epsilon, b.evaluations]),
    [
      ['MNIST', 0.1, 2],
      ['CIFAR10', 0.03, 1],
      ['MNIST', 0.3, 1],
    ],
  );
  assert.equal(readFilters(new URLSearchParams(), boards[0]).epsilon, '0.1');
  assert.equal(readFilters(new URLSearchParams('epsilon=0.3'), null).epsilon, '0.3');
});

test('an empty board says whether nothing was evaluated there or which filter hides the results', () => {
  const evaluations = [at('MNIST', 0.1)];
  const filters = { dataset: 'MNIST', norm: 'LINF', epsilon: '0.3', maxParams: '', attack: '' };
  assert.deepEqual(whyEmpty(filters, evaluations), { kind: 'no-results' });
  const here = { ...filters, epsilon: '0.1' };
  assert.deepEqual(whyEmpty({ ...here, maxParams: '1000' }, evaluations), {
    kind: 'hidden',
    by: ['the parameter limit (at most 1,000)'],
  });
  assert.deepEqual(whyEmpty({ ...here, attack: 'SQUARE', maxParams: '1000' }, evaluations), {
    kind: 'hidden',
    by: ['the attack filter (SQUARE: no architecture here was evaluated with it)'],
  });
});
