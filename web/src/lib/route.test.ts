import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRoute, paths } from './route.js';

test('every page path parses back to its route', () => {
  assert.deepEqual(parseRoute(paths.experiments()), { page: 'experiments' });
  assert.deepEqual(parseRoute(paths.experiment('e 1')), { page: 'experiment', id: 'e 1' });
  assert.deepEqual(parseRoute(paths.run('run_1')), { page: 'run', id: 'run_1' });
  assert.deepEqual(parseRoute(paths.architecture('abc')), { page: 'architecture', hash: 'abc' });
  assert.deepEqual(parseRoute(paths.health()), { page: 'health' });
  assert.deepEqual(parseRoute(paths.study('run_s')), { page: 'study', id: 'run_s' });
  assert.deepEqual(parseRoute(paths.startStudy('exp 1')), { page: 'start-study', experimentId: 'exp 1' });
  const compare = paths.compare(['a', 'b']);
  const [pathname, search] = compare.split('?');
  const route = parseRoute(pathname!, `?${search}`);
  assert.equal(route.page, 'compare');
  assert.deepEqual(route.page === 'compare' && route.ids, ['a', 'b']);
  const board = parseRoute('/leaderboard', '?dataset=CIFAR10&epsilon=0.03');
  assert.equal(board.page === 'leaderboard' && board.query.get('dataset'), 'CIFAR10');
});

test('anything else is not found', () => {
  assert.deepEqual(parseRoute('/runs/a/b'), { page: 'not-found', path: '/runs/a/b' });
  assert.deepEqual(parseRoute('/nope'), { page: 'not-found', path: '/nope' });
  assert.deepEqual(parseRoute('/experiments/e/runs'), { page: 'not-found', path: '/experiments/e/runs' });
});
